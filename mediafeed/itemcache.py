"""Rendered fragments kept between builds, so a rebuild renders only the episodes that changed.

Two kinds: feed items (the exact text an episode's `<item>` has inside feed.xml) and the
rows of the episode lists on the show and year pages. Each entry is keyed by everything it
is made from: the episode, plus a scope the caller gives (the show fields it reads, the
base URL, the page, and the code and libraries that render it). The renderer makes what
is missing and splices the rest. A missing or damaged file costs a full render, never an
error; entries a build did not use are dropped when it saves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from mediafeed import localcache
from mediafeed.model import Episode
from mediafeed.rendercache import episode_inputs, fingerprint

# Bumped when the meaning of a stored entry changes; another value reads as an empty cache.
FORMAT = 4


def episode_key(episode: Episode) -> str:
    """What one episode's fragment is made from: its file's content hash (see
    `rendercache.episode_inputs`), or every field of an episode made in memory."""
    return repr(episode_inputs(episode))


class FragmentCache:
    """Fragments by key, read on first use and written by `save`; each begins with `start`
    and ends with `end`, and an entry that does not is rendered again."""

    def __init__(self, path: Path, *, start: bytes, end: bytes) -> None:
        self.path = path
        self.start = start
        self.end = end
        self.rendered = 0  # fragments rendered afresh, not taken from the cache
        self._old: dict[str, bytes] | None = None
        self._new: dict[str, bytes] = {}

    def keys(self, scope: object, episodes: Sequence[Episode]) -> list[str]:
        """One key per episode; `scope` is what every fragment of the document shares.
        The episode's part is joined to the scope's hash, not hashed again: one hash per
        document instead of one per episode."""
        self._loaded()
        base = fingerprint(FORMAT, scope)
        return [base + episode_key(episode) for episode in episodes]

    def get(self, key: str) -> bytes | None:
        fragment = self._loaded().get(key)
        if fragment is not None:
            self._new[key] = fragment
        return fragment

    def put(self, key: str, fragment: bytes) -> None:
        self.rendered += 1
        self._new[key] = fragment

    def save(self) -> None:
        """Keep exactly the entries this build used. A build that rendered nothing from
        this cache leaves the file alone, so an unchanged rebuild neither reads nor
        rewrites it."""
        if self._old is None or self._new == self._old:
            return
        # A signed pickle: for 10,000 items five times faster to write and read than JSON.
        # One that cannot be written costs a render next time, nothing else.
        with contextlib.suppress(OSError):
            localcache.save_dict(self.path, FORMAT, self._old, self._new)

    def _loaded(self) -> dict[str, bytes]:
        if self._old is None:
            items = localcache.load_dict(self.path, FORMAT)
            self._old = {key: text for key, text in items.items()
                         if isinstance(text, bytes) and text.startswith(self.start)
                         and text.endswith(self.end)}  # fmt: skip
        return self._old


class ItemCache(FragmentCache):
    """Feed items: `<item>` elements as serialized in feed.xml."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, start=b"<item>", end=b"</item>")


class RowCache(FragmentCache):
    """Rows of the show's and the year pages' episode lists: `<li>` elements. `scope` is
    what all rows of every page share (the show, its templates, the base URL)."""

    def __init__(self, path: Path, scope: object) -> None:
        super().__init__(path, start=b"<li>", end=b"</li>\n")
        self.scope = scope
