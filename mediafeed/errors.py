"""The one project error type, with narrow subclasses, that the CLI turns into one line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class MediafeedError(Exception):
    """A problem the user can fix; the message names the file and the field."""

    def __init__(self, message: str, *, path: Path | str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.field = field

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.path, self.field) if part)
        return f"{where}: {self.message}" if where else self.message


class ConfigError(MediafeedError):
    """mediafeed.toml is missing, unreadable or invalid."""


class EpisodeError(MediafeedError):
    """An episode file has broken front matter or an invalid field."""


class MediaError(MediafeedError):
    """A media file is missing, empty, corrupt, mislabelled or unsupported."""


class TagError(MediaError):
    """Tags could not be written; the original file is untouched."""


class PermalinkError(MediafeedError):
    """A change would move a published episode page, breaking links already sent."""


class StoreError(MediafeedError):
    """The S3 store refused, failed or could not be reached."""


class FeedError(MediafeedError):
    """A feed given to import is unreadable or unsafe."""


def unknown_field(key: str, known: Iterable[str]) -> str:
    """The message for a key no table has: a typo gets the field it most looks like."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    # No "; " in it: that separates the problems of one file.
    return f"unknown field (did you mean {close[0]!r}?)" if close else "unknown field"
