"""The one place that decides object keys and public URLs, so feed, pages and publish agree.

Episode URLs end up in sent newsletters and can never change: every key here is derived
from the slug and file names only, never from titles or dates.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from mediafeed.model import Episode

FEED_KEY = "feed.xml"
SHOW_PAGE_KEY = "index.html"
STYLESHEET_KEY = "style.css"
MEDIA_FOLDER = "media"
# The show's accessibility statement: the Dutch government's sites publish it under this name.
ACCESSIBILITY_KEY = "toegankelijkheid/index.html"
# Artwork sizes made by the build for podcast:images and page thumbnails.
ARTWORK_WIDTHS = (1400, 600, 300, 150)


def url_problem(value: str) -> str | None:
    """Why a URL the producer gave cannot go into a feed or page, or None. Only http(s)
    with a host: "www.example.nl" would be read as a relative path, and "javascript:" runs
    in the listener's browser."""
    if not re.fullmatch(r"(?i)https?://[^/?#\s]+[^\s]*", value):
        return f"{value!r} is not a web address; give one like https://www.example.nl/"
    return None


def artwork_variant_key(width: int) -> str:
    return f"images/artwork-{width}.jpg"


def media_key(episode: Episode) -> str:
    """Media keys carry a content hash: the object never changes, so caches keep it a year,
    and replaced audio gets a new URL that apps download afresh."""
    # posixpath, not PurePosixPath: the same split, at a third of the cost, 10,000 times.
    stem, suffix = posixpath.splitext(posixpath.basename(episode.audio))
    return f"{MEDIA_FOLDER}/{stem}-{episode.media.sha256[:12]}{suffix.lower()}"


def rendition_key(episode: Episode, name: str, sha256: str, suffix: str) -> str:
    """An extra rendition's key: beside the media, named by format and content hash."""
    stem = posixpath.splitext(posixpath.basename(episode.audio))[0]
    return f"{MEDIA_FOLDER}/{stem}-{name}-{sha256[:12]}{suffix}"


def episode_page_key(slug: str) -> str:
    return f"episodes/{slug}/index.html"


def year_page_key(year: int) -> str:
    """A year's episodes, for shows too long to list on the show page."""
    return f"years/{year}/index.html"


def embed_page_key(slug: str) -> str:
    """The episode's player alone, for an <iframe> on other sites."""
    return f"episodes/{slug}/embed/index.html"


def oembed_key(slug: str) -> str:
    return f"episodes/{slug}/oembed.json"


def chapters_key(slug: str) -> str:
    return f"episodes/{slug}/chapters.json"


def transcript_key(episode: Episode) -> str:
    suffix = PurePosixPath(episode.transcript or "transcript.txt").suffix.lower() or ".txt"
    return f"episodes/{episode.slug}/transcript{suffix}"


def transcript_text_key(slug: str) -> str:
    """The plain-text rendering the build makes of a WebVTT or SRT transcript."""
    return f"episodes/{slug}/transcript.txt"


def image_key(name: str) -> str:
    return f"images/{PurePosixPath(name).name}"


def relative_link(from_key: str, to_key: str) -> str:
    """A link that works the same from disk, `mediafeed serve` and the store.

    Keys are already normal relative paths, so this is posixpath.relpath on the strings
    alone: relpath asks the file system for the working folder twice per call, and pages
    make six links each, 60,000 on a large show."""
    start = from_key.split("/")[:-1]
    target = to_key.split("/")
    common = 0
    for here, there in zip(start, target, strict=False):
        if here != there:
            break
        common += 1
    return quote("/".join([".."] * (len(start) - common) + target[common:]) or ".", safe="/")


@dataclass(frozen=True)
class Links:
    """Absolute URLs under the show's public base URL."""

    base_url: str

    def url(self, key: str) -> str:
        return f"{self.base_url.rstrip('/')}/{key}"

    @property
    def feed(self) -> str:
        return self.url(FEED_KEY)

    # Pages are linked with their explicit index.html: a plain S3 bucket URL serves no
    # directory index, and a link in a sent newsletter must work on any store.
    @property
    def show_page(self) -> str:
        return self.url(SHOW_PAGE_KEY)

    def episode_page(self, slug: str) -> str:
        return self.url(episode_page_key(slug))

    def media(self, episode: Episode) -> str:
        return episode.enclosure_url or self.url(media_key(episode))

    def chapters(self, slug: str) -> str:
        return self.url(chapters_key(slug))

    def transcript(self, episode: Episode) -> str:
        return self.url(transcript_key(episode))

    def image(self, name: str) -> str:
        return self.url(image_key(name))
