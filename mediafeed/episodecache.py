"""Parsed episode files kept between commands in `.mediafeed/episodes.pickle`, so a show of
thousands of episodes parses only the files that changed since the last command."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from mediafeed import localcache
from mediafeed.beside import forking_is_safe
from mediafeed.errors import EpisodeError
from mediafeed.forked import in_slices
from mediafeed.model import Episode

PARSED_CACHE = ".mediafeed/episodes.pickle"
# Files to parse before a second process pays for forking and sending the episodes back.
PARSE_FORK_FROM = 500
# How a file's bytes become an episode: the path, the bytes and their SHA-256.
Parse = Callable[[Path, bytes, str], Episode]


class ParsedEpisodes:
    """Episodes by file name, reused while the file's inode, size and modification time
    are those it was parsed from.

    A file changed twice within the file system's timestamp resolution keeps its stat, so
    an entry is trusted on stat alone only once its file is older than RACY_NS at the time
    it was last read; until then the text is read again and compared by hash (reading is
    cheap, parsing YAML is not).
    """

    RACY_NS = 2_000_000_000
    FORMAT = 3  # of the entries; a file of another format reads as empty

    def __init__(self, folder: Path, cache_path: Path, parse: Parse):
        self.folder = folder
        self.cache_path = cache_path
        self.parse = parse
        self._saved = localcache.load_dict(cache_path, (self.FORMAT, str(folder)))
        # name -> (inode, size, mtime_ns, checked_ns, sha256 of the text, episode)
        self.entries: dict[str, tuple[int, int, int, int, str, Episode]] = dict(self._saved)
        self.dirty = False

    def episode(self, name: str, stat: os.stat_result) -> Episode:
        entry = self.entries.get(name)
        if (entry and entry[:3] == (stat.st_ino, stat.st_size, stat.st_mtime_ns)
                and stat.st_mtime_ns < entry[3] - self.RACY_NS):  # fmt: skip
            return entry[5]
        checked = time.time_ns()
        path = self.folder / name
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise EpisodeError(exc.strerror or "cannot read", path=path) from None
        digest = hashlib.sha256(raw).hexdigest()
        episode = entry[5] if entry and entry[4] == digest else self.parse(path, raw, digest)
        same = entry is not None and entry[:3] == (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        self.entries[name] = (stat.st_ino, stat.st_size, stat.st_mtime_ns, checked,
                              digest, episode)  # fmt: skip
        # Worth writing down when the file changed, or when it is now old enough to be
        # trusted on its stat; a file still too new is read again next time either way.
        if not same or entry is None or stat.st_mtime_ns < checked - self.RACY_NS:
            self.dirty = True
        return episode

    def known(self, name: str, stat: os.stat_result) -> bool:
        """Whether the file is parsed already as it is now (by its stat)."""
        entry = self.entries.get(name)
        return entry is not None and entry[:3] == (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def parse_beforehand(self, files: list[tuple[str, os.stat_result]]) -> None:
        """Parse many new or changed files in forked processes, one per core: parsing
        YAML is most of reading a show for the first time. What they parsed comes back
        into this cache; a file they could not parse is parsed again in `episode`, which
        raises its error here."""
        processes = os.cpu_count() or 1
        if len(files) < PARSE_FORK_FROM or processes < 2 or not forking_is_safe():
            return
        for parsed in in_slices(self._parsed, files, processes=processes):
            self.entries.update(parsed)
            self.dirty = self.dirty or bool(parsed)

    def _parsed(self, files: Sequence[tuple[str, os.stat_result]]
                ) -> dict[str, tuple[int, int, int, int, str, Episode]]:  # fmt: skip
        found = {}
        for name, stat in files:
            with contextlib.suppress(EpisodeError):
                self.episode(name, stat)
                found[name] = self.entries[name]
        return found

    def forget_all_but(self, names: set[str]) -> None:
        for name in set(self.entries) - names:
            del self.entries[name]
            self.dirty = True

    def save(self) -> None:
        if self.dirty:
            try:
                localcache.save_dict(self.cache_path, (self.FORMAT, str(self.folder)),
                                     self._saved, self.entries)  # fmt: skip
            except OSError:
                return  # a read-only show folder still builds, only slower
            self._saved = dict(self.entries)
            self.dirty = False


# One per folder and process: `publish` checks the show, then builds it.
_caches: dict[Path, ParsedEpisodes] = {}


def parsed_cache(folder: Path, parse: Parse) -> ParsedEpisodes:
    """The cache of the episodes folder, made on first use in this process."""
    folder = folder.absolute()
    if folder not in _caches:
        _caches[folder] = ParsedEpisodes(folder, folder.parent / PARSED_CACHE, parse)
    return _caches[folder]
