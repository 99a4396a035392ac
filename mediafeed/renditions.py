"""The extra files the build makes of an episode (`formats` in mediafeed.toml): which each
episode gets, what each is made from, and making one whole or not at all.

A rendition is encoded into a temp file beside its place and renamed into place only once
complete and hashed, so an encode killed halfway leaves only a temp file no build trusts
(the next encode sweeps it away); `attach` remembers what it made by what it was made
from, in the cache it asks on the build's behalf.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from mediafeed.cache import Cache, memo_key
from mediafeed.links import MEDIA_FOLDER, rendition_key
from mediafeed.manifest import sha256_file
from mediafeed.media.encode import RENDITIONS, Tick, ffmpeg_version, render
from mediafeed.model import Episode, Format, Rendition, Show
from mediafeed.output import link_or_copy, temp_beside

# Where a long encode reports how far it is: given what it makes, a context that yields
# the tick ffmpeg's progress feeds (the CLI draws a bar).
Encoding = Callable[[str], AbstractContextManager[Tick]]
TEMP_PREFIX = ".rendition-"
# The formats a source already is: no rendition of a file in its own format.
_SAME = {"opus": (".opus",), "aac": (".m4a", ".m4b", ".aac")}


def attach(
    show: Show,
    public: tuple[Episode, ...],
    cache: Cache,
    *,
    write: bool,
    source: Callable[[Episode], Path],
    encoding: Encoding | None = None,
) -> tuple[Episode, ...]:
    """The episodes with the renditions the show's formats call for, each made once per
    source and settings and kept while feed/ still holds the bytes remembered; `source`
    gives an episode's media, verified, when one must be encoded."""
    if not show.formats:
        return public
    episodes = []
    for ep in public:
        made = []
        for fmt in wanted(show, ep):
            # What its bytes depend on: the source by content, the encoder settings, and the
            # encoder (the code fingerprint `memo_key` adds covers the rest).
            key = memo_key("rendition", ep.media.sha256, fmt.name, fmt.bitrate, ffmpeg_version())
            found = known(cache.get("rendition", key))
            path = os.path.join(show.output_dir, found.key if found else "")
            if found and write and not os.path.isfile(path):
                _borrow(show, found, path, cache)
            if not found or not os.path.isfile(path) or cache.sha256(path) != found.sha256:
                with (encoding or _silent)(f"Encoding {ep.slug} ({fmt.name})") as tick:
                    found = make(source(ep), show.output_dir, ep, fmt, write=write, tick=tick)
                path = os.path.join(show.output_dir, found.key)
                if write:
                    cache.remember_sha256(path, os.stat(path), found.sha256, written=True)
                cache.put("rendition", key, vars(found))
            made.append(found)
        episodes.append(dataclasses.replace(ep, renditions=tuple(made)))
    return tuple(episodes)


def _borrow(show: Show, found: Rendition, path: str, cache: Cache) -> None:
    """Link in the rendition the show's other build holds (feed/ for `serve`'s preview,
    or the preview for feed/), rather than encode it again."""
    for folder in (show.root / "feed", show.preview_dir):
        other = os.path.join(folder, found.key)
        if other != path and os.path.isfile(other) and cache.sha256(other) == found.sha256:
            cache.remember_sha256(path, link_or_copy(other, os.stat(other), path), found.sha256,
                                  written=True)  # fmt: skip
            return


def _silent(description: str) -> AbstractContextManager[Tick]:
    return nullcontext(lambda seconds: None)


def wanted(show: Show, ep: Episode) -> list[Format]:
    """The show's formats this episode gets: audio-only is for video, and no format is
    made again of a file already in it."""
    if ep.enclosure_url:
        return []  # media still on another host: nothing here to encode from
    suffix = os.path.splitext(ep.audio)[1].lower()
    return [
        fmt
        for fmt in show.formats
        if (fmt.name == "audio") == ep.media.is_video and suffix not in _SAME.get(fmt.name, ())
    ]


def make(
    source: Path,
    out: Path,
    ep: Episode,
    fmt: Format,
    *,
    write: bool = True,
    tick: Tick | None = None,
) -> Rendition:
    """Encode the rendition into `out` (feed/) under its content-hash key; without `write`
    (a dry run), encode it elsewhere only to say what it would be."""
    kind = RENDITIONS[fmt.name]
    with tempfile.TemporaryDirectory() as scratch:
        folder = out / MEDIA_FOLDER if write else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for left in folder.glob(f"{TEMP_PREFIX}*"):  # builds are one at a time: none runs
            left.unlink(missing_ok=True)
        fd, temp = temp_beside(folder, TEMP_PREFIX, kind.suffix)
        os.close(fd)
        try:
            render(source, Path(temp), fmt, tick=tick)
            digest, length = sha256_file(temp), os.path.getsize(temp)
            key = rendition_key(ep, fmt.name, digest, kind.suffix)
            if write:
                os.replace(temp, out / key)
        finally:
            Path(temp).unlink(missing_ok=True)
    bitrate = round(length * 8 / max(ep.media.duration, 1.0))
    return Rendition(key, kind.mime_type, length, digest, bitrate, kind.title)


def known(value: object) -> Rendition | None:
    """A rendition the cache remembers, None if it holds nothing of that shape."""
    fields = {field.name for field in dataclasses.fields(Rendition)}
    return Rendition(**value) if isinstance(value, dict) and value.keys() == fields else None
