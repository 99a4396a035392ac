"""What each published object is: its content type, cache lifetime and place in the upload order."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import posixpath

from mediafeed.errors import MediaError

CACHE_MEDIA = "public, max-age=31536000, immutable"
CACHE_IMAGES = "public, max-age=86400"
CACHE_PAGES = "public, max-age=600"
CACHE_FEED = "public, max-age=300"

CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    # Renditions: Ogg Opus (RFC 7845) and AAC in MPEG-4, as browsers name them.
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".m4b": "audio/mp4",  # an audiobook-style M4A, which Python's table does not know
}


def content_type(key: str) -> str:
    # The feed names its chapters files by this type; other JSON (oEmbed, transcripts) is plain.
    if key.endswith("/chapters.json"):
        return "application/json+chapters; charset=utf-8"
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


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of the file, read in chunks so size never costs memory."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror or exc}", path=os.fspath(path)) from exc


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
