"""The show's own files in feed/: its media, images and transcripts as hard links of the
producer's files (copies where the drive has no hard links), each media file checked
against what its episode file says before it is published."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from functools import partial
from stat import S_ISREG

from mediafeed import links as keys
from mediafeed.cache import Cache, signature
from mediafeed.errors import MediaError
from mediafeed.lastbuild import LastBuild, Placed, inodes
from mediafeed.manifest import content_type
from mediafeed.model import Episode, Show
from mediafeed.output import link_or_copy


def own_files(show: Show, public: Sequence[Episode], cache: Cache, last: LastBuild | None, *,
              write: bool = True) -> tuple[dict[str, Placed], dict[str, str], dict[str, str]]:  # fmt: skip
    """The show's own files in feed/ as hard links: media, images and transcripts (without
    `write`, the files as they would be linked), and the renditions made of them. Returns
    them, each one's line in the build's record (key, SHA-256, stat signature, content
    type), and each source's SHA-256. Where the file system has no hard links, the copies
    the last build made (`last`) are kept while they are as it left them."""
    out = str(show.output_dir)
    root = str(show.root)
    files = {keys.image_key(show.artwork): os.path.join(root, show.artwork)}
    placed: dict[str, Placed] = {}
    linked: dict[str, str] = {}
    read: dict[str, str] = {}
    present = inodes(os.path.join(out, keys.MEDIA_FOLDER))
    recorded = functools.cache(partial(_recorded_links, last))  # read only where copies are
    for ep in public:
        for made in ep.renditions:  # in feed/ already, checked against the cache
            placed[made.key] = (f"{out}/{made.key}", made.length, made.sha256, made.mime_type)
            linked[made.key] = f"{made.key}\t{made.sha256}\t-\t{made.mime_type}\t"
        if ep.image:
            files[keys.image_key(ep.image)] = os.path.join(root, ep.image)
        if ep.transcript:
            files[keys.transcript_key(ep)] = os.path.join(root, ep.transcript)
        if not ep.enclosure_url:
            key = keys.media_key(ep)
            source, stat = verify_media(show, ep, cache)
            if write and present.get(key) != (stat.st_ino, stat.st_dev):
                stat = link_or_copy(
                    source, stat, f"{out}/{key}", copied=_left_as(recorded, key, ep.media.sha256)
                )
            # The facts the build just verified: no second read of a large file.
            read[source] = digest = ep.media.sha256
            mime = ep.media.mime_type
            placed[key] = (f"{out}/{key}", stat.st_size, digest, mime)
            linked[key] = f"{key}\t{digest}\t{signature(stat)}\t{mime}\t{source}"
    for key, source in files.items():
        found, path = os.stat(source), os.path.join(out, key)
        read[source] = digest = cache.sha256(source, found)  # a link's bytes: the source's
        stat = (
            link_or_copy(source, found, path, copied=_left_as(recorded, key, digest))
            if write
            else found
        )
        placed[key] = (path, stat.st_size, digest, content_type(key))
        linked[key] = f"{key}\t{digest}\t{signature(stat)}\t{content_type(key)}\t{source}"
    return placed, linked, read


def _recorded_links(last: LastBuild | None) -> dict[str, tuple[str, str]]:
    """Each file the last build linked or copied into feed/, by key: its SHA-256 and the
    stat signature it was left with."""
    lines = (line.split("\t") for line in last.linked.split("\n") if line) if last else ()
    return {parts[0]: (parts[1], parts[2]) for parts in lines if len(parts) > 2}


def _left_as(
    recorded: Callable[[], dict[str, tuple[str, str]]], key: str, digest: str
) -> Callable[[os.stat_result], bool]:
    """Whether a file at `key` that is no link is the copy of bytes `digest` the last build
    made, as it left it: feed/ holds copies where the drive has no hard links."""
    return lambda made: recorded().get(key) == (digest, signature(made))


def verify_media(show: Show, ep: Episode, cache: Cache) -> tuple[str, os.stat_result]:
    """The enclosure must describe the bytes that will be uploaded, exactly: the file has
    the size and the SHA-256 its episode file says, so it is the file whose type and
    duration `add` or `tag` probed (and `check` probes again). Its path and stat."""
    path = os.path.join(show.root, ep.audio)
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    if stat is None or not S_ISREG(stat.st_mode):
        raise MediaError("media file not found", path=path)
    if stat.st_size != ep.media.length:
        raise MediaError(
            f"is {stat.st_size} bytes but {ep.source.name} says {ep.media.length}: "
            f"run 'mediafeed tag {ep.slug}' to refresh",
            path=path,
        )
    if cache.sha256(path, stat) != ep.media.sha256:
        raise MediaError(
            f"content differs from the sha256 in {ep.source.name}: run "
            f"'mediafeed tag {ep.slug}' to refresh",
            path=path,
        )
    return path, stat
