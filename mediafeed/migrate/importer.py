"""`mediafeed import`: an existing podcast's RSS feed becomes a show folder, GUIDs intact.

The feed is screened with defusedxml first (no entity declarations, no external entities),
so neither a billion-laughs bomb nor a file-stealing entity reaches any parser. Channel
facts come from podcastparser, the parser podcast apps use; item facts come from the raw
XML, because podcastparser rewrites GUIDs (it resolves permalink GUIDs against the feed
URL) and drops items it cannot play. Nothing is written until the whole feed has parsed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import mimetypes
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
import podcastparser
from slugify import slugify

from mediafeed.errors import FeedError

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
PSC = "http://podlove.org/simple-chapters"
PODCAST = (
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)
MIME_FIXES = {
    "audio/mp3": "audio/mpeg",
    "audio/x-mp3": "audio/mpeg",
    "audio/mpeg3": "audio/mpeg",
    "audio/x-mpeg": "audio/mpeg",
    "audio/m4a": "audio/x-m4a",
}
TRUE = {"yes", "true", "explicit"}
FALSE = {"no", "false", "clean"}


@dataclass(frozen=True)
class ImportedEpisode:
    """One feed item as an episode file to write, with the links of its side files."""

    slug: str
    fields: dict[str, Any]  # front matter, enclosure still remote
    notes: str
    image_url: str | None = None
    chapters_url: str | None = None
    transcript_url: str | None = None


@dataclass(frozen=True)
class ImportedFeed:
    """A whole feed: the show's settings, its episodes (newest first) and what was skipped."""

    show: dict[str, Any]
    artwork_url: str | None
    episodes: tuple[ImportedEpisode, ...]
    problems: tuple[str, ...] = field(default=())


def parse_feed(data: bytes, source: str) -> ImportedFeed:
    """Every item becomes an episode or a line in `problems`; unsafe or non-feed input
    raises FeedError."""
    channel = _screen(data, source)
    try:
        parsed = podcastparser.parse(source, io.BytesIO(data))
    except (podcastparser.FeedParseError, ValueError) as exc:
        raise FeedError(f"not a feed podcast apps can read: {exc}", path=source) from None
    problems: list[str] = []
    episodes: list[ImportedEpisode] = []
    guids: dict[str, int] = {}
    taken: set[str] = set()
    for number, item in enumerate(channel.findall("item"), start=1):
        try:
            episode = _episode(item, number, taken, problems)
        except _Skip as skip:
            problems.append(f"item {number}: {skip} (skipped)")
            continue
        guid = episode.fields["guid"]
        if guid in guids:
            problems.append(
                f"item {number} ({episode.fields['title']!r}): duplicate guid "
                f"{guid!r}, same as item {guids[guid]} (skipped)"
            )
            continue
        guids[guid] = number
        taken.add(episode.slug)
        episodes.append(episode)
    episodes.sort(key=lambda ep: ep.fields["published"], reverse=True)
    show = _show_settings(parsed, channel, source, problems)
    return ImportedFeed(show, parsed.get("cover_url") or None, tuple(episodes), tuple(problems))


def _screen(data: bytes, source: str) -> Element:
    """The RSS <channel>, from a parse that refuses entity declarations and external
    references; HTML pages and other XML get an error that says what they are."""
    if not data.strip():
        raise FeedError("is empty, not a feed", path=source)
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden:
        raise FeedError(
            "declares XML entities (a possible 'XML bomb'); refused", path=source
        ) from None
    except (defusedxml.ExternalReferenceForbidden, defusedxml.NotSupportedError):
        raise FeedError("refers to external XML entities; refused", path=source) from None
    except ParseError as exc:
        if b"<html" in data[:4096].lower():
            raise FeedError(
                "is a web page, not a feed: use the address of the RSS feed", path=source
            ) from None
        raise FeedError(f"not XML: {exc}", path=source) from None
    if root.tag == "html" or root.tag.endswith("}html"):
        raise FeedError("is a web page, not a feed: use the address of the RSS feed", path=source)
    channel: Element | None = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise FeedError(f"not an RSS podcast feed (its root element is <{root.tag}>)", path=source)
    return channel


class _Skip(Exception):
    """An item that cannot become an episode; the message says why."""


def _episode(item: Element, number: int, taken: set[str], problems: list[str]) -> ImportedEpisode:
    enclosure = item.find("enclosure")
    url = (enclosure.get("url") or "").strip() if enclosure is not None else ""
    if not url:
        raise _Skip("no enclosure (no media to publish)")
    if urlsplit(url).scheme.lower() not in {"http", "https"} or not url.isascii():
        raise _Skip(f"enclosure URL {url!r} is not an ASCII http(s) URL")
    title = _text(item, "title") or _text(item, f"{{{ITUNES}}}title")
    if not title:
        title = PurePosixPath(urlsplit(url).path).stem or f"Episode {number}"
        problems.append(f"item {number}: no title; named {title!r} after its media file")
    label = f"item {number} ({title!r})"
    guid = _text(item, "guid")
    if not guid:
        guid = url  # what podcast apps fall back to, so listeners' played marks survive
        problems.append(f"{label}: no guid; its enclosure URL becomes the guid, as apps do")
    published = _date(_text(item, "pubDate"))
    if published is None:
        raise _Skip(f"{label}: no readable pubDate")
    length = _int(enclosure.get("length") if enclosure is not None else None)
    if not length:
        raise _Skip(f"{label}: the enclosure has no length in bytes")
    mime = (enclosure.get("type") or "").strip().lower() if enclosure is not None else ""
    mime = MIME_FIXES.get(mime, mime) or mimetypes.guess_type(urlsplit(url).path)[0] or ""
    if not mime.startswith(("audio/", "video/")):
        raise _Skip(f"{label}: enclosure type {mime or 'unknown'!r} is not audio or video")

    duration = podcastparser.parse_time(_text(item, f"{{{ITUNES}}}duration") or "0")
    fields: dict[str, Any] = {
        "title": title,
        "guid": guid,
        "published": published,
        "summary": _text(item, f"{{{ITUNES}}}subtitle") or None,
        "season": _number(item, "season", label, problems),
        "episode": _number(item, "episode", label, problems),
        "episode_type": _choice(_text(item, f"{{{ITUNES}}}episodeType"), ("trailer", "bonus")),
        "explicit": _flag(_text(item, f"{{{ITUNES}}}explicit")),
        "block": _text(item, f"{{{ITUNES}}}block").lower() == "yes" or None,
        "persons": _persons(item),
        "chapters": _psc_chapters(item),
        "keywords": [
            k.strip() for k in _text(item, f"{{{ITUNES}}}keywords").split(",") if k.strip()
        ],
        "location": _location(item),
        "enclosure_url": url,
        "duration": float(duration) or None,
        "length": length,
        "mime_type": mime,
    }
    notes = (
        _text(item, f"{{{CONTENT}}}encoded")
        or _text(item, "description")
        or _text(item, f"{{{ITUNES}}}summary")
    )
    image = item.find(f"{{{ITUNES}}}image")
    return ImportedEpisode(
        slug=_slug(title, number, taken),
        fields=fields,
        notes=notes,
        image_url=(image.get("href") or "").strip() or None if image is not None else None,
        chapters_url=_podcast_attr(item, "chapters", "url"),
        transcript_url=_transcript_url(item),
    )


def _text(element: Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _podcast(element: Element, name: str) -> list[Element]:
    return [found for ns in PODCAST for found in element.findall(f"{{{ns}}}{name}")]


def _location(item: Element) -> str | dict[str, str] | None:
    """podcast:location as the episode file writes it: a name, or name with geo and osm."""
    name = _podcast_text(item, "location")
    if not name:
        return None
    extra = {
        attr: value for attr in ("geo", "osm") if (value := _podcast_attr(item, "location", attr))
    }
    return {"name": name, **extra} if extra else name


def _podcast_text(element: Element, name: str) -> str:
    found = _podcast(element, name)
    return (found[0].text or "").strip() if found else ""


def _podcast_attr(element: Element, name: str, attr: str) -> str | None:
    found = _podcast(element, name)
    return (found[0].get(attr) or "").strip() or None if found else None


def _transcript_url(item: Element) -> str | None:
    """The transcript a page can show best: WebVTT, then SRT, then any."""
    found = _podcast(item, "transcript")
    links = [(t.get("type") or "", (t.get("url") or "").strip()) for t in found]
    links = [(kind, url) for kind, url in links if url]
    for wanted in ("text/vtt", "application/x-subrip", "application/srt", "text/plain"):
        for kind, url in links:
            if kind == wanted:
                return url
    return links[0][1] if links else None


def _date(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        stamp = podcastparser.parse_pubdate(text)  # knows many broken real-world dates
        return dt.datetime.fromtimestamp(stamp, dt.UTC) if stamp else None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _number(item: Element, name: str, label: str, problems: list[str]) -> int | None:
    raw = _text(item, f"{{{ITUNES}}}{name}") or _podcast_text(item, name)
    if not raw:
        return None
    if raw.isdigit():
        return int(raw)
    problems.append(f"{label}: {name} {raw!r} is not a whole number; left out")
    return None


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value.lower() if value.lower() in allowed else None


def _flag(value: str) -> bool | None:
    lowered = value.lower()
    return True if lowered in TRUE else False if lowered in FALSE else None


def _persons(item: Element) -> list[dict[str, str]]:
    persons = []
    for person in _podcast(item, "person"):
        name = (person.text or "").strip()
        if name:
            extra = {k: (person.get(k) or "").strip() for k in ("role", "group", "href", "img")}
            persons.append({"name": name, **{k: v for k, v in extra.items() if v}})
    return persons


def _psc_chapters(item: Element) -> list[dict[str, Any]]:
    chapters = []
    for chapter in item.findall(f"{{{PSC}}}chapters/{{{PSC}}}chapter"):
        start, title = chapter.get("start"), (chapter.get("title") or "").strip()
        if start and title:
            entry: dict[str, Any] = {
                "start": float(podcastparser.parse_time(start.split(".")[0])),
                "title": title,
            }
            if (chapter.get("href") or "").startswith(("http://", "https://")):
                entry["url"] = chapter.get("href")
            chapters.append(entry)
    return sorted(chapters, key=lambda c: c["start"])


def _slug(title: str, number: int, taken: set[str]) -> str:
    base = slugify(title, max_length=80, word_boundary=True) or f"episode-{number}"
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def _show_settings(
    parsed: dict[str, Any], channel: Element, source: str, problems: list[str]
) -> dict[str, Any]:
    """mediafeed.toml values; required ones the feed lacks get a placeholder and a note."""
    title = parsed.get("title") or _text(channel, "title")
    owner = parsed.get("itunes_owner") or {}
    author = parsed.get("itunes_author") or owner.get("name") or title
    language = (parsed.get("language") or "").strip().lower().replace("_", "-")
    if not language or not all(part.isalpha() for part in language.split("-")):
        problems.append("channel: no usable <language>; set to 'en', correct it in mediafeed.toml")
        language = "en"
    email_address = owner.get("email") or ""
    if "@" not in email_address:
        problems.append("channel: no itunes:owner email; set a placeholder in mediafeed.toml")
        email_address = "owner@example.org"
    categories = [c[:2] for c in parsed.get("itunes_categories") or [] if c]
    if not categories:
        problems.append("channel: no itunes:category; set to 'Society & Culture'")
        categories = [["Society & Culture"]]
    if parsed.get("new_url"):
        problems.append(f"channel: the feed says it moved to {parsed['new_url']}")
    show_type = parsed.get("type") if parsed.get("type") in ("episodic", "serial") else None
    return {
        "title": title or "Imported podcast",
        "description": (parsed.get("description") or title or "").strip(),
        "author": author,
        "language": language,
        "categories": categories,
        "explicit": bool(parsed.get("explicit")),
        "type": show_type or "episodic",
        "link": parsed.get("link") or (source if "://" in source else "https://example.org/"),
        "copyright": _text(channel, "copyright") or None,
        # podcast:guid stays with the show across hosts: keep it, or derive it from the
        # old feed URL as the namespace says, before the URL changes.
        "guid": _podcast_text(channel, "guid") or None,
        "locked": _podcast_text(channel, "locked").lower() != "no",
        "owner": {"name": owner.get("name") or author, "email": email_address},
    }
