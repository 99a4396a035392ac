"""The show's accessibility statement (`toegankelijkheid/index.html`), as Dutch government
sites must publish one: the standard, the status, the last check, how to report a problem,
and how many episodes have a text alternative."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from mediafeed.links import ACCESSIBILITY_KEY, Links
from mediafeed.model import Episode, Show
from mediafeed.render.i18n import Locale
from mediafeed.render.pages import common_context, safe_url
from mediafeed.render.templating import render_template


def render_accessibility_page(show: Show, episodes: Sequence[Episode], *, links: Links) -> str:
    """The statement, filled from the [accessibility] table of mediafeed.toml."""
    context = common_context(show, links, ACCESSIBILITY_KEY)
    loc = Locale.for_show(show)
    access = show.accessibility
    contact = access.contact or show.owner.email
    href = f"mailto:{contact}" if "@" in contact and "://" not in contact else safe_url(contact)
    with_text = [ep for ep in episodes if ep.transcript or ep.transcript_url]
    checked = loc.date(dt.date.fromisoformat(access.checked[:10])) if access.checked else None
    context.update(
        canonical=links.url(ACCESSIBILITY_KEY),
        description=loc.text("access_intro", show=show.title),
        access=access,
        status=loc.text(f"access_status_{access.status}"),
        checked=checked,
        contact=contact,
        contact_href=href,
        episodes=len(episodes),
        with_text=len(with_text),
        drafts=sum(ep.transcript_status == "draft" for ep in with_text),
    )
    return render_template(show, "accessibility.html", context)
