"""Files into the output folder: each folder made once, new files written straight, files
already there replaced whole.

A full build of a large show writes tens of thousands of files. Writing a file that is
known not to be there costs an open, a write and a close; replacing one through a temp
file and a rename, after reading it to compare, costs three times the calls. Straight
writes are only safe where a file half written by a build stopped halfway cannot be
taken as done by the next one: the caller decides which keys those are.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mediafeed.manifest import HashCache, cache_control, content_type, sha256_file
from mediafeed.model import OutputObject

# Hashes a forked process learned, for its parent's hash cache: path, stat, sha256.
Learned = list[tuple[str, os.stat_result, str]]


@dataclass(frozen=True)
class Placed:
    """A file the build put in the output folder, as it is on disk now."""

    path: str
    stat: os.stat_result
    sha256: str | None = None  # of the bytes written; None for linked or copied files


def described(key: str, placed: Placed, hashes: HashCache, learned: Learned) -> OutputObject:
    """The object to publish for a file in the output folder; its hash from the hash
    cache, else from the bytes written, else read (and added to `learned`)."""
    digest = hashes.known(placed.path, placed.stat)
    if digest is None:
        digest = placed.sha256 or sha256_file(Path(placed.path))
        learned.append((placed.path, placed.stat, digest))
    return OutputObject(key=key, path=placed.path, size=placed.stat.st_size, sha256=digest,
                        content_type=content_type(key), cache_control=cache_control(key))  # fmt: skip


def _never(key: str) -> bool:
    return False


class OutputFolder:
    """The output folder of one build; `absent(key)` says which files are known not to be
    there and may be written straight."""

    def __init__(self, root: Path, *, absent: Callable[[str], bool] = _never):
        self.root = str(root)
        self.absent = absent
        self._made: set[str] = set()

    def write(self, key: str, data: bytes) -> Placed:
        path = os.path.join(self.root, key)
        digest = hashlib.sha256(data).hexdigest()
        if self.absent(key):
            self.folder(os.path.dirname(key))
            with contextlib.suppress(FileExistsError):  # there after all: compare, replace
                return Placed(path, write_new(path, data), digest)
        return Placed(path, write_if_changed(path, data), digest)

    def link(self, key: str, source: str, source_stat: os.stat_result) -> Placed:
        """Hard-link a file the show holds (media, images, transcripts): instant, and no
        second copy on disk. A link shares the source's size and times."""
        path = os.path.join(self.root, key)
        if self.absent(key):
            self.folder(os.path.dirname(key))
            try:
                os.link(source, path)
                return Placed(path, source_stat)
            except OSError:  # there after all, or no links across file systems
                pass
        return Placed(path, link_or_copy(source, path, source_stat))

    def folder(self, key: str) -> None:
        """Make the folder by key, and those above it, once per build."""
        if not key or key in self._made:
            return
        try:
            os.mkdir(os.path.join(self.root, key))
        except FileExistsError:
            pass
        except FileNotFoundError:
            parent = os.path.dirname(key)
            if parent:
                self.folder(parent)
            else:
                os.makedirs(self.root, exist_ok=True)
            with contextlib.suppress(FileExistsError):  # made meanwhile by another process
                os.mkdir(os.path.join(self.root, key))
        self._made.add(key)


_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_new(path: str, data: bytes) -> os.stat_result:
    """Write a file that must not exist yet (FileExistsError if it does): no temp file,
    no buffering layer; returns its stat as written."""
    fd = os.open(path, _NEW, 0o666)
    try:
        _write_all(fd, data)
        stat = os.fstat(fd)
    except BaseException:
        os.close(fd)
        os.unlink(path)  # never half a file
        raise
    os.close(fd)
    return stat


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_if_changed(path: str, data: bytes) -> os.stat_result:
    """Leave the file as it is when it holds these bytes, else replace it whole through a
    temp file and a rename; returns its stat."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
    else:
        try:
            stat = os.fstat(fd)
            if stat.st_size == len(data) and _read_all(fd, len(data)) == data:
                return stat
        finally:
            os.close(fd)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        _write_all(fd, data)
        stat = os.fstat(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return stat


def _read_all(fd: int, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def link_or_copy(source: str, target: str, source_stat: os.stat_result | None = None
                 ) -> os.stat_result:  # fmt: skip
    """The target as a hard link to the source, left alone when it already is one, else
    replaced whole; a copy where links cannot be made. Returns the target's stat."""
    wanted = source_stat or os.stat(source)
    with contextlib.suppress(OSError):  # not there yet
        made = os.stat(target)
        if (made.st_ino, made.st_dev) == (wanted.st_ino, wanted.st_dev):
            return made
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    try:
        os.link(source, tmp)
        linked = True
    except OSError:
        shutil.copy2(source, tmp)
        linked = False
    os.replace(tmp, target)
    return wanted if linked else os.stat(target)
