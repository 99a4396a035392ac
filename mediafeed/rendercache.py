"""Fingerprints of what each built file was made from, so a rebuild renders only what changed.

A fingerprint is a hash of the inputs' repr (frozen dataclasses, so every field counts),
the base URL and the package version. An output is reused only while its fingerprint is
unchanged and the file is still there; a damaged or missing cache costs a full render.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from mediafeed import __version__, localcache
from mediafeed.localcache import write_atomic
from mediafeed.model import Episode


def fingerprint(*parts: object) -> str:
    digest = hashlib.sha256(__version__.encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def episode_inputs(ep: Episode) -> object:
    """What an episode's outputs are made from: its file's slug and content hash, which
    is far cheaper to hash than every field (an episode made in memory has no file)."""
    return (ep.slug, ep.revision) if ep.revision else ep


def stamp(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """A file's size and modification time, None if it is missing: enough to tell that
    an input changed without reading it. Takes plain strings too, which large shows
    pass by the ten thousand."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def files_fingerprint(paths: Iterable[Path]) -> str:
    """Templates and other small files the output depends on, by content."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path).encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()


class RenderCache:
    """Each output's fingerprint as last written, by key, kept in a signed journaled dict
    (see `localcache.save_dict`): a build that changes two pages appends two entries."""

    FORMAT = 1

    def __init__(self, path: Path, exists: Callable[[str], bool]):
        self.path = path
        self.exists = exists  # whether the output folder holds a file by this key
        self._old: dict[str, str] = localcache.load_dict(path, self.FORMAT)
        self._new: dict[str, str] = {}
        self._dropped = False

    def output(self, key: str, print_: str, render: Callable[[], bytes], *,
               force: bool = False) -> bytes | None:  # fmt: skip
        """The rendered bytes, or None when the file on disk was made from the same inputs
        (`force`: the file is known to have been changed since)."""
        return render() if self.wanted(key, print_, force=force) else None

    def wanted(self, key: str, print_: str, *, force: bool = False) -> bool:
        """Note what the output is made from; True when it must be rendered, so the
        rendering can happen elsewhere (in a forked process)."""
        same = self._note(key, print_)
        return force or not same or not self.exists(key)

    def fingerprints(self, keys: Iterable[str]) -> dict[str, str]:
        """What these outputs were noted as made from, to hand to another process."""
        return {key: self._new[key] for key in keys if key in self._new}

    def adopt(self, fingerprints: dict[str, str]) -> None:
        """Take what another process noted (see `fingerprints`) as noted here."""
        for key, print_ in fingerprints.items():
            self._note(key, print_)

    def _note(self, key: str, print_: str) -> bool:
        """Note the fingerprint, as the saved object where it is unchanged (which costs
        the saved file nothing); True when it is."""
        old = self._old.get(key)
        same = old == print_
        self._new[key] = old if same and old is not None else print_
        return same

    def keep(self, key: str) -> None:
        """Carry an entry over for an output this build did not need to look at."""
        if key in self._old:
            self._new[key] = self._old[key]

    def drop_saved(self) -> bool:
        """Remove the saved fingerprints until `save`: files written straight, not whole
        or nothing, must not be taken as made from the same inputs if this build stops
        halfway and the next one finds them. False when they could not be removed."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            return False
        self._dropped = True
        return True

    def save(self) -> None:
        with contextlib.suppress(OSError):  # unsaved, the next build renders again
            localcache.save_dict(self.path, self.FORMAT, {} if self._dropped else self._old,
                                 self._new)  # fmt: skip


def write_json_atomic(path: Path, data: object) -> None:
    # Compact and by dumps: without indentation json uses its C encoder.
    write_atomic(path, json.dumps(data, sort_keys=True).encode("utf-8"))

