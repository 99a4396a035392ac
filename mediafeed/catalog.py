"""The show's episodes as the orchestrators read them: each file parsed once per content
and code, through the cache; nothing rendered, so listing a show loads no renderer."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from pathlib import Path

from mediafeed.cache import Cache, memo_key
from mediafeed.episodes import episode_files, ordered_episodes, parse_episode_file
from mediafeed.errors import EpisodeError
from mediafeed.model import Episode, Show
from mediafeed.records import episode_from_record, episode_record


def read_show_episodes(
    episodes_dir: Path, cache: Cache, timezone: str | None = None
) -> list[Episode | EpisodeError]:
    """Each episode file with what it holds or what is wrong with it, by name. A file is
    parsed once per content, code and the show's time zone (the zone of its dates written
    without one); its hash comes from the cache while its stat holds."""
    paths = [str(path) for path in episode_files(episodes_dir)]
    read: dict[str, bytes] = {}
    made_from: dict[str, str] = {}
    for path in paths:
        with contextlib.suppress(OSError):  # vanished or unreadable: parsing it says so
            stat = os.stat(path)
            digest = cache.known_sha256(path, stat)
            if digest is None:
                started = time.time_ns()
                with open(path, "rb") as handle:
                    read[path] = handle.read()
                digest = hashlib.sha256(read[path]).hexdigest()
                cache.remember_sha256(path, stat, digest, checked_ns=started)
            made_from[path] = memo_key("episode", path, digest, timezone or "")
    known = cache.get_many("episode", list(made_from.values()))
    found: list[Episode | EpisodeError] = []
    for path in paths:
        key = made_from.get(path, "")
        if key in known:
            with contextlib.suppress(KeyError, TypeError, ValueError):  # not a record after all
                found.append(episode_from_record(known[key]))
                continue
        try:
            raw = read.get(path)
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
        if key:
            cache.put("episode", key, episode_record(episode))
        found.append(episode)
    return found


def load_show_episodes(show: Show, cache: Cache) -> list[Episode]:
    """Every episode, newest first; the first broken file is an error."""
    return ordered_episodes(read_show_episodes(show.episodes_dir, cache, show.timezone))
