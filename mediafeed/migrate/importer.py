"""`mediafeed import`: an existing podcast's RSS feed becomes episode files, GUIDs intact.

Channel facts come from podcastparser, the parser podcast apps use, and from the raw XML
for what it does not expose; item facts come from the raw XML, because podcastparser
rewrites GUIDs (it resolves permalink GUIDs against the feed URL) and drops items it
cannot play. Every value the import had to guess, and everything it could not keep, is one
line of the report. Nothing is written here: the caller writes once the whole feed parsed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import logging
import mimetypes
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

import podcastparser
from slugify import slugify

from mediafeed.episodes import MAX_SLUG, RESERVED_SLUGS, SLUG
from mediafeed.errors import FeedError
from mediafeed.frontmatter import in_calendar
from mediafeed.migrate import feedxml as x
from mediafeed.migrate import reachtags
from mediafeed.migrate.channel import show_settings
from mediafeed.render.notes import ALLOWED_TAGS

MIME_FIXES = {
    "audio/mp3": "audio/mpeg",
    "audio/x-mp3": "audio/mpeg",
    "audio/mpeg3": "audio/mpeg",
    "audio/x-mpeg": "audio/mpeg",
    "audio/m4a": "audio/x-m4a",
}
PAGE_SUFFIXES = (".html", ".htm", ".php", ".aspx")


@dataclass(frozen=True)
class ImportedEpisode:
    """One feed item as an episode file to write; `fields` is its front matter, with its
    media and side files still on the old host. `length` 0: the feed gave none."""

    slug: str
    fields: dict[str, Any]
    notes: str
    label: str  # how the report names the item: "item 3 ('Title')"


@dataclass(frozen=True)
class ImportedFeed:
    """A whole feed: the show's settings, its episodes (newest first), the report."""

    show: dict[str, Any]
    artwork_url: str | None
    episodes: tuple[ImportedEpisode, ...]
    report: tuple[str, ...]


def parse_feed(data: bytes, source: str) -> ImportedFeed:
    """Every item with audio or video becomes an episode, or a line in the report that
    says why not; unsafe or non-feed input raises FeedError."""
    channel = x.screen(data, source)
    report: list[str] = []
    with _quiet():  # what it finds wrong in items, the items' own lines say
        try:
            parsed = podcastparser.parse(source, io.BytesIO(data))
        except (podcastparser.FeedParseError, ValueError) as exc:
            raise FeedError(f"not a feed podcast apps can read: {exc}", path=source) from None
        fallback = _date(x.text(channel, "pubDate")) or _date(x.text(channel, "lastBuildDate"))
    base = source if "://" in source else ""
    show = show_settings(parsed, channel, base, report)
    site = show["link"] if "://" in show["link"] else base
    items = channel.findall("item")
    links = Counter(x.text(item, "link") for item in items)
    episodes: list[ImportedEpisode] = []
    guids: dict[str, int] = {}
    taken: set[str] = set()
    for number, item in enumerate(items, start=1):
        try:
            episode = _episode(item, number, base, site, fallback, report)
        except _Skip as skip:
            report.append(f"{skip} (skipped)")
            continue
        fields = episode.fields
        if fields["guid"] in guids:
            report.append(
                f"{episode.label}: duplicate guid {fields['guid']!r}, same as item "
                f"{guids[fields['guid']]}, which apps see as the same episode (skipped)"
            )
            continue
        guids[fields["guid"]] = number
        # Item persons replace the channel's (namespace rule): the show's own cast is in
        # mediafeed.toml once, and the build restates it in items that name others.
        fields["persons"] = [p for p in fields["persons"] if p not in show["persons"]]
        if fields["image_url"] == parsed.get("cover_url"):
            fields["image_url"] = None
        slug = _slug(item, episode, site, links, taken, report)
        taken.add(slug)
        episodes.append(ImportedEpisode(slug, fields, episode.notes, episode.label))
    episodes.sort(key=lambda ep: ep.fields["published"], reverse=True)
    cover = x.absolute(parsed.get("cover_url") or "", base)
    return ImportedFeed(show, cover, tuple(episodes), tuple(report))


class _Skip(Exception):
    """An item that cannot become an episode; the message names it and says why."""


@contextmanager
def _quiet() -> Iterator[list[logging.LogRecord]]:
    """podcastparser's complaints, kept off stderr: the report says each problem once, in
    words of its own."""
    heard: list[logging.LogRecord] = []

    def take(record: logging.LogRecord) -> bool:
        heard.append(record)
        return False

    logger = logging.getLogger("podcastparser")
    logger.addFilter(take)
    try:
        yield heard
    finally:
        logger.removeFilter(take)


def _seconds(raw: str) -> int | None:
    """A time as podcastparser reads it ("1:02:03", "62"), or None when it is none."""
    with _quiet() as heard:
        seconds: int = podcastparser.parse_time(raw)
    return None if heard else seconds


def _episode(
    item: Element,
    number: int,
    base: str,
    site: str,
    fallback: dt.datetime | None,
    report: list[str],
) -> ImportedEpisode:
    enclosure = item.find("enclosure")
    raw_url = "" if enclosure is None else (enclosure.get("url") or "").strip()
    if enclosure is None or not raw_url:
        raise _Skip(f"item {number}: no enclosure (no media to publish)")
    url = x.absolute(raw_url, base or site)
    if url is None:
        raise _Skip(f"item {number}: enclosure URL {raw_url!r} is not an http(s) URL")
    title = x.text(item, "title") or x.itunes(item, "title")
    if not title:
        title = PurePosixPath(unquote(urlsplit(url).path)).stem or f"Episode {number}"
        report.append(f"item {number}: no title; named {title!r} after its media file")
    label = f"item {number} ({title!r})"
    if url != raw_url:
        report.append(f"{label}: enclosure URL {raw_url!r} written as {url}")
    declared = (enclosure.get("type") or "").strip().lower()
    guessed = mimetypes.guess_type(urlsplit(url).path)[0] or ""
    mime = MIME_FIXES.get(declared, declared) or MIME_FIXES.get(guessed, guessed)
    if not mime.startswith(("audio/", "video/")):
        raise _Skip(f"{label}: enclosure type {mime or 'unknown'!r} is not audio or video")
    if not declared:
        report.append(f"{label}: no enclosure type; {mime} from the file name")
    guid = x.text(item, "guid")
    if not guid:
        guid = url  # what podcast apps fall back to, so listeners' played marks survive
        report.append(f"{label}: no guid; used the enclosure URL, as podcast apps do")
    published = _date(raw_date := x.text(item, "pubDate"))
    if published is None:
        published = fallback or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        said = f"pubDate {raw_date!r} is not a date" if raw_date else "no pubDate"
        report.append(f"{label}: {said}; dated {published.isoformat()}")
    length = (enclosure.get("length") or "").strip()
    raw_duration = x.itunes(item, "duration")
    if (duration := _seconds(raw_duration)) is None:
        report.append(f"{label}: itunes:duration {raw_duration!r} is not a time; left out")
    duration = max(duration or 0, 0)  # "-5"
    notes = x.text(item, f"{{{x.CONTENT}}}encoded") or x.text(item, "description")
    summary = x.itunes(item, "subtitle") or x.itunes(item, "summary")
    if not notes and summary:
        notes, summary = summary, x.itunes(item, "subtitle")
    _sanitized(notes, label, report)
    image = item.find(f"{{{x.ITUNES}}}image")
    episode_type = x.itunes(item, "episodeType").lower()
    fields: dict[str, Any] = {
        "title": title,
        "guid": guid,
        "published": published,
        "summary": summary if summary and summary != notes else None,
        "season": _number(item, "season", label, report),
        "episode": _number(item, "episode", label, report),
        "episode_type": episode_type if episode_type in ("trailer", "bonus") else None,
        "explicit": x.EXPLICIT.get(x.itunes(item, "explicit").lower()),
        "block": x.itunes(item, "block").lower() == "yes" or None,
        "persons": x.persons(item),
        "chapters": _psc_chapters(item, label, report),
        "keywords": x.keywords(item),
        "location": _location(item),
        "image_url": x.absolute(image.get("href") or "", base) if image is not None else None,
        "chapters_url": x.absolute(x.podcast_attr(item, "chapters", "url") or "", base),
        **_transcript(item, base),
        "enclosure_url": url,
        "duration": float(duration) or None,
        "length": int(length) if length.isdigit() else 0,
        "mime_type": mime,
        **reachtags.episode_fields(item, label, float(duration), report),
    }
    return ImportedEpisode("", fields, notes, label)


def _slug(
    item: Element,
    episode: ImportedEpisode,
    site: str,
    links: Counter[str],
    taken: set[str],
    report: list[str],
) -> str:
    """The last segment of the item's old page address when it is a valid slug, so the
    new page's address keeps the old one's name; else one made from the title. The old
    page is remembered for the redirect map."""
    raw = x.text(item, "link")
    page = x.absolute(raw, site) if raw else None
    segment = ""
    # The show's own home page, which some hosts give every item, is no episode's page.
    home = page is not None and page.rstrip("/") == site.rstrip("/")
    if page and links[raw] == 1 and page != episode.fields["enclosure_url"] and not home:
        episode.fields["old_page"] = page
        parts = [p for p in unquote(urlsplit(page).path).split("/") if p]
        if parts and parts[-1].lower().startswith("index."):
            parts.pop()
        segment = parts[-1] if parts else ""
        for ending in PAGE_SUFFIXES:
            segment = segment.removesuffix(ending)
    if SLUG.match(segment) and len(segment) <= MAX_SLUG and segment not in taken | RESERVED_SLUGS:
        return segment
    title = episode.fields["title"]
    base = slugify(title, max_length=80, word_boundary=True) or "episode"
    slug, suffix = base, 2
    while slug in taken or slug in RESERVED_SLUGS:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    if episode.fields.get("old_page") and not segment:
        report.append(f"{episode.label}: its old page {page} has no name to keep; slug {slug!r}")
    elif episode.fields.get("old_page"):
        why = "is not a slug" if not SLUG.match(segment) else "is taken"
        if SLUG.match(segment) and len(segment) > MAX_SLUG:
            why = f"has {len(segment)} characters, more than a file name can hold"
        elif segment in RESERVED_SLUGS:
            why = "is a device name on Windows"
        report.append(f"{episode.label}: its old page name {segment!r} {why}; slug {slug!r}")
    return slug


def _sanitized(notes: str, label: str, report: list[str]) -> None:
    """Tags the new feed and pages will not carry: notes stay as published, the report
    says what the build will strip."""
    tags = [tag.lower() for tag in re.findall(r"<([A-Za-z][A-Za-z0-9]*)", notes)]
    removed = [tag for tag in tags if tag not in ALLOWED_TAGS]
    if removed:
        names = ", ".join(sorted(set(removed)))
        report.append(f"{label}: HTML in notes sanitized: {len(removed)} tags removed ({names})")


def _location(item: Element) -> str | dict[str, str] | None:
    """podcast:location as the episode file writes it: a name, or name with geo and osm."""
    name = x.podcast_text(item, "location")
    if not name:
        return None
    extra = {
        attr: value for attr in ("geo", "osm") if (value := x.podcast_attr(item, "location", attr))
    }
    if not extra.get("geo", "geo:").startswith("geo:"):  # "52,4": episode files want a geo URI
        del extra["geo"]
    return {"name": name, **extra} if extra else name


def _transcript(item: Element, base: str) -> dict[str, str | None]:
    """The transcript a page can show best (WebVTT, then SRT, then any), with its type."""
    links = [(t.get("type") or "", t.get("url") or "") for t in x.podcast(item, "transcript")]
    captions = ("text/vtt", "application/x-subrip", "application/srt")
    ranked = sorted((k not in captions, k != "text/vtt", u, k) for k, u in links if u.strip())
    if not ranked:
        return {}
    *_, url, kind = ranked[0]
    return {"transcript_url": x.absolute(url, base), "transcript_type": kind or None}


def _date(text: str) -> dt.datetime | None:
    if not text:
        return None
    moment: dt.datetime | None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        with _quiet():  # the caller says what it made of an unreadable date
            stamp = podcastparser.parse_pubdate(text)  # knows many broken real-world dates
        moment = dt.datetime.fromtimestamp(stamp, dt.UTC) if stamp else None
    if moment is None:
        return None
    try:  # a year episode files refuse ('0001-01-01T00:00:00Z') is no date to keep
        return in_calendar(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    except ValueError:
        return None


def _number(item: Element, name: str, label: str, report: list[str]) -> int | None:
    raw = x.itunes(item, name) or x.podcast_text(item, name)
    if not raw:
        return None
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    report.append(f"{label}: {name} {raw!r} is not a whole number from 1; left out")
    return None


def _psc_chapters(item: Element, label: str, report: list[str]) -> list[dict[str, Any]]:
    chapters = []
    for chapter in item.findall(f"{{{x.PSC}}}chapters/{{{x.PSC}}}chapter"):
        start, title = chapter.get("start"), (chapter.get("title") or "").strip()
        if start and title:
            seconds = _seconds(start.split(".")[0])
            if seconds is None:
                report.append(
                    f"{label}: chapter {title!r} starts at {start!r}, not a time; left out"
                )
                continue
            entry: dict[str, Any] = {"start": float(seconds), "title": title}
            if (chapter.get("href") or "").startswith(("http://", "https://")):
                entry["url"] = chapter.get("href")
            chapters.append(entry)
    return sorted(chapters, key=lambda c: c["start"])
