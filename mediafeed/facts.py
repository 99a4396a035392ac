"""The facts `check` probes from media files, once per content of a file, through the cache.

A first check of a show probes every media file, reading each whole (its hash, and for
MPEG audio every frame). Two are probed at once: hashing frees the interpreter, so one
file's frames are walked while another's bytes are hashed.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from mediafeed.cache import Cache, memo_key, signature
from mediafeed.errors import MediaError
from mediafeed.model import MediaInfo

PROBERS = 2  # one walking frames while the other hashes; more only share the same cores

# A file's stat and the time before it was probed, and its facts or what is wrong with it.
Probed = tuple[os.stat_result, int, MediaInfo | MediaError]


class MediaFacts:
    def __init__(self, cache: Cache, *, verify: bool) -> None:
        self.cache = cache
        self.verify = verify  # probe every file again
        self.ahead: dict[Path, Probed | MediaInfo] = {}  # what `probe` will be asked for

    def probe_ahead(self, paths: Iterable[Path]) -> None:
        """Probe these files now, those not seen before several at once; `probe` then takes
        each file's facts, and remembers those probed."""
        todo = []
        for path in sorted({path for path in paths if path.is_file()}):
            found = self.remembered(path)
            if found is None:
                todo.append(path)
            else:
                self.ahead[path] = found
        with ThreadPoolExecutor(max_workers=PROBERS) as pool:
            self.ahead.update(zip(todo, pool.map(_probed, todo), strict=True))

    def remembered(self, path: Path) -> MediaInfo | None:
        """The facts probed before from a file with this content, unless `verify`."""
        digest = None if self.verify else self.cache.known_sha256(path, path.stat())
        if digest is not None:
            known = self.cache.get("probe", memo_key("probe", digest))
            with contextlib.suppress(TypeError):
                if isinstance(known, dict):
                    return MediaInfo(**known)
        return None

    def probe(self, path: Path) -> MediaInfo:
        """The file's facts; a MediaError if it is not media this project reads."""
        ahead = self.ahead.pop(path, None)
        if isinstance(ahead, MediaInfo):
            return ahead
        if ahead is None:
            found = self.remembered(path)
            if found is not None:
                return found
            ahead = _probed(path)
        stat, started, info = ahead
        if isinstance(info, MediaError):
            raise info
        if signature(path.stat()) == signature(stat) and info.length == stat.st_size:
            remember(self.cache, path, stat, info, checked_ns=started)
        return info


def remember(cache: Cache, path: Path, stat: os.stat_result, info: MediaInfo, *,
             checked_ns: int | None = None, written: bool = False) -> None:  # fmt: skip
    """Note `info` as the facts of the file with `stat`: probed from `checked_ns` on, or
    `written` by this command, which knows what it wrote."""
    cache.remember_sha256(path, stat, info.sha256, checked_ns=checked_ns, written=written)
    cache.put("probe", memo_key("probe", info.sha256), asdict(info))


def note_written(root: Path, path: Path, info: MediaInfo) -> None:
    """Note the facts of a media file this command wrote and read as it went (add, tag,
    normalize, a download): the check before the next publish need not read it again."""
    with Cache(root) as cache:
        remember(cache, path, path.stat(), info, written=True)


def _probed(path: Path) -> Probed:
    from mediafeed.media.probe import probe  # mutagen, only for media not seen before

    stat, started = path.stat(), time.time_ns()
    try:
        return stat, started, probe(path)
    except MediaError as exc:
        return stat, started, exc
