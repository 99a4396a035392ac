"""The redirect map of an imported show: each old episode page to its new page.

It is written in the `_redirects` format of Netlify and Cloudflare Pages (`from to status`,
one rule a line, `#` comments), which other hosts' tools read or convert, for the producer
to install on the OLD site. A rule matches a path, so pages told apart only by a query
(`/?p=840`) cannot be redirected this way and are listed as comments.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from mediafeed.links import Links
from mediafeed.model import Episode, Show

HEADER = """\
# Redirects from the old site to the new one, in the _redirects format of Netlify and
# Cloudflare Pages. Made by 'mediafeed build' from the old_page of each episode file:
# install it on the old host (see docs/lifecycle.md); it is never published.
"""


def render_redirects(show: Show, episodes: Sequence[Episode], *, links: Links) -> bytes | None:
    """The map, or None when no episode has an old page to redirect."""
    old = [(ep.old_page, links.episode_page(ep.slug)) for ep in episodes if ep.old_page]
    if not old:
        return None
    feed = show.origin.feed if show.origin and "://" in show.origin.feed else None
    by_host: dict[str, list[tuple[str, str]]] = {}
    for source, target in ([(feed, links.feed)] if feed else []) + sorted(old):
        parts = urlsplit(source)
        by_host.setdefault(f"{parts.scheme}://{parts.netloc}", []).append((source, target))
    lines = [HEADER]
    for host, rules in by_host.items():
        lines.append(f"\n# on {host}\n")
        seen: set[str] = set()
        for source, target in rules:
            parts = urlsplit(source)
            path = parts.path or "/"
            if parts.query or path == "/" or path in seen:
                lines.append(f"# {source} -> {target} (a query or a shared path: by hand)\n")
                continue
            seen.add(path)
            lines.append(f"{path} {target} 301\n")
    return "".join(lines).encode("utf-8")
