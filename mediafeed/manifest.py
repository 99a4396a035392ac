"""The build's list of objects to publish, with content hashes cached by size and mtime."""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import posixpath
from pathlib import Path

from mediafeed import localcache
from mediafeed.errors import MediaError
from mediafeed.model import OutputObject

CACHE_MEDIA = "public, max-age=31536000, immutable"
CACHE_IMAGES = "public, max-age=86400"
CACHE_PAGES = "public, max-age=600"
CACHE_FEED = "public, max-age=300"

CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json+chapters; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


def content_type(key: str) -> str:
    suffix = posixpath.splitext(key)[1].lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def cache_control(key: str) -> str:
    if key.startswith("media/"):
        return CACHE_MEDIA
    if key.startswith("images/"):
        return CACHE_IMAGES
    if key.endswith(".xml"):
        return CACHE_FEED
    return CACHE_PAGES



def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file, read in chunks so size never costs memory."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror or exc}", path=path) from exc


class HashCache:
    """sha256 of files keyed by (size, mtime_ns), so a rebuild reads no unchanged file.
    Kept in a signed journaled dict (see `localcache.save_dict`): a build that hashes one
    new file appends one entry to the 20,000 of a large show."""

    FORMAT = 1

    def __init__(self, path: Path):
        self.path = path
        self._saved: dict[str, tuple[int, int, str]] = localcache.load_dict(path, self.FORMAT)
        self._entries = dict(self._saved)
        self._dirty = False

    def sha256(self, file: Path, stat: os.stat_result | None = None) -> str:
        stat = stat or file.stat()
        digest = self.known(file, stat)
        if digest is None:
            digest = sha256_file(file)
            self.remember(file, stat, digest)
        return digest

    def known(self, file: Path | str, stat: os.stat_result) -> str | None:
        """The remembered hash while the file's size and time are unchanged."""
        # abspath, not resolve(): resolving costs a syscall per path part, per file, and the
        # (size, mtime) check already follows links to the bytes that count.
        entry = self._entries.get(os.path.abspath(file))
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return entry[2]
        return None

    def remember(self, file: Path | str, stat: os.stat_result, digest: str) -> None:
        self._entries[os.path.abspath(file)] = (stat.st_size, stat.st_mtime_ns, digest)
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        with contextlib.suppress(OSError):  # unsaved, the next build hashes again
            localcache.save_dict(self.path, self.FORMAT, self._saved, self._entries)
        self._saved = dict(self._entries)
        self._dirty = False


def output_object(key: str, path: Path, hashes: HashCache, *, media_type: str | None = None
                  ) -> OutputObject:  # fmt: skip
    stat = os.stat(path)
    return OutputObject(
        key=key,
        path=str(path),
        size=stat.st_size,
        sha256=hashes.sha256(path, stat),
        content_type=media_type or content_type(key),
        cache_control=cache_control(key),
    )


def upload_rank(key: str) -> int:
    """Order of upload: what others point at goes first, feed.xml last of all."""
    if key.startswith("media/"):
        return 0
    if key.startswith("images/"):
        return 1
    if key.endswith("index.html") or key.endswith(".css"):
        return 3
    if key.endswith(".xml"):
        return 5 if key == "feed.xml" else 4
    return 2
