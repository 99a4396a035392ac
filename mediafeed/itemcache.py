"""Serialized feed items kept between builds, so a rebuild renders only the items that changed.

Each entry is the exact text an episode's `<item>` has inside feed.xml, keyed by a
fingerprint of everything the item is made from: the episode, the show fields items read,
the base URL and the code and libraries that render and serialize it. The feed module
renders what is missing and splices the rest. A missing or damaged file costs a full
render, never an error; entries a build did not use are dropped when it saves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from mediafeed import localcache
from mediafeed.model import Episode
from mediafeed.rendercache import episode_inputs, fingerprint

# Bumped when the meaning of a stored entry changes; another value reads as an empty cache.
FORMAT = 3


def episode_key(episode: Episode) -> str:
    """What one episode's item is made from: its file's content hash (see
    `rendercache.episode_inputs`), or every field of an episode made in memory."""
    return repr(episode_inputs(episode))


class ItemCache:
    """Item fragments by fingerprint, read on first use and written by `save`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rendered = 0  # items rendered afresh, not taken from the cache
        self._old: dict[str, bytes] | None = None
        self._new: dict[str, bytes] = {}

    def keys(self, scope: object, episodes: Sequence[Episode]) -> list[str]:
        """One key per episode; `scope` is what every item of the feed shares."""
        self._loaded()
        base = fingerprint(FORMAT, scope)
        return [fingerprint(base, episode_key(episode)) for episode in episodes]

    def get(self, key: str) -> bytes | None:
        fragment = self._loaded().get(key)
        if fragment is not None:
            self._new[key] = fragment
        return fragment

    def put(self, key: str, fragment: bytes) -> None:
        self.rendered += 1
        self._new[key] = fragment

    def save(self) -> None:
        """Keep exactly the entries this build used. A build that rendered no feed leaves
        the file alone, so an unchanged rebuild neither reads nor rewrites it."""
        if self._old is None or self._new == self._old:
            return
        # A signed pickle: for 10,000 items five times faster to write and read than JSON.
        # One that cannot be written costs a render next time, nothing else.
        with contextlib.suppress(OSError):
            localcache.save_dict(self.path, FORMAT, self._old, self._new)

    def _loaded(self) -> dict[str, bytes]:
        if self._old is None:
            self._old = _read(self.path)
        return self._old


def _read(path: Path) -> dict[str, bytes]:
    items = localcache.load_dict(path, FORMAT)
    return {key: xml for key, xml in items.items()
            if isinstance(xml, bytes) and xml.startswith(b"<item>")
            and xml.endswith(b"</item>")}  # fmt: skip
