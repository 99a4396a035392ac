"""The show's episodes as the orchestrators read them: each file parsed once per content
and code, through the cache; nothing rendered, so listing a show loads no renderer."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any
from zlib import crc32

from mediafeed.cache import Cache, memo_key
from mediafeed.errors import EpisodeError
from mediafeed.model import Episode, Show
from mediafeed.output import markdown_files
from mediafeed.records import episode_from_record, episode_record

CATALOG = "catalog"  # the cache's kind: every episode file's record, by path
# The records of a folder are kept in this many values, each file's by its name: adding an
# episode to a large show writes back one small value, not the record of every episode.
SHARDS = 256


def read_show_episodes(
    episodes_dir: Path, cache: Cache, timezone: str | None = None
) -> list[Episode | EpisodeError]:
    """Each episode file with what it holds or what is wrong with it, by name. A file is
    parsed once per content, code and the show's time zone (the zone of its dates written
    without one); its hash comes from the cache while its stat holds.

    The records of a folder are kept in a few values, each record beside the content hash
    of the file it was parsed from: a large show reads a few values, not one per episode."""
    folder = str(episodes_dir)
    shard_keys = [memo_key(CATALOG, folder, timezone or "", f"{n}") for n in range(SHARDS)]
    stored = cache.get_many(CATALOG, shard_keys)
    known = [value if isinstance(value := stored.get(key), dict) else {} for key in shard_keys]
    records: list[dict[str, Any]] = [{} for _ in shard_keys]
    found: list[Episode | EpisodeError] = []
    for path in markdown_files(folder):
        shard = crc32(os.path.basename(path).encode("utf-8", "surrogatepass")) % SHARDS
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
        entry = known[shard].get(path)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == digest:
            try:
                found.append(episode_from_record(entry[1], source_file=path, revision=digest))
            except (KeyError, TypeError, ValueError):  # not a record after all
                pass
            else:
                records[shard][path] = entry
                continue
        try:
            episode = _parsed(path, raw, timezone)
        except OSError as exc:
            found.append(EpisodeError(exc.strerror or "cannot read", path=path))
            continue
        except EpisodeError as exc:
            found.append(exc)
            continue
        record = episode_record(episode)  # its path and hash are the entry's own
        if record.pop("source_file", None) == path and record.pop("revision", None) == digest:
            records[shard][path] = [digest, record]
        found.append(episode)
    for key, new in zip(shard_keys, records, strict=True):
        if new != stored.get(key, {}):
            cache.put(CATALOG, key, new)
    return found


def _parsed(path: str, raw: bytes | None, timezone: str | None) -> Episode:
    # Here: a build that finds nothing changed reads no episode and needs no YAML parser.
    from mediafeed.episodes import parse_episode_file

    if raw is None:
        with open(path, "rb") as handle:
            raw = handle.read()
    return parse_episode_file(Path(path), raw, timezone)


def load_show_episodes(show: Show, cache: Cache) -> list[Episode]:
    """Every episode, newest first; the first broken file is an error."""
    from mediafeed.episodes import ordered_episodes

    return ordered_episodes(read_show_episodes(show.episodes_dir, cache, show.timezone))
