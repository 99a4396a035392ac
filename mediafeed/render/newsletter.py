"""Newsletter blocks that link to an episode's permanent page, as HTML, Markdown or text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from mediafeed.errors import MediafeedError
from mediafeed.links import Links, artwork_variant_key
from mediafeed.model import Episode, Show, Status
from mediafeed.render.i18n import Locale, writes_right_to_left
from mediafeed.render.pages import summary_text
from mediafeed.render.templating import render_template

NewsletterFormat = Literal["html", "markdown", "text"]

# Each format is a template a show may override in its own `templates/` folder.
_TEMPLATES = {"html": "newsletter.html", "markdown": "newsletter.md", "text": "newsletter.txt"}


def newest_public(episodes: Iterable[Episode], now: dt.datetime) -> Episode | None:
    """The episode a newsletter announces when none is named: the latest one out by `now`."""
    public = [episode for episode in episodes if episode.status(now) is Status.PUBLISHED]
    return max(public, key=lambda episode: episode.published, default=None)


def newsletter_block(
    show: Show,
    episode: Episode,
    *,
    links: Links,
    fmt: NewsletterFormat = "html",
    image: bool = True,
) -> str:
    """A block to paste into a newsletter; every link in it is absolute and permanent.

    The HTML carries only inline styles and no scripts, tables or classes, because mail
    clients drop `<style>` blocks and cannot resolve relative links.
    """
    if fmt not in _TEMPLATES:
        choices = ", ".join(_TEMPLATES)
        raise MediafeedError(f"unknown newsletter format {fmt!r}; choose one of {choices}")
    loc = Locale.for_show(show)
    # The build's 300 px copy of the show's artwork (twice the 160 px it is shown at,
    # nearly), never the original of megabytes; an episode's own image is not sized.
    cover = links.image(episode.image) if episode.image else links.url(artwork_variant_key(300))
    context: dict[str, object] = {
        "show": show,
        "episode": episode,
        "loc": loc,
        "lang": show.language or loc.code,
        "rtl": writes_right_to_left(show.language),
        "url": links.episode_page(episode.slug),
        "cta": loc.text("cta"),
        "summary": summary_text(episode),
        "date": loc.date(episode.published),
        "duration": loc.duration(episode.media.duration) if episode.media.duration else "",
        "image_url": cover if image else None,
        "image_alt": loc.text("cover_of", title=show.title),
    }
    return render_template(show, _TEMPLATES[fmt], context).strip() + "\n"
