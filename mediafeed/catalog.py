"""The show's episodes as the orchestrators read them: each file parsed once per content
and code, through the cache; nothing rendered, so listing a show loads no renderer."""

from __future__ import annotations

import hashlib
import os
import time
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any
from zlib import crc32

from mediafeed.cache import Cache, memo_key
from mediafeed.errors import EpisodeError
from mediafeed.model import Episode, Show
from mediafeed.output import markdown_files
from mediafeed.records import episode_from_record, episode_record
from mediafeed.workers import Apart, Processes

CATALOG = "catalog"  # the cache's kind: every episode file's record, by path
# The records of a folder are kept in this many values, each file's by its name: adding an
# episode to a large show writes back one small value, not the record of every episode.
SHARDS = 256


def read_show_episodes(
    episodes_dir: Path,
    cache: Cache,
    timezone: str | None = None,
    processes: Processes | None = None,
) -> list[Episode | EpisodeError]:
    """Each episode file with what it holds or what is wrong with it, by name. A file is
    parsed once per content, code and the show's time zone (the zone of its dates written
    without one), thousands at once in `processes`; its hash comes from the cache while its
    stat holds.

    The records of a folder are kept in a few values, each record beside the content hash
    of the file it was parsed from: a large show reads a few values, not one per episode."""
    folder = str(episodes_dir)
    shard_keys = [memo_key(CATALOG, folder, timezone or "", f"{n}") for n in range(SHARDS)]
    stored = cache.get_many(CATALOG, shard_keys)
    known = [value if isinstance(value := stored.get(key), dict) else {} for key in shard_keys]
    records: list[dict[str, Any]] = [{} for _ in shard_keys]
    found: list[Episode | EpisodeError | None] = []
    todo: list[tuple[int, str, str]] = []  # the files to parse: their place, path and hash
    parse = Apart(partial(_parsed_all, timezone), processes)
    for path in markdown_files(folder):
        raw = None
        try:
            stat = os.stat(path)
            digest = cache.known_sha256(path, stat)
            if digest is None:
                started = time.time_ns()
                with open(path, "rb") as handle:
                    raw = handle.read()
                digest = hashlib.sha256(raw).hexdigest()
                cache.remember_sha256(path, stat, digest, checked_ns=started)
        except OSError as exc:  # vanished or unreadable
            found.append(EpisodeError(exc.strerror or "cannot read", path=path))
            continue
        shard = _shard(path)
        entry = known[shard].get(path)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == digest:
            try:
                found.append(episode_from_record(entry[1], source_file=path, revision=digest))
            except (KeyError, TypeError, ValueError):  # not a record after all
                pass
            else:
                records[shard][path] = entry
                continue
        todo.append((len(found), path, digest))
        found.append(None)
        parse.add((path, raw))
    parsed = chain.from_iterable(parse.results())
    for (index, path, digest), episode in zip(todo, parsed, strict=True):
        found[index] = episode
        if isinstance(episode, Episode):
            record = episode_record(episode)  # its path and hash are the entry's own
            if record.pop("source_file", None) == path and record.pop("revision", None) == digest:
                records[_shard(path)][path] = [digest, record]
    for key, new in zip(shard_keys, records, strict=True):
        if new != stored.get(key, {}):
            cache.put(CATALOG, key, new)
    return [episode for episode in found if episode is not None]


def _shard(path: str) -> int:
    return crc32(os.path.basename(path).encode("utf-8", "surrogatepass")) % SHARDS


def _parsed_all(
    timezone: str | None, files: list[tuple[str, bytes | None]]
) -> list[Episode | EpisodeError]:
    """The episodes these files hold, or what is wrong with each; `None` bytes: read it."""
    # Here: a build that finds nothing changed reads no episode and needs no YAML parser.
    from mediafeed.episodes import parse_episode_file

    found: list[Episode | EpisodeError] = []
    for path, raw in files:
        try:
            if raw is None:
                with open(path, "rb") as handle:
                    raw = handle.read()
            found.append(parse_episode_file(Path(path), raw, timezone))
        except OSError as exc:
            found.append(EpisodeError(exc.strerror or "cannot read", path=path))
        except EpisodeError as exc:
            found.append(exc)
    return found


def load_show_episodes(
    show: Show, cache: Cache, processes: Processes | None = None
) -> list[Episode]:
    """Every episode, newest first; the first broken file is an error."""
    from mediafeed.episodes import ordered_episodes

    return ordered_episodes(read_show_episodes(show.episodes_dir, cache, show.timezone, processes))
