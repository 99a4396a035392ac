"""Large shows: feed.xml keeps the newest items, older ones move to RFC 5005 archive pages;
the show page lists the latest episodes, a page per year the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mediafeed.links import FEED_KEY, Links
from mediafeed.model import Episode, Show

HISTORY_NS = "http://purl.org/syndication/history/1.0"
ARCHIVE_MARK = f'<fh:archive xmlns:fh="{HISTORY_NS}"/>'.encode()

# A long show's home page lists its latest episodes and links a page per year for the rest:
# a show of thousands stays a light page, and adding an episode re-renders two pages.
SHOW_PAGE_EPISODES = 30


def episodes_by_year(episodes: Sequence[Episode]) -> dict[int, list[Episode]]:
    """Public episodes grouped by the year they came out, newest year first."""
    years: dict[int, list[Episode]] = {}
    for ep in episodes:
        years.setdefault(ep.published.year, []).append(ep)
    return dict(sorted(years.items(), reverse=True))


def archive_key(number: int) -> str:
    """Archive pages count up from the oldest episodes, so a full page keeps its URL and bytes
    forever and caches never need to fetch it again."""
    return f"feed-archive-{number}.xml"


def archive_pages(episodes: Sequence[Episode], limit: int) -> list[list[Episode]]:
    """The episodes beyond the newest `limit`, in pages of `limit`, oldest page first;
    each page newest first, as feeds are."""
    older = list(reversed(episodes[limit:]))
    return [older[start : start + limit][::-1] for start in range(0, len(older), limit)]


@dataclass(frozen=True)
class FeedPage:
    """One feed document to write: feed.xml or an archive page, with its RFC 5005 links."""

    key: str
    episodes: tuple[Episode, ...]
    self_url: str
    paging: tuple[tuple[str, str], ...] = ()
    archive: bool = False


def feed_pages(show: Show, public: Sequence[Episode], *, links: Links) -> list[FeedPage]:
    """feed.xml and, when the show sets feed_limit and has more episodes, its archive pages.

    Trailers always stay in feed.xml, beside the newest `limit` other episodes: apps
    present a show's trailer from its current feed, and most never read the archive."""
    limit = show.feed_limit
    regular = [ep for ep in public if ep.episode_type != "trailer"]
    if not limit or len(regular) <= limit:
        return [FeedPage(FEED_KEY, tuple(public), links.feed)]
    pages = archive_pages(regular, limit)
    current = {id(ep) for ep in regular[:limit]}
    newest = len(pages)
    documents = [
        FeedPage(
            FEED_KEY,
            tuple(ep for ep in public if id(ep) in current or ep.episode_type == "trailer"),
            links.feed,
            (("prev-archive", links.url(archive_key(newest))),),
        )
    ]
    for number, page in enumerate(pages, start=1):
        paging = [("current", links.feed)]
        if number > 1:
            paging.append(("prev-archive", links.url(archive_key(number - 1))))
        if number < newest:
            paging.append(("next-archive", links.url(archive_key(number + 1))))
        key = archive_key(number)
        documents.append(FeedPage(key, tuple(page), links.url(key), tuple(paging), archive=True))
    return documents


def mark_archive(xml: bytes) -> bytes:
    """RFC 5005 section 4: an archive document carries fh:archive, telling clients that it
    will not change and that its items are history, not news."""
    head, found, rest = xml.partition(b"<channel>")
    if not found:
        raise ValueError("feed has no <channel>")
    return head + found + b"\n    " + ARCHIVE_MARK + rest
