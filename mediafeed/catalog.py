"""The show's episodes as the orchestrators read them: each file parsed once per content
and code, through the cache; nothing rendered, so listing a show loads no renderer."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from pathlib import Path
from typing import Any

from mediafeed.cache import Cache, memo_key
from mediafeed.errors import EpisodeError
from mediafeed.model import Episode, Show
from mediafeed.records import episode_from_record, episode_record

CATALOG = "catalog"  # the cache's kind: every episode file's record, by path


def read_show_episodes(
    episodes_dir: Path, cache: Cache, timezone: str | None = None
) -> list[Episode | EpisodeError]:
    """Each episode file with what it holds or what is wrong with it, by name. A file is
    parsed once per content, code and the show's time zone (the zone of its dates written
    without one); its hash comes from the cache while its stat holds.

    The records of a folder are kept as one value, each beside the content hash of the
    file it was parsed from: a large show reads one value, not one per episode."""
    # Here: a build that finds nothing changed reads no episode and needs no YAML parser.
    from mediafeed.episodes import episode_files, parse_episode_file

    key = memo_key(CATALOG, str(episodes_dir), timezone or "")
    stored = cache.get(CATALOG, key)
    known: dict[str, Any] = stored if isinstance(stored, dict) else {}
    records: dict[str, list[Any]] = {}
    found: list[Episode | EpisodeError] = []
    for path in map(str, episode_files(episodes_dir)):
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
        entry = known.get(path)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == digest:
            with contextlib.suppress(KeyError, TypeError, ValueError):  # not a record after all
                found.append(episode_from_record({**entry[1], "source_file": path,
                                                  "revision": digest}))  # fmt: skip
                records[path] = entry
                continue
        try:
            if raw is None:
                with open(path, "rb") as handle:
                    raw = handle.read()
            episode = parse_episode_file(Path(path), raw, timezone)
        except OSError as exc:
            found.append(EpisodeError(exc.strerror or "cannot read", path=path))
            continue
        except EpisodeError as exc:
            found.append(exc)
            continue
        record = episode_record(episode)  # its path and hash are the entry's own
        if record.pop("source_file", None) == path and record.pop("revision", None) == digest:
            records[path] = [digest, record]
        found.append(episode)
    if records != known:
        cache.put(CATALOG, key, records)
    return found


def load_show_episodes(show: Show, cache: Cache) -> list[Episode]:
    """Every episode, newest first; the first broken file is an error."""
    from mediafeed.episodes import ordered_episodes

    return ordered_episodes(read_show_episodes(show.episodes_dir, cache, show.timezone))
