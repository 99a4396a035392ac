"""feed.xml: RSS 2.0 with Apple's iTunes tags and the Podcasting 2.0 namespace, via feedgen."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

from mediafeed import __version__
from mediafeed.licenses import spdx_id
from mediafeed.links import ARTWORK_WIDTHS, Links, artwork_variant_key, transcript_text_key
from mediafeed.model import Episode, License, Location, Person, Show
from mediafeed.render.i18n import Locale
from mediafeed.render.itunes import AppleEntryExtension, AppleExtension
from mediafeed.render.notes import plain_text, render_notes, xml_safe
from mediafeed.render.podcast20 import Podcast20EntryExtension, Podcast20Extension, element

# The namespace UUID the Podcasting 2.0 spec fixes for podcast:guid (UUIDv5 of the feed URL).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

TRANSCRIPT_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".txt": "text/plain",
    ".html": "text/html",
    ".json": "application/json",
}
# Transcript formats with time codes: the namespace's rel="captions".
CAPTION_TYPES = {"text/vtt", "application/x-subrip"}
ATOM_NS = "http://www.w3.org/2005/Atom"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PagingExtension(Podcast20Extension):
    """atom:link rel=prev-archive/next-archive/current for RFC 5005 archived feeds, and
    rel=hub for WebSub; feedgen writes only the self link into RSS. They are recorded and
    written into the channel as its podcast: tags are, in the Atom namespace."""

    namespace, prefix = ATOM_NS, "atom"


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
    items: Sequence[str] | None = None,
) -> bytes:
    """The feed for the given public episodes (newest first). Same input, same bytes.

    `self_url` and `paging` (rel, href) serve RFC 5005 archive pages of a large show.
    `items`: each episode's `<item>` as `render_items` made it (as text), spliced in as
    they are; the bytes are those of a feed that renders them itself.
    """
    fg = _generator(show, episodes, links, self_url or links.feed, paging)
    if items is not None:
        channel = _serialize(fg)
        if channel.endswith(_TAIL):
            # One join and one encoding of the whole: a large show's items are megabytes.
            body = "".join((_INDENT_TEXT, _INDENT_TEXT.join(items))).encode() if items else b""
            return b"".join((channel[: -len(_TAIL)], body, _TAIL))
    for episode in episodes:
        _item(fg, show, episode, links)
    return _serialize(fg)


def _generator(
    show: Show,
    episodes: Sequence[Episode],
    links: Links,
    self_url: str,
    paging: Sequence[tuple[str, str]],
) -> FeedGenerator:
    """The channel with its extensions, ready for items."""
    fg = FeedGenerator()
    fg.register_extension("podcast", AppleExtension, AppleEntryExtension)
    fg.register_extension("podcast20", Podcast20Extension, Podcast20EntryExtension)
    _channel(fg, show, episodes, links, self_url)
    fg.register_extension("paging", PagingExtension, atom=False)
    for rel, href in [*paging, *(("hub", hub) for hub in show.publish.websub_hubs)]:
        fg.paging.add("link", href=href, rel=rel)
    return fg


def _serialize(fg: FeedGenerator) -> bytes:
    xml: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return xml


# The document's layout with pretty printing: items are the channel's last children, two
# levels deep, and nothing follows them but the closing tags. Each item serializes the same
# wherever it stands, as it uses only the prefixes the root declares.
_INDENT = b"\n    "
_INDENT_TEXT = _INDENT.decode()
_ITEM_START = _INDENT + b"<item>"
_TAIL = b"\n  </channel>\n</rss>\n"
# Items rendered per throwaway feed: the channel around them costs little beside 500 items.
ITEM_BATCH = 500


def render_items(show: Show, episodes: Sequence[Episode], *, links: Links) -> list[bytes]:
    """Each episode's `<item>` as serialized in feed.xml, for `render_feed(items=...)`."""
    found: list[bytes] = []
    for start in range(0, len(episodes), ITEM_BATCH):
        found.extend(_item_fragments(show, episodes[start : start + ITEM_BATCH], links))
    return found


def _item_fragments(show: Show, episodes: Sequence[Episode], links: Links) -> list[bytes]:
    """Each episode's serialized <item>, cut from a throwaway feed with the same extensions
    and so the same namespace prefixes on its root."""
    fg = _generator(show, (), links, links.feed, ())
    channel = _serialize(fg)
    for episode in episodes:
        _item(fg, show, episode, links)
    xml = _serialize(fg)
    head = channel[: -len(_TAIL)]
    if not (xml.startswith(head) and xml.endswith(_TAIL)):
        raise ValueError("feed layout changed: items cannot be cut from it")
    parts = xml[len(head) : -len(_TAIL)].split(_ITEM_START)
    if len(parts) == len(episodes) + 1:
        return [b"<item>" + part for part in parts[1:]]
    # Notes whose CDATA holds the separator split wrongly: one item per feed is always exact.
    if len(episodes) == 1:
        return [xml[len(head) + len(_INDENT) : -len(_TAIL)]]
    return [_item_fragments(show, [episode], links)[0] for episode in episodes]


def _text(value: str | None) -> str:
    """Text as XML can carry it: characters XML 1.0 forbids are dropped, never fatal."""
    return xml_safe(value or "").strip()


def _channel(
    fg: FeedGenerator, show: Show, episodes: Sequence[Episode], links: Links, self_url: str
) -> None:
    text = _text
    title = text(show.title) or "Untitled"
    fg.title(title)
    # feedgen takes the RSS <link> from the last link given: the website must come last.
    fg.link(href=text(self_url), rel="self", type="application/rss+xml")
    fg.link(href=text(show.link) or links.show_page, rel="alternate")
    description = text(plain_text(show.description))
    fg.description(description or title)
    fg.language(text(show.language) or None)
    if text(show.copyright):
        fg.copyright(text(show.copyright))
    fg.generator("mediafeed", version=__version__, uri="https://pypi.org/project/mediafeed/")
    artwork = links.image(text(show.artwork))
    fg.image(url=artwork, title=title, link=text(show.link) or links.show_page)
    # feedgen stamps the wall clock unless told otherwise; the newest episode makes it stable.
    newest = episodes[0].published if episodes else EPOCH
    fg.lastBuildDate(newest)
    fg.pubDate(newest)

    apple = fg.podcast
    apple.itunes_author(text(show.author) or None)
    if description:
        apple.itunes_summary(description)
    apple.itunes_owner(name=text(show.owner.name) or title, email=text(show.owner.email) or "-")
    apple.hide_owner_email = show.owner.hide_email or not text(show.owner.email)
    apple.itunes_type(show.type)
    if show.new_feed_url:
        apple.itunes_new_feed_url(text(show.new_feed_url))
    apple.categories([[text(part) for part in parts] for parts in show.categories])
    apple.apple_tags(image=artwork, explicit=show.explicit, block=show.block)
    apple.add("title", title)
    if show.complete:
        apple.add("complete", "Yes")
    apple.keywords([text(word) for word in show.keywords if text(word)])

    p20 = fg.podcast20
    p20.add("guid", text(show.guid) or podcast_guid(links.feed))
    owner = None if show.owner.hide_email else text(show.owner.email) or None
    p20.add("locked", "yes" if show.locked else "no", owner=owner)
    for funding in show.funding:
        p20.add("funding", text(funding.text), url=text(funding.url))
    for person in show.persons:
        _person(p20, person)
    p20.add("medium", show.medium)
    _location(p20, show.location)
    srcset = (f"{links.url(artwork_variant_key(width))} {width}w" for width in ARTWORK_WIDTHS)
    p20.add("images", srcset=", ".join(srcset))  # what podcast:image replaces, for older apps
    alt = text(Locale.for_show(show).text("cover_of", title=show.title))
    for width in ARTWORK_WIDTHS:
        href = links.url(artwork_variant_key(width))
        p20.add("image", href=href, alt=alt, width=str(width), purpose="artwork",
                **{"aspect-ratio": "1/1"})  # fmt: skip
    for purpose, value in show.txt:
        p20.add("txt", text(value), purpose=text(purpose) or None)
    _license(p20, show.license)
    if show.podroll:
        feeds = [
            element(
                "remoteItem",
                feedGuid=feed.feed_guid or podcast_guid(feed.feed_url or ""),
                feedUrl=feed.feed_url,
            )
            for feed in show.podroll
        ]
        p20.add("podroll", children=feeds)
    if text(show.update_frequency):
        p20.add(
            "updateFrequency",
            text(show.update_frequency),
            complete="true" if show.complete else None,
            rrule=text(show.update_rrule) or None,
        )
    for trailer in (ep for ep in episodes if ep.episode_type == "trailer"):
        p20.add(
            "trailer",
            text(trailer.title) or trailer.slug,
            url=links.media(trailer),
            pubdate=trailer.published.strftime("%a, %d %b %Y %H:%M:%S %z"),
            length=trailer.media.length,
            type_=trailer.media.mime_type,
            season=trailer.season,
        )


def _person(p20: Any, person: Person) -> None:
    p20.add(
        "person",
        _text(person.name) or "?",
        role=_text(person.role) or None,
        group=_text(person.group) or None,
        img=_text(person.img) or None,
        href=_text(person.href) or None,
    )


def _item(fg: FeedGenerator, show: Show, ep: Episode, links: Links) -> None:
    text = _text
    title = text(ep.title) or ep.slug
    fe = fg.add_entry(order="append")
    fe.title(title)
    fe.guid(text(ep.guid) or ep.slug, permalink=False)
    fe.pubDate(ep.published)
    fe.link(href=links.episode_page(ep.slug))
    html = render_notes(ep.notes)
    # Apple reads HTML in <description>; apps that show no HTML take itunes:summary. An
    # episode without notes has none: its title is no description.
    if html or text(ep.summary):
        fe.description(html or text(ep.summary))
    if html:
        fe.content(html, type="CDATA")
    fe.enclosure(links.media(ep), str(ep.media.length), ep.media.mime_type)

    apple = fe.podcast
    apple.itunes_title(title)
    if ep.media.duration:  # unknown for some imported episodes: no claim of 0:00
        apple.itunes_duration(str(round(ep.media.duration)))
    apple.itunes_episode_type(ep.episode_type)
    summary = text(ep.summary) or text(plain_text(ep.notes))
    if summary:
        apple.itunes_summary(summary)
    if ep.season is not None:
        apple.add("season", str(ep.season))
    if ep.episode is not None:
        apple.add("episode", str(ep.episode))
    image = links.image(ep.image) if ep.image else text(ep.image_url)
    explicit = show.explicit if ep.explicit is None else ep.explicit
    apple.apple_tags(image=image, explicit=explicit, block=ep.block)
    apple.keywords([text(word) for word in ep.keywords if text(word)])

    p20 = fe.podcast20
    if image:
        p20.add("image", href=image, purpose="artwork")
    if ep.season is not None:
        p20.add("season", str(ep.season), name=text(ep.season_name) or None)
    if ep.episode is not None:
        p20.add("episode", str(ep.episode), display=text(ep.episode_display) or None)
    # Side files still on the old host (an imported show) are linked where they are.
    if ep.transcript or ep.transcript_url:
        remote = text(ep.transcript_type) or transcript_type(urlsplit(ep.transcript_url or "").path)
        kind = transcript_type(ep.transcript) if ep.transcript else remote
        p20.add(
            "transcript",
            url=links.transcript(ep) if ep.transcript else text(ep.transcript_url),
            type_=kind,
            language=show.language,
            rel="captions" if kind in CAPTION_TYPES else None,
        )
        if ep.transcript and kind in CAPTION_TYPES:  # and the text the build makes of it
            p20.add(
                "transcript",
                url=links.url(transcript_text_key(ep.slug)),
                type_="text/plain",
                language=show.language,
            )
    if ep.chapters or ep.chapters_url:
        url = links.chapters(ep.slug) if ep.chapters else text(ep.chapters_url)
        p20.add("chapters", url=url, type_="application/json+chapters")
    # Item persons replace the channel's (namespace rule): restate the regular cast first.
    if ep.persons:
        named = {person.name for person in ep.persons}
        for person in (*(p for p in show.persons if p.name not in named), *ep.persons):
            _person(p20, person)
    _location(p20, ep.location)
    _license(p20, ep.license)
    for social in ep.social_interact:
        p20.add(
            "socialInteract",
            uri=text(social.uri) or None,
            protocol=social.protocol,
            accountId=text(social.account_id) or None,
            accountUrl=social.account_url,
            priority=social.priority,
        )
    for bite in ep.soundbites:
        start, duration = _seconds(bite.start), _seconds(bite.duration)
        p20.add("soundbite", text(bite.title) or None, startTime=start, duration=duration)
    _alternates(p20, ep, links)


def _alternates(p20: Any, ep: Episode, links: Links) -> None:
    """The enclosure first, as the default, then the renditions the build made: an app that
    reads podcast:alternateEnclosure is offered every file, with where to get it and its
    hash as Subresource Integrity metadata (`sha256-` and the digest in base64)."""
    if not ep.renditions:
        return
    media = ep.media
    bitrate = round(media.length * 8 / max(media.duration, 1.0))
    files: list[tuple[str, str, int, int, str, str | None]] = [
        (links.media(ep), media.mime_type, media.length, bitrate, media.sha256, None)
    ]
    files += [
        (links.url(item.key), item.mime_type, item.length, item.bitrate, item.sha256, item.title)
        for item in ep.renditions
    ]
    for url, mime_type, length, bitrate, sha256, title in files:
        integrity = base64.b64encode(bytes.fromhex(sha256)).decode()
        p20.add(
            "alternateEnclosure",
            children=(
                element("source", uri=url),
                element("integrity", type="sri", value=f"sha256-{integrity}"),
            ),
            type_=mime_type,
            length=length,
            bitrate=bitrate,
            title=title,
            default="true" if title is None else None,  # the enclosure, which has no title
        )


def _license(p20: Any, license: License | None) -> None:
    """An SPDX identifier in lower case, as the namespace asks; a custom name as written."""
    if license is not None:
        name = (spdx_id(license.name) or "").lower() or _text(license.name)
        p20.add("license", name, url=license.url)


def _location(p20: Any, location: Location | None) -> None:
    if location is not None and _text(location.name):
        p20.add("location", _text(location.name), geo=location.geo, osm=location.osm)


def _seconds(value: float) -> str:
    """Seconds as the namespace writes them: a decimal number, never an exponent."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def chapters_json(ep: Episode) -> bytes:
    """The Podcast Index JSON chapters format (version 1.2.0)."""
    chapters = []
    for chapter in ep.chapters:
        item: dict[str, object] = {"startTime": chapter.start, "title": xml_safe(chapter.title)}
        if chapter.url:
            item["url"] = chapter.url
        if chapter.img:  # a web address, as the episode file takes it: the build copies none
            item["img"] = chapter.img
        chapters.append(item)
    document = {"version": "1.2.0", "title": xml_safe(ep.title), "chapters": chapters}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
