"""Write episode tags into media files: into a copy beside the original, then one rename.

`write_tags` re-tags a file where it lies; `copy_tagged` writes a tagged copy of a file
opened with `probe.open_media`, reading that file once.
"""

# mutagen's frame and file classes have no annotations on their constructors and methods.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import shutil
from pathlib import Path
from typing import Any

from mutagen import FileType, MutagenError
from mutagen.apev2 import APEv2
from mutagen.flac import FLAC, Picture
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from mediafeed.errors import MediaError, TagError
from mediafeed.media.frames import EpisodeTags, tag_into
from mediafeed.media.probe import MediaFile, Observer, id3_size, read_blocks
from mediafeed.model import Chapter
from mediafeed.output import replace_whole

UNTAGGABLE = "not a taggable audio or video file (MP3, M4A, MP4, Ogg, Opus, FLAC, WAV)"
# Order matters: strict parsers first, MPEG audio last since it syncs on anything.
PARSERS: tuple[type[FileType], ...] = (MP4, FLAC, OggOpus, OggVorbis, WAVE, MP3)

# mutagen looks for an ID3v1 tag in a file's last 131 bytes (128, and the "APE" of an APEv2
# tag that would end with "TAG" there).
_ID3V1_ZONE = 128 + 3
# Bytes per copy_file_range call: large, so a big file costs few calls.
_COPY_CHUNK = 1 << 30
# The tags `existing_tags` reads, each as ID3, MP4 and Vorbis comments name it ("" where a
# format has no such tag).
_ID3, _MP4, _VORBIS = range(3)
_READ_KEYS = (
    ("TIT2", "\xa9nam", "title"),
    ("TALB", "\xa9alb", "album"),
    ("TPE1", "\xa9ART", "artist"),
    ("TCON", "\xa9gen", "genre"),
    ("TRCK", "trkn", "tracknumber"),
    ("TPOS", "disk", "discnumber"),
    ("TDES", "ldes", "description"),
    ("COMM::XXX", "\xa9cmt", "comment"),
    ("TGID", "egid", ""),
    ("TDRC", "\xa9day", "date"),
)


def write_tags(path: Path, tags: EpisodeTags, *, id3_version: int = 4) -> None:
    """Tag `path` in place, atomically: a full disk, a crash or a mutagen error never leaves
    a half-written file. `id3_version` 3 is for players that cannot read ID3v2.4."""
    if not path.is_file():
        raise TagError("file not found", path=path)

    def tagged(temp: str) -> None:
        with open(temp, "xb+") as out, open(path, "rb") as source:
            _copy(source, out)
            shutil.copymode(path, temp)
            tag_into(out, open_taggable(out), tags, id3_version)
            out.flush()
            os.fsync(out.fileno())

    try:
        replace_whole(os.fspath(path), tagged)
    except Exception as exc:
        raise _tag_error(exc, path) from exc
    _sync_directory(path.parent)


def copy_tagged(
    media: MediaFile,
    out: io.BufferedIOBase,
    tags: EpisodeTags,
    *,
    id3_version: int = 4,
    observe: Observer | None = None,
) -> tuple[int, str]:
    """Write `media` with `tags` into `out`, an empty file open for reading and writing;
    the length and sha256 of what was written. Errors name `media`, never `out`.

    The source is read once and never written. An MP3's new tags are made first, then
    written with the audio after them (mutagen would move all of it to make room). Other
    formats are copied in the kernel, tagged in place, then hashed. `observe` is handed
    every byte of the source with its offset, so a frame walk shares the read.
    """
    try:
        if isinstance(media.audio, MP3):
            return _copy_mp3(media, out, tags, id3_version, observe)
        if not isinstance(media.audio, PARSERS):
            raise TagError(UNTAGGABLE)
        if observe is None:
            _copy(media.handle, out)
        else:
            for offset, block in read_blocks(media, 0, media.size):
                out.write(block)
                observe(offset, block)
        tag_into(out, media.audio, tags, id3_version)
        out.seek(0)
        digest = hashlib.file_digest(out, "sha256")
        return out.seek(0, os.SEEK_END), digest.hexdigest()
    except Exception as exc:
        raise _tag_error(exc, media.path) from exc


def _copy_mp3(
    media: MediaFile,
    out: io.BufferedIOBase,
    tags: EpisodeTags,
    id3_version: int,
    observe: Observer | None,
) -> tuple[int, str]:
    """The new tag, the audio after the old one, and any ID3v1 tag at the end, updated.
    mutagen edits only the two ends (the ID3v2 tag and the last 131 bytes), so saving into
    a stand-in of just those ends gives the whole file's result; the middle is copied."""
    old_head = media.audio.tags.size if media.audio.tags is not None else 0  # 0: no ID3v2 tag
    tail_size = min(_ID3V1_ZONE, media.size - old_head)
    tail_start = media.size - tail_size
    head, tail = _read_at(media, 0, old_head), _read_at(media, tail_start, tail_size)
    stand_in = io.BytesIO(head + tail)
    tag_into(stand_in, media.audio, tags, id3_version)
    edited = stand_in.getvalue()
    new_head = id3_size(edited)  # never empty: PCST is always written
    digest = hashlib.sha256(edited[:new_head])
    out.write(edited[:new_head])
    for offset, block in read_blocks(media, old_head, tail_start):
        digest.update(block)
        out.write(block)
        if observe is not None:
            observe(offset, block)
    if observe is not None:
        observe(tail_start, memoryview(tail))
    digest.update(edited[new_head:])
    out.write(edited[new_head:])
    return out.tell(), digest.hexdigest()


def open_taggable(handle: io.BufferedIOBase) -> FileType:
    for parser in PARSERS:
        try:
            handle.seek(0)
            return parser(handle)
        except Exception:  # noqa: BLE001
            # Any parser error only means "not this format"; the next one gets a try.
            continue
    raise TagError(UNTAGGABLE)


def _read_at(media: MediaFile, offset: int, count: int) -> bytes:
    media.handle.seek(offset)
    data = media.handle.read(count)
    if len(data) != count:
        raise TagError("the file shrank while it was read")
    return data


def _copy(source: io.BufferedIOBase, out: io.BufferedIOBase) -> None:
    """All of `source` into the empty `out`: in the kernel where it can, else through here."""
    src, dst, offset = source.fileno(), out.fileno(), 0
    try:
        while copied := os.copy_file_range(src, dst, _COPY_CHUNK, offset, offset):
            offset += copied
    except (AttributeError, OSError):  # not Linux, or not between these two files
        source.seek(offset)
        out.seek(offset)
        shutil.copyfileobj(source, out, _COPY_CHUNK)
        out.flush()


def _tag_error(exc: Exception, path: Path) -> TagError:
    """`exc` as the one TagError the user sees, naming `path`."""
    if isinstance(exc, MediaError):  # a TagError, or a read of the source that failed
        return TagError(exc.message, path=path)
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return TagError(f"cannot write tags: {reason or type(exc).__name__}", path=path)


def read_tags(path: Path) -> EpisodeTags:
    """The tags a file already carries (title, show, author, numbers, cover)."""
    try:
        with open(path, "rb") as handle:
            return existing_tags(open_taggable(handle))
    except OSError as exc:
        raise TagError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    except TagError as exc:
        raise TagError(exc.message, path=path) from exc


def existing_tags(audio: FileType) -> EpisodeTags:
    """The tags mutagen's reading of a file found (see `read_tags`)."""
    found: Any = audio.tags if audio.tags is not None else {}
    family = _MP4 if isinstance(audio, MP4) else _ID3 if isinstance(audio, MP3 | WAVE) else _VORBIS
    title, show, author, genre, episode, season, description, comment, guid, date = (
        str((found.get(keys[family]) or [""])[0]) if keys[family] else "" for keys in _READ_KEYS
    )
    cover, mime = _existing_cover(audio)
    feed: Any = found.get("WFED") if family == _ID3 else found.get("purl")
    return EpisodeTags(
        title=title,
        show=show,
        author=author,
        genre=genre,
        episode=_leading_int(episode),
        season=_leading_int(season),
        cover=cover,
        cover_mime=mime,
        description=description,
        comment=comment,
        guid=guid or None,
        feed_url=str(getattr(feed, "url", None) or (feed or [""])[0]) or None,
        date=_moment(date),
        chapters=_chapters(audio),
    )


def ape_title(media: MediaFile) -> str:
    """An MP3's APEv2 title (foobar2000 and mp3gain write them at its end), or ''."""
    if not isinstance(media.audio, MP3):
        return ""
    try:
        media.handle.seek(0)
        return str(APEv2(media.handle).get("Title") or "")
    except MutagenError:  # no APEv2 tag, or one broken: nothing to keep
        return ""


def _chapters(audio: FileType) -> tuple[Chapter, ...]:
    """The chapters marked in the file (ID3 CHAP, MP4, Vorbis CHAPTERnnn), in order."""
    found: Any = audio.tags
    if isinstance(audio, MP4):
        marks = [(float(chapter.start), str(chapter.title)) for chapter in audio.chapters or ()]
    elif found is None:
        marks = []
    elif isinstance(audio, MP3 | WAVE):
        marks = [
            (chap.start_time / 1000, str(chap.sub_frames.get("TIT2", "")))
            for chap in found.getall("CHAP")
        ]
    else:  # Vorbis comments: CHAPTER001=00:01:30.000 and CHAPTER001NAME=...
        comments = found.as_dict()  # keys in lower case
        marks = [
            (_seconds(value[0]), (comments.get(f"{key}name") or [""])[0])
            for key, value in comments.items()
            if re.fullmatch(r"chapter\d{3}", key)
        ]
    return tuple(Chapter(start, title) for start, title in sorted(marks) if title.strip())


def _seconds(timestamp: str) -> float:
    """Seconds from "HH:MM:SS.mmm" (or "MM:SS", or "SS")."""
    parts = reversed(timestamp.split(":"))
    return sum(float(part) * 60.0**power for power, part in enumerate(parts))


def _moment(text: str) -> dt.datetime | None:
    """A tag's date as written (see frames._utc), or None if it is not one."""
    try:
        moment = dt.datetime.fromisoformat(text.rstrip("Z"))
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _existing_cover(audio: FileType) -> tuple[bytes | None, str]:
    tags: Any = audio.tags
    if tags is None:
        return None, "image/jpeg"
    if isinstance(audio, MP4):
        for covr in tags.get("covr", []):
            png = covr.imageformat == MP4Cover.FORMAT_PNG
            return bytes(covr), "image/png" if png else "image/jpeg"
    elif isinstance(audio, FLAC) and audio.pictures:
        return bytes(audio.pictures[0].data), audio.pictures[0].mime
    elif isinstance(audio, MP3 | WAVE):
        for apic in tags.getall("APIC"):
            return bytes(apic.data), str(apic.mime)
    else:
        for block in tags.get("metadata_block_picture", []):
            picture = Picture(base64.b64decode(block))
            return bytes(picture.data), str(picture.mime)
    return None, "image/jpeg"


def _leading_int(text: str) -> int | None:
    # "7/12", "(7, 0)" and "7" all mean episode 7.
    digits = "".join(itertools.takewhile(str.isdigit, text.lstrip("(")))
    return int(digits) if digits else None


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
