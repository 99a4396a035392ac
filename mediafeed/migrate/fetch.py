"""Moving an imported show's media and side files from the old host into the show folder.

Each episode is finished on its own: its media is fetched into `<name>.part` (resumed with
a Range request after an interruption) and appears under its name only when whole, then
its side files, then its episode file is rewritten in one step to point at them. A run
that is stopped anywhere leaves each episode either still remote or moved, and the next
run fetches only what is still missing: a finished media file is never fetched again.
"""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from mediafeed.episodes import render_episode_file, split_front_matter, write_text_atomic
from mediafeed.errors import FeedError, MediafeedError
from mediafeed.media.probe import extension_for, probe
from mediafeed.migrate.download import MAX_SIDECAR_BYTES, download, read_limited
from mediafeed.model import Episode, MediaInfo
from mediafeed.output import write_atomic

_TRANSCRIPT_SUFFIXES = {"text/vtt": ".vtt", "application/x-subrip": ".srt", "application/srt": ".srt",
                        "text/html": ".html", "application/json": ".json"}  # fmt: skip
# The endings a download keeps from its URL; once probed, it takes the one its content has.
AUDIO_SUFFIXES = set(".mp3 .m4a .m4b .mp4 .aac .ogg .opus .oga .flac .wav .mov .webm".split())


def move_media(
    root: Path,
    episodes: Iterable[Episode],
    advance: Callable[[int], None],
    report: list[str],
    fetched: Callable[[Path, MediaInfo], None],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Fetch the media and side files of episodes still on the old host, with a line in
    `report` for each value that changed: the slugs now local, the downloads that failed.
    `fetched` hears the facts of each file this run downloaded."""
    downloaded: list[str] = []
    failed: list[str] = []
    for ep in episodes:
        try:
            media, fetched_now = _media(root, ep, advance)
            info = probe(media)
            proper = media.with_suffix(extension_for(info))
            if proper != media:
                os.replace(media, proper)
            if fetched_now:
                fetched(proper, info)
            fields, notes = split_front_matter(ep.source.read_text(encoding="utf-8"), ep.source)
            fields.update(
                enclosure_url=None,
                audio=f"media/{proper.name}",
                duration=round(info.duration, 3),
                length=info.length,
                mime_type=info.mime_type,
                sha256=info.sha256,
                **_side_files(root, ep, report),
            )
            write_text_atomic(ep.source, render_episode_file(fields, notes.strip("\n")))
        except MediafeedError as exc:
            failed.append(f"{ep.slug}: {exc}")
            continue
        if not ep.media.length:
            report.append(f"{ep.slug}: length {info.length} taken from the downloaded file")
        elif info.length != ep.media.length:
            report.append(
                f"{ep.slug}: the feed said {ep.media.length} bytes, the file has "
                f"{info.length}; the new feed tells the truth"
            )
        downloaded.append(ep.slug)
    return tuple(downloaded), tuple(failed)


def _media(root: Path, ep: Episode, advance: Callable[[int], None]) -> tuple[Path, bool]:
    """The episode's media in media/, and whether it was fetched now (not by a stopped run)."""
    folder = root / "media"
    for suffix in sorted(AUDIO_SUFFIXES):  # finished and renamed, but not yet recorded
        if (folder / f"{ep.slug}{suffix}").is_file():
            return folder / f"{ep.slug}{suffix}", False
    assert ep.enclosure_url is not None
    suffix = PurePosixPath(urlsplit(ep.enclosure_url).path).suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        suffix = mimetypes.guess_extension(ep.media.mime_type) or ".bin"
    return download(ep.enclosure_url, folder / f"{ep.slug}{suffix}", advance=advance), True


def _side_files(root: Path, ep: Episode, report: list[str]) -> dict[str, Any]:
    """Episode art, JSON chapters and a transcript, fetched into the show; one that cannot
    be fetched keeps its link to the old host, and the report says so."""
    extra: dict[str, Any] = {}
    for kind, url in (
        ("image", ep.image_url),
        ("chapters", ep.chapters_url),
        ("transcript", ep.transcript_url),
    ):
        if not url:
            continue
        try:
            if kind == "chapters":
                if not ep.chapters:
                    data = read_limited(url, max_bytes=MAX_SIDECAR_BYTES)
                    extra["chapters"] = sorted(json_chapters(data), key=lambda c: c["start"])
                extra["chapters_url"] = None
                continue
            suffix, fetched = PurePosixPath(urlsplit(url).path).suffix.lower(), b""
            if not suffix and kind == "transcript":  # Buzzsprout's: the type its feed named
                suffix = _TRANSCRIPT_SUFFIXES.get(ep.transcript_type or "", ".txt")
            elif not suffix:  # a picture from a CDN address: its format by its first bytes
                fetched = read_limited(url, max_bytes=MAX_SIDECAR_BYTES)
                suffix = ".png" if fetched.startswith(b"\x89PNG") else ".jpg"
            folder = "images" if kind == "image" else "transcripts"
            path = root / folder / f"{ep.slug}{suffix}"
            if not path.is_file():
                fetched = fetched or read_limited(url, max_bytes=MAX_SIDECAR_BYTES)
                write_atomic(path, fetched, durable=True)
            extra[kind], extra[f"{kind}_url"] = f"{folder}/{path.name}", None
            if kind == "transcript":
                extra["transcript_type"] = None  # its ending says it now
        except (FeedError, ValueError, KeyError, TypeError) as exc:
            report.append(f"{ep.slug}: {kind} stays on the old host ({exc})")
    return extra


def json_chapters(data: bytes) -> Iterable[dict[str, Any]]:
    """Podcast Index JSON chapters into episode-file chapters (titled ones; the rest are
    table-of-contents markers the format marks with toc: false)."""
    document = json.loads(data.decode("utf-8"))
    for chapter in document["chapters"]:
        if chapter.get("title") and chapter.get("toc", True):
            entry = {"start": float(chapter["startTime"]), "title": str(chapter["title"])}
            if str(chapter.get("url", "")).startswith(("http://", "https://")):
                entry["url"] = chapter["url"]
            yield entry
