"""`mediafeed import`: write an imported feed into a show folder in place, then move its media.

The folder is written in place, never swapped for another, so a shell standing in it keeps
working. First `mediafeed.import.toml` says which feed is being imported, then each episode
file and the artwork are written whole (a temp file, then a rename), `mediafeed.toml` comes
last and the marker goes. A run stopped anywhere leaves a folder that a re-run of the same
import recognises, by the marker or by the config's [import] table, and finishes; any other
folder that is not empty is refused before anything is written. Later runs on the show add
the feed's new items and, with --download-media, move what is still on the old host.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from mediafeed.commands.init import ARTWORK_NAME, make_artwork, toml
from mediafeed.config import CONFIG_NAME, load_show, parse_show
from mediafeed.episodes import (
    episode_path,
    load_episodes,
    parse_episode_file,
    render_episode_file,
    write_text_atomic,
)
from mediafeed.errors import ConfigError, FeedError
from mediafeed.facts import note_written
from mediafeed.migrate.download import MAX_SIDECAR_BYTES, head_length, read_limited
from mediafeed.migrate.fetch import move_media
from mediafeed.migrate.importer import ImportedEpisode, ImportedFeed, parse_feed
from mediafeed.model import Origin, Progress
from mediafeed.output import write_atomic
from mediafeed.render.feed import podcast_guid

MARKER = "mediafeed.import.toml"  # an import under way: which feed it is
COVER = "cover"  # the downloaded artwork's name; the placeholder is ARTWORK_NAME
NO_VALUE: tuple[object, ...] = (None, "", [])  # a config leaves these out


@dataclass(frozen=True)
class ImportReport:
    root: Path
    imported: tuple[str, ...]  # slugs of every episode of the show
    added: tuple[str, ...]  # episode files this run wrote
    downloaded: tuple[str, ...]  # slugs whose media moved into the show this run
    report: tuple[str, ...]  # one line per value guessed or changed, per item left out
    failed: tuple[str, ...] = ()  # downloads that did not complete

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "root": str(self.root)}


def import_feed(
    source: str, root: Path, *, download_media: bool = False, progress: Progress
) -> ImportReport:
    """Import FEED (URL or file) into `root`, or finish an import of the same feed there;
    with `download_media`, also move the media, artwork, chapters and transcripts."""
    feed = parse_feed(read_limited(source), source)
    address = source if "://" in source else str(Path(source).resolve())
    origin = Origin(feed=address, title=feed.show["title"], guid=feed.show["guid"])
    state = _state(root, origin)
    if state != "new":
        _remove_stale_temp_files(root)
    lines = list(feed.report)
    known = {} if state == "new" else {ep.guid: ep.slug for ep in load_episodes(root / "episodes")}
    new = _unclash([ep for ep in feed.episodes if ep.fields["guid"] not in known], known, lines)
    if not download_media:
        _lengths(new, lines)
    texts = {
        episode_path(root / "episodes", ep.slug): render_episode_file(ep.fields, ep.notes)
        for ep in new
    }
    for path, text in texts.items():  # each must read back before any is written
        parse_episode_file(path, text.encode("utf-8"))
    _write(root, state, feed, origin, texts, source)
    downloaded, failed = _download(root, feed, progress, lines) if download_media else ((), ())
    if not download_media and any(ep.fields["enclosure_url"] for ep in new):
        lines.append("media stay on the old host until you import with --download-media")
    return ImportReport(
        root,
        imported=tuple(ep.slug for ep in load_episodes(root / "episodes")),
        added=tuple(ep.slug for ep in new),
        downloaded=downloaded,
        report=tuple(lines),
        failed=failed,
    )


def _remove_stale_temp_files(root: Path) -> None:
    """Temp files a stopped run left beside the files it was writing (see `write_atomic`)."""
    for folder in (root, *(root / name for name in ("episodes", "media", "images", "transcripts"))):
        for stale in folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)


def _state(root: Path, origin: Origin) -> str:
    """ "new" (empty or absent), "partial" (a stopped import of this feed) or "show" (a
    show imported from this feed); anything else is refused, with nothing changed."""
    shown = Path(os.path.abspath(root))
    if not root.exists():
        return "new"
    if not root.is_dir():
        raise ConfigError("is not a folder", path=shown)
    if (root / CONFIG_NAME).is_file():
        recorded = load_show(root).origin
        if recorded is None:
            raise ConfigError(
                "holds a show that was not imported ('mediafeed import' made no [import] "
                "table); nothing was changed",
                path=shown / CONFIG_NAME,
            )
        _same(recorded, origin, shown / CONFIG_NAME)
        return "show"
    if (root / MARKER).is_file():
        _same(_marker_origin(root / MARKER), origin, shown / MARKER)
        return "partial"
    # The marker's temp file alone: a run stopped before the marker was in place.
    names = sorted(
        n for n in os.listdir(root) if not re.fullmatch(rf"\.{re.escape(MARKER)}\.\w+\.tmp", n)
    )
    if names:
        listed = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise ConfigError(
            f"is not empty ({listed}); import into an empty or a new folder. Nothing was changed",
            path=shown,
        )
    return "new"


def _same(recorded: Origin, origin: Origin, where: Path) -> None:
    """The same feed: the same podcast:guid when both have one, else the same address
    and the same title."""
    if recorded.guid and origin.guid:
        same = recorded.guid == origin.guid
    else:
        same = recorded.feed == origin.feed and recorded.title == origin.title
    if not same:
        raise ConfigError(
            f"holds the show imported from {recorded.feed} ({recorded.title!r}), not from "
            f"this feed ({origin.title!r}); nothing was changed",
            path=where,
        )


def _marker_origin(path: Path) -> Origin:
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8-sig"))["import"]
        return Origin(feed=table["feed"], title=table["title"], guid=table.get("guid"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        raise ConfigError("is damaged; delete it to import again", path=path) from None


def _unclash(
    new: list[ImportedEpisode], known: dict[str, str], lines: list[str]
) -> list[ImportedEpisode]:
    """New items whose slug an episode already in the show has get a suffix."""
    taken = set(known.values())
    result = []
    for ep in new:
        slug, suffix = ep.slug, 2
        while slug in taken:
            slug, suffix = f"{ep.slug}-{suffix}", suffix + 1
        if slug != ep.slug:
            lines.append(f"{ep.label}: slug {ep.slug!r} is taken in this show; {slug!r}")
        taken.add(slug)
        result.append(dataclasses.replace(ep, slug=slug))
    return result


def _lengths(new: Sequence[ImportedEpisode], lines: list[str]) -> None:
    """Enclosures the feed gave no length get the server's (HEAD requests, a few at once)."""
    missing = [ep for ep in new if not ep.fields["length"]]
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(head_length, [ep.fields["enclosure_url"] for ep in missing]))
    for ep, length in zip(missing, found, strict=True):
        if length:
            ep.fields["length"] = length
            lines.append(f"{ep.label}: no enclosure length; {length} taken from the server")
        else:
            lines.append(
                f"{ep.label}: no enclosure length and the server gives none; written as 0 "
                "until --download-media measures the file"
            )


def _write(
    root: Path,
    state: str,
    feed: ImportedFeed,
    origin: Origin,
    texts: dict[Path, str],
    source: str,
) -> None:
    """The episode files, and for a new show the marker, artwork and config (last)."""
    made: list[Path] = []
    try:
        if state == "new":
            write_atomic(root / MARKER, _import_table(origin).encode("utf-8"), durable=True)
            made.append(root / MARKER)
        for folder in ("episodes", "media"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        if state != "show" and not (root / ARTWORK_NAME).exists():
            make_artwork(root / ARTWORK_NAME, feed.show["title"])
            made.append(root / ARTWORK_NAME)
        for path, text in texts.items():
            write_text_atomic(path, text)
            made.append(path)
        if state != "show":
            show = dict(feed.show)
            if not show["guid"] and "://" in source:
                show["guid"] = podcast_guid(source)
            text = config_text(show, origin)
            parse_show(root, root / CONFIG_NAME, tomllib.loads(text))
            write_text_atomic(root / CONFIG_NAME, text)
    except BaseException:
        if state == "new":  # a failure, not a stop: leave the folder as it was
            for path in reversed(made):
                path.unlink(missing_ok=True)
            for folder in ("episodes", "media"):
                if (root / folder).is_dir() and not any((root / folder).iterdir()):
                    (root / folder).rmdir()
        raise
    (root / MARKER).unlink(missing_ok=True)


def _import_table(origin: Origin) -> str:
    return "\n".join(["[import]", *_assignments(dataclasses.asdict(origin), "feed title guid"), ""])


def _assignments(table: dict[str, Any], keys: str) -> list[str]:
    """`key = value` for each of `keys` in turn; one without a value in `table` is left out."""
    return [f"{key} = {toml(table[key])}" for key in keys.split() if table.get(key) not in NO_VALUE]


def config_text(show: dict[str, Any], origin: Origin) -> str:
    """mediafeed.toml for an imported show, with the [import] table that names its feed."""
    settings = {**show, "artwork": ARTWORK_NAME}
    lines = [
        "# Imported from an existing feed. Check every value before publishing.",
        *_assignments(settings, "title description author language categories explicit type"),
        *_assignments(settings, "artwork link copyright"),
    ]
    if show.get("guid"):
        lines.append("# podcast:guid stays the same on every host: never change it.")
    lines += _assignments(settings, "guid locked medium keywords license funding persons podroll")
    lines += ["", "[owner]", *_assignments(show["owner"], "name email"), ""]
    lines += ["# The feed this show was imported from: a later import checks it is the same."]
    return "\n".join(lines) + "\n" + _import_table(origin)


def _download(
    root: Path, feed: ImportedFeed, progress: Progress, lines: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if feed.artwork_url:
        _cover(root, feed.artwork_url, lines)
    remote = [ep for ep in load_episodes(root / "episodes") if ep.enclosure_url]
    progress.start(sum(ep.media.length for ep in remote), len(remote))
    moved = move_media(root, remote, progress.advance, lines, partial(note_written, root))
    progress.done()
    return moved


def _cover(root: Path, url: str, lines: list[str]) -> None:
    """The feed's cover replaces the placeholder, once: a show whose config names other
    artwork keeps it."""
    config = root / CONFIG_NAME
    text = config.read_text(encoding="utf-8")
    placeholder = f"artwork = {toml(ARTWORK_NAME)}"
    if placeholder not in text.splitlines():
        return
    suffix = ".png" if url.lower().split("?")[0].endswith(".png") else ".jpg"
    if not (root / f"{COVER}{suffix}").is_file():  # else fetched by a run stopped after
        try:
            data = read_limited(url, max_bytes=MAX_SIDECAR_BYTES * 4)
        except FeedError as exc:
            lines.append(f"artwork not downloaded ({exc}); the placeholder stays")
            return
        write_atomic(root / f"{COVER}{suffix}", data, durable=True)
    write_text_atomic(config, text.replace(placeholder, f"artwork = {toml(COVER + suffix)}", 1))
