"""Moving a show to mediafeed: write the imported feed as a show folder, then fetch its media.

The show folder is assembled in a hidden sibling folder, validated as a whole, and only then
moved into place, so a failed import leaves nothing behind. Media downloads come after and
each one updates its own episode file, so an interrupted download resumes on the next run.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from mediafeed.commands.init import ARTWORK_NAME, make_artwork
from mediafeed.config import CONFIG_NAME, load_show
from mediafeed.episodes import (
    episode_path,
    load_episodes,
    render_episode_file,
    split_front_matter,
    write_text_atomic,
)
from mediafeed.errors import ConfigError, FeedError, MediafeedError
from mediafeed.media.probe import extension_for, probe
from mediafeed.migrate.download import (
    MAX_SIDECAR_BYTES,
    check_url,
    download,
    read_limited,
)
from mediafeed.migrate.importer import ImportedEpisode, ImportedFeed, parse_feed
from mediafeed.model import Progress
from mediafeed.render.feed import podcast_guid

AUDIO_SUFFIXES = {
    ".mp3",
    ".m4a",
    ".m4b",
    ".mp4",
    ".aac",
    ".ogg",
    ".opus",
    ".oga",
    ".flac",
    ".wav",
    ".mov",
    ".webm",
}


@dataclass(frozen=True)
class ImportReport:
    root: Path
    imported: tuple[str, ...]  # slugs written
    downloaded: tuple[str, ...]  # slugs whose media now lives in the show
    problems: tuple[str, ...]  # items skipped or changed, one line each
    failed: tuple[str, ...] = ()  # downloads that did not complete


def import_feed(
    source: str, root: Path, *, download_media: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Import FEED (URL or file) into `root`; with `download_media`, also move the media,
    artwork, chapters and transcripts. On an already imported show, finish the downloads."""
    feed = parse_feed(read_limited(source), source)
    if (root / CONFIG_NAME).exists():
        if not download_media:
            raise ConfigError(
                "a show already exists here (add --download-media to finish moving its media)",
                path=root / CONFIG_NAME,
            )
        return _download_all(root, feed, [], progress)
    if root.exists() and any(root.iterdir()):
        raise ConfigError("folder is not empty; import into a new folder", path=root)
    problems = list(feed.problems)
    _place(root, feed, source)
    if not download_media:
        problems.append("media stay on the old host until you import with --download-media")
        return ImportReport(root, tuple(ep.slug for ep in feed.episodes), (), tuple(problems))
    return _download_all(root, feed, problems, progress)


def _place(root: Path, feed: ImportedFeed, source: str) -> None:
    root.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{root.name}.import-", dir=root.parent))
    try:
        (stage / "episodes").mkdir()
        (stage / "media").mkdir()
        make_artwork(stage / ARTWORK_NAME, feed.show["title"])
        show = dict(feed.show)
        if not show["guid"] and "://" in source:
            show["guid"] = podcast_guid(source)
        write_text_atomic(stage / CONFIG_NAME, config_text(show))
        for episode in feed.episodes:
            write_text_atomic(
                episode_path(stage / "episodes", episode.slug),
                render_episode_file(episode.fields, episode.notes),
            )
        load_show(stage)  # everything written must read back, or nothing is kept
        load_episodes(stage / "episodes")
        if root.exists():
            root.rmdir()
        os.replace(stage, root)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def config_text(show: dict[str, Any]) -> str:
    """mediafeed.toml for an imported show. JSON strings are valid TOML basic strings."""

    def q(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [
        "# Imported from an existing feed. Check every value before publishing.",
        f"title = {q(show['title'])}",
        f"description = {q(show['description'])}",
        f"author = {q(show['author'])}",
        f"language = {q(show['language'])}",
        f"categories = {q(show['categories'])}",
        f"explicit = {str(show['explicit']).lower()}",
        f"type = {q(show['type'])}",
        f'artwork = "{show.get("artwork", ARTWORK_NAME)}"',
        f"link = {q(show['link'])}",
    ]
    if show.get("copyright"):
        lines.append(f"copyright = {q(show['copyright'])}")
    if show.get("guid"):
        lines.append("# podcast:guid stays the same on every host: never change it.")
        lines.append(f"guid = {q(show['guid'])}")
    lines.append(f"locked = {str(show['locked']).lower()}")
    lines += [
        "",
        "[owner]",
        f"name = {q(show['owner']['name'])}",
        f"email = {q(show['owner']['email'])}",
        "",
    ]
    return "\n".join(lines)


def _download_all(
    root: Path, feed: ImportedFeed, problems: list[str], progress: Progress | None
) -> ImportReport:
    by_guid = {ep.fields["guid"]: ep for ep in feed.episodes}
    episodes = load_episodes(root / "episodes")
    remote = [ep for ep in episodes if ep.enclosure_url]
    if progress:
        progress.start(sum(ep.media.length for ep in remote), len(remote))
    advance = progress.advance if progress else (lambda n: None)
    if feed.artwork_url:
        _artwork(root, feed.artwork_url, problems)
    downloaded, failed = [], []
    for ep in remote:
        assert ep.enclosure_url is not None
        try:
            source = by_guid.get(ep.guid)
            extra = _side_files(root, source, problems) if source else {}
            target = root / "media" / f"{ep.slug}{_suffix(ep.enclosure_url, ep.media.mime_type)}"
            download(ep.enclosure_url, target, advance=advance)
            info = probe(target)
            proper = target.with_suffix(extension_for(info))
            if proper != target:
                os.replace(target, proper)
            _rewrite(
                ep.source,
                {
                    "enclosure_url": None,
                    "audio": f"media/{proper.name}",
                    "duration": round(info.duration, 3),
                    "length": info.length,
                    "mime_type": info.mime_type,
                    "sha256": info.sha256,
                    **extra,
                },
            )
            if info.length != ep.media.length:
                problems.append(
                    f"{ep.slug}: the feed said {ep.media.length} bytes, the file has "
                    f"{info.length}; the new feed tells the truth"
                )
            downloaded.append(ep.slug)
        except MediafeedError as exc:
            failed.append(f"{ep.slug}: {exc}")
    if progress:
        progress.done()
    imported = tuple(ep.slug for ep in episodes)
    return ImportReport(root, imported, tuple(downloaded), tuple(problems), tuple(failed))


def _suffix(url: str, mime: str) -> str:
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return suffix
    return mimetypes.guess_extension(mime) or ".bin"


def _rewrite(path: Path, changes: dict[str, Any]) -> None:
    fields, notes = split_front_matter(path.read_text(encoding="utf-8"), path)
    fields.update(changes)
    write_text_atomic(path, render_episode_file(fields, notes.strip("\n")))


def _artwork(root: Path, url: str, problems: list[str]) -> None:
    suffix = ".png" if urlsplit(url).path.lower().endswith(".png") else ".jpg"
    try:
        check_url(url)
        data = read_limited(url, max_bytes=MAX_SIDECAR_BYTES * 4)
    except FeedError as exc:
        problems.append(f"artwork not downloaded ({exc}); a placeholder is in its place")
        return
    name = f"artwork{suffix}"
    (root / name).write_bytes(data)
    config = root / CONFIG_NAME
    text = config.read_text(encoding="utf-8").replace(
        f'artwork = "{ARTWORK_NAME}"', f'artwork = "{name}"'
    )
    write_text_atomic(config, text)


def _side_files(root: Path, source: ImportedEpisode, problems: list[str]) -> dict[str, Any]:
    """Episode art, JSON chapters and a transcript, fetched into the show."""
    extra: dict[str, Any] = {}
    for kind, url in (
        ("image", source.image_url),
        ("chapters", source.chapters_url),
        ("transcript", source.transcript_url),
    ):
        if not url:
            continue
        try:
            check_url(url)
            data = read_limited(url, max_bytes=MAX_SIDECAR_BYTES)
            if kind == "chapters":
                extra["chapters"] = list(_json_chapters(data))
                continue
            suffix = PurePosixPath(urlsplit(url).path).suffix.lower() or ".txt"
            folder = "images" if kind == "image" else "transcripts"
            path = root / folder / f"{source.slug}{suffix}"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            extra[kind] = f"{folder}/{path.name}"
        except (FeedError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{source.slug}: {kind} not kept ({exc})")
    return extra


def _json_chapters(data: bytes) -> Iterable[dict[str, Any]]:
    """Podcast Index JSON chapters into episode-file chapters (titled ones; the rest are
    table-of-contents markers the format marks with toc: false)."""
    document = json.loads(data.decode("utf-8"))
    for chapter in document["chapters"]:
        if chapter.get("title") and chapter.get("toc", True):
            entry = {"start": float(chapter["startTime"]), "title": str(chapter["title"])}
            if str(chapter.get("url", "")).startswith(("http://", "https://")):
                entry["url"] = chapter["url"]
            yield entry
