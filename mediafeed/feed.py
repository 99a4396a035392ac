"""feed.xml: RSS 2.0 with Apple's iTunes tags and the Podcasting 2.0 namespace, via feedgen."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from mediafeed import __version__
from mediafeed.itunes import AppleEntryExtension, AppleExtension
from mediafeed.links import Links
from mediafeed.model import Episode, Show
from mediafeed.notes import plain_text, render_notes, xml_safe
from mediafeed.podcast20 import Podcast20EntryExtension, Podcast20Extension

# The namespace UUID the Podcasting 2.0 spec fixes for podcast:guid (UUIDv5 of the feed URL).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a0b6f5f10d4c")

TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".txt": "text/plain",
    ".html": "text/html",
    ".json": "application/json",
}
ATOM_NS = "http://www.w3.org/2005/Atom"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PagingExtension(BaseExtension):  # type: ignore[misc]
    """atom:link rel=next/prev-archive/current for RFC 5005 paged and archived feeds;
    feedgen writes only the self link into RSS."""

    def __init__(self) -> None:
        self._links: list[tuple[str, str]] = []

    def add(self, rel: str, href: str) -> None:
        self._links.append((rel, href))

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        for rel, href in self._links:
            element = xml_elem(f"{{{ATOM_NS}}}link", channel)
            element.attrib["href"] = href
            element.attrib["rel"] = rel
        return rss_feed


def podcast_guid(feed_url: str) -> str:
    """The podcast:guid the namespace defines: UUIDv5 of the feed URL without its scheme."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def transcript_type(name: str) -> str:
    return TRANSCRIPT_TYPES.get(PurePosixPath(name).suffix.lower(), "text/plain")


def render_feed(
    show: Show,
    episodes: Sequence[Episode],
    *,
    links: Links,
    self_url: str | None = None,
    paging: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The feed for the given public episodes (newest first). Same input, same bytes.

    `self_url` and `paging` (rel, href) serve RFC 5005 archive pages of a large show.
    """
    fg = FeedGenerator()
    fg.register_extension("podcast", AppleExtension, AppleEntryExtension)
    fg.register_extension("podcast20", Podcast20Extension, Podcast20EntryExtension)
    _channel(fg, show, episodes, links, self_url or links.feed)
    if paging:
        fg.register_extension("paging", PagingExtension, atom=False)
        for rel, href in paging:
            fg.paging.add(rel, href)
    for episode in episodes:
        _item(fg, show, episode, links)
    xml: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return xml


def _channel(fg: FeedGenerator, show: Show, episodes: Sequence[Episode], links: Links,
             self_url: str) -> None:  # fmt: skip
    text = lambda value: xml_safe(value).strip()  # noqa: E731
    fg.title(text(show.title))
    # feedgen takes the RSS <link> from the last link given: the website must come last.
    fg.link(href=self_url, rel="self", type="application/rss+xml")
    fg.link(href=show.link, rel="alternate")
    fg.description(text(plain_text(show.description)) or text(show.title))
    fg.language(show.language)
    if show.copyright:
        fg.copyright(text(show.copyright))
    fg.generator("mediafeed", version=__version__, uri="https://pypi.org/project/mediafeed/")
    fg.image(url=links.image(show.artwork), title=text(show.title), link=show.link)
    # feedgen stamps the wall clock unless told otherwise; the newest episode makes it stable.
    newest = episodes[0].published if episodes else EPOCH
    fg.lastBuildDate(newest)
    fg.pubDate(newest)

    apple = fg.podcast
    apple.itunes_author(text(show.author))
    apple.apple_title(text(show.title))
    apple.itunes_summary(text(plain_text(show.description)))
    apple.itunes_image(links.image(show.artwork))
    apple.itunes_category([{"cat": c[0], **({"sub": c[1]} if len(c) > 1 else {})}
                           for c in show.categories])  # fmt: skip
    apple.apple_explicit(show.explicit)
    apple.itunes_owner(name=text(show.owner.name), email=show.owner.email)
    apple.apple_hide_owner_email(show.owner.hide_email)
    apple.itunes_type(show.type)
    if show.new_feed_url:
        apple.itunes_new_feed_url(show.new_feed_url)
    if show.block:
        apple.itunes_block(True)
    if show.complete:
        apple.itunes_complete("yes")

    p20 = fg.podcast20
    p20.podcast_guid(show.guid or podcast_guid(links.feed))
    p20.podcast_locked(show.locked, owner=None if show.owner.hide_email else show.owner.email)
    for funding in show.funding:
        p20.podcast_funding(funding.url, text(funding.text))
    for person in show.persons:
        p20.podcast_person(text(person.name), role=person.role, group=person.group,
                           img=person.img, href=person.href)  # fmt: skip
    p20.podcast_medium(show.medium)
    if show.location:
        p20.podcast_location(text(show.location))
    for purpose, value in show.txt:
        p20.podcast_txt(text(value), purpose=purpose)
    if show.update_frequency:
        p20.podcast_update_frequency(text(show.update_frequency))
    for trailer in (ep for ep in episodes if ep.episode_type == "trailer"):
        p20.podcast_trailer(text(trailer.title), url=links.media(trailer),
                            pubdate=_rfc822(trailer.published), length=trailer.media.length,
                            type_=trailer.media.mime_type, season=trailer.season)  # fmt: skip


def _item(fg: FeedGenerator, show: Show, ep: Episode, links: Links) -> None:
    text = lambda value: xml_safe(value).strip()  # noqa: E731
    fe = fg.add_entry(order="append")
    fe.title(text(ep.title))
    fe.guid(ep.guid, permalink=False)
    fe.pubDate(ep.published)
    fe.link(href=links.episode_page(ep.slug))
    html = render_notes(ep.notes)
    fe.description(html or text(ep.summary or ep.title))
    if html:
        fe.content(html, type="CDATA")
    fe.enclosure(links.media(ep), str(ep.media.length), ep.media.mime_type)

    apple = fe.podcast
    apple.itunes_title(text(ep.title))
    apple.itunes_duration(str(round(ep.media.duration)))
    apple.itunes_episode_type(ep.episode_type)
    apple.apple_explicit(ep.explicit if ep.explicit is not None else show.explicit)
    summary = text(ep.summary or plain_text(ep.notes))
    if summary:
        apple.itunes_summary(summary)
    if ep.season is not None:
        apple.itunes_season(ep.season)
    if ep.episode is not None:
        apple.itunes_episode(ep.episode)
    if ep.image:
        apple.itunes_image(links.image(ep.image))
    if ep.block:
        apple.itunes_block(True)

    p20 = fe.podcast20
    if ep.season is not None:
        p20.podcast_season(ep.season)
    if ep.episode is not None:
        p20.podcast_episode(ep.episode)
    if ep.transcript:
        p20.podcast_transcript(links.transcript(ep), type_=transcript_type(ep.transcript),
                               language=show.language)  # fmt: skip
    if ep.chapters:
        p20.podcast_chapters(links.chapters(ep.slug))
    for person in ep.persons:
        p20.podcast_person(text(person.name), role=person.role, group=person.group,
                           img=person.img, href=person.href)  # fmt: skip
    if ep.location:
        p20.podcast_location(text(ep.location))


def _rfc822(moment: dt.datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S %z")


def chapters_json(ep: Episode, *, links: Links) -> bytes:
    """The Podcast Index JSON chapters format (version 1.2.0)."""
    chapters = []
    for chapter in ep.chapters:
        item: dict[str, object] = {"startTime": chapter.start, "title": xml_safe(chapter.title)}
        if chapter.url:
            item["url"] = chapter.url
        if chapter.img:
            item["img"] = links.image(chapter.img)
        chapters.append(item)
    document = {"version": "1.2.0", "title": xml_safe(ep.title), "chapters": chapters}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
