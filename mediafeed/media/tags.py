"""Write episode tags into media files: into a copy beside the original, then one rename.

`write_tags` re-tags a file where it lies; `copy_tagged` writes a tagged copy of a file
opened with `probe.open_media`, reading that file once.
"""

# mutagen's frame and file classes have no annotations on their constructors and methods.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import FileType, PaddingInfo, id3
from mutagen.flac import FLAC, Picture
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from mediafeed.errors import MediaError, TagError
from mediafeed.media.probe import MediaFile, Observer, read_blocks
from mediafeed.model import Chapter


@dataclass(frozen=True)
class EpisodeTags:
    """Everything written into a file. It is the whole truth for the fields it covers:
    an empty field removes what an earlier write put there."""

    title: str
    show: str = ""
    author: str = ""
    date: dt.datetime | None = None
    description: str = ""
    comment: str = ""
    season: int | None = None
    episode: int | None = None
    genre: str = "Podcast"
    cover: bytes | None = None
    cover_mime: str = "image/jpeg"
    feed_url: str | None = None
    guid: str | None = None
    category: str | None = None
    chapters: tuple[Chapter, ...] = ()
    language: str | None = None


# A fixed amount of padding makes the tag's size depend on its content alone, so writing
# the same tags twice gives the same bytes, whatever padding the file had before.
_PADDING = 1024
# mutagen looks for an ID3v1 tag in a file's last 131 bytes (128, and the "APE" of an APEv2
# tag that would end with "TAG" there).
_ID3V1_ZONE = 128 + 3
# Bytes per copy_file_range call: large, so a big file costs few calls.
_COPY_CHUNK = 1 << 30
_UNTAGGABLE = "not a taggable audio or video file (MP3, M4A, MP4, Ogg, Opus, FLAC, WAV)"
# Order matters: strict parsers first, MPEG audio last since it syncs on anything.
_PARSERS: tuple[type[FileType], ...] = (MP4, FLAC, OggOpus, OggVorbis, WAVE, MP3)
_ID3_OWNED = ("TIT2", "TALB", "TPE1", "TDRC", "TRCK", "TPOS", "TCON", "APIC", "PCST")
_ID3_OWNED_MORE = ("WFED", "TGID", "TDES", "TCAT", "TLAN", "CHAP", "CTOC")
_MP4_OWNED = (
    "\xa9nam",
    "\xa9alb",
    "\xa9ART",
    "aART",
    "\xa9day",
    "desc",
    "ldes",
    "\xa9cmt",
    "trkn",
    "disk",
    "tvsn",
    "tves",
    "\xa9gen",
    "covr",
    "pcst",
    "purl",
    "egid",
    "catg",
)
# Title, show, author, genre, episode and season, as each tag format names them.
_READ_KEYS = {
    "id3": ("TIT2", "TALB", "TPE1", "TCON", "TRCK", "TPOS"),
    "mp4": ("\xa9nam", "\xa9alb", "\xa9ART", "\xa9gen", "trkn", "disk"),
    "vorbis": ("title", "album", "artist", "genre", "tracknumber", "discnumber"),
}
_VORBIS_OWNED = (
    "TITLE",
    "ALBUM",
    "ARTIST",
    "ALBUMARTIST",
    "DATE",
    "DESCRIPTION",
    "COMMENT",
    "TRACKNUMBER",
    "DISCNUMBER",
    "GENRE",
    "LANGUAGE",
    "METADATA_BLOCK_PICTURE",
)


def write_tags(path: Path, tags: EpisodeTags, *, id3_version: int = 4) -> None:
    """Tag `path` in place, atomically: the file is either fully tagged or unchanged.

    The copy is tagged and synced before it replaces the original, so a full disk, a
    crash or a mutagen error can never leave a half-written file behind. `id3_version` 3
    is for old car stereos and players that cannot read ID3v2.4.
    """
    path = Path(path)
    if id3_version not in (3, 4):
        raise TagError(f"ID3 version must be 3 or 4, not {id3_version}", path=path)
    if not path.is_file():
        raise TagError("file not found", path=path)
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise TagError(f"cannot write beside the file: {exc.strerror or exc}", path=path) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb+") as out:
            with open(path, "rb") as source:
                _copy(source, out)
            shutil.copymode(path, temp)
            _tag(out, _open(out), tags, id3_version)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except Exception as exc:
        temp.unlink(missing_ok=True)
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
    return the length and sha256 of what was written. Errors name `media`, never `out`.

    The source is read once, through its open handle, and never written. An MP3's ID3
    tags lead the file, and mutagen would move all of its audio to make room for them: its
    new tags are made first, then written with the audio after them, hashed on the way.
    Other formats are copied in the kernel, tagged in place (mutagen moves data only when
    a tag outgrows its room), then hashed in one read. `observe`, when given, is handed
    every byte of the source, in order, with its offset, so a frame walk shares the read.
    """
    if id3_version not in (3, 4):
        raise TagError(f"ID3 version must be 3 or 4, not {id3_version}", path=media.path)
    try:
        if isinstance(media.audio, MP3):
            return _copy_mp3(media, out, tags, id3_version, observe)
        if not isinstance(media.audio, _PARSERS):
            raise TagError(_UNTAGGABLE)
        if observe is None:
            _copy(media.handle, out)
        else:
            for offset, block in read_blocks(media, 0, media.size):
                out.write(block)
                observe(offset, block)
        _tag(out, media.audio, tags, id3_version)
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

    mutagen edits only the file's two ends: the ID3v2 tag, resized, and an ID3v1 tag in
    its last 131 bytes. Saved into a stand-in holding just those ends, its result is what
    saving into the whole file gives, and the middle is copied untouched.
    """
    audio: Any = media.audio
    if audio.tags is None:
        audio.add_tags()
    id3_tags: id3.ID3 = audio.tags
    old_head = id3_tags.size  # 0 when there is no ID3v2 tag
    tail_size = min(_ID3V1_ZONE, media.size - old_head)
    tail_start = media.size - tail_size
    head, tail = _read_at(media, 0, old_head), _read_at(media, tail_start, tail_size)
    _fill_id3(id3_tags, tags, float(audio.info.length))
    stand_in = io.BytesIO(head + tail)
    id3_tags.save(
        stand_in, v1=id3.ID3v1SaveOptions.UPDATE, v2_version=id3_version, padding=_padding
    )
    edited = stand_in.getvalue()
    new_head = _id3_size(edited)
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


def _read_at(media: MediaFile, offset: int, count: int) -> bytes:
    media.handle.seek(offset)
    data = media.handle.read(count)
    if len(data) != count:
        raise TagError("the file shrank while it was read")
    return data


def _id3_size(data: bytes) -> int:
    """Bytes the ID3v2 tag at the start of `data` takes, its 10-byte header included."""
    if data[:3] != b"ID3" or len(data) < 10:
        raise TagError("mutagen wrote no ID3v2 tag")
    return 10 + sum((data[6 + index] & 0x7F) << (21 - 7 * index) for index in range(4))


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
    """The tags a file already carries (title, show, author, numbers, cover), e.g. to prefill
    a new episode from what the producer's editor wrote."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return existing_tags(_open(handle))
    except OSError as exc:
        raise TagError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    except TagError as exc:
        raise TagError(exc.message, path=path) from exc


def existing_tags(audio: FileType) -> EpisodeTags:
    """The tags mutagen's reading of a file found (see `read_tags`)."""
    found: Any = audio.tags if audio.tags is not None else {}
    family = (
        "mp4" if isinstance(audio, MP4) else "id3" if isinstance(audio, MP3 | WAVE) else "vorbis"
    )
    keys = _READ_KEYS[family]
    title, show, author, genre, episode, season = (str((found.get(key) or [""])[0]) for key in keys)
    cover, mime = _existing_cover(audio)
    return EpisodeTags(
        title=title,
        show=show,
        author=author,
        genre=genre,
        episode=_leading_int(episode),
        season=_leading_int(season),
        cover=cover,
        cover_mime=mime,
    )


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
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _tag(out: io.BufferedIOBase, audio: FileType, tags: EpisodeTags, id3_version: int) -> None:
    """Tag the file `out` holds, which `audio` is mutagen's reading of (or of its copy)."""
    duration = float(getattr(audio.info, "length", 0) or 0)
    out.seek(0)  # mutagen's savers expect a file as it opens one: at its start (FLAC reads)
    if isinstance(audio, MP3 | WAVE):
        _write_id3(audio, out, tags, id3_version, duration)
    elif isinstance(audio, MP4):
        _write_mp4(audio, out, tags)
    else:
        _write_vorbis(audio, out, tags, duration)


def _open(handle: io.BufferedIOBase) -> FileType:
    for parser in _PARSERS:
        try:
            handle.seek(0)
            return parser(handle)
        except Exception:  # noqa: BLE001
            # Any parser error only means "not this format"; the next one gets a try.
            continue
    raise TagError(_UNTAGGABLE)


def _padding(info: PaddingInfo) -> int:
    return _PADDING


def _write_id3(
    audio: MP3 | WAVE, out: io.BufferedIOBase, tags: EpisodeTags, version: int, duration: float
) -> None:
    if audio.tags is None:
        audio.add_tags()
    _fill_id3(audio.tags, tags, duration)
    if isinstance(audio, MP3):
        audio.save(out, v1=id3.ID3v1SaveOptions.UPDATE, v2_version=version, padding=_padding)
    else:
        audio.save(out, v2_version=version, padding=_padding)


def _fill_id3(existing: Any, tags: EpisodeTags, duration: float) -> None:
    """Replace our frames in an ID3 tag, keeping every other tool's."""
    for frame_id in _ID3_OWNED + _ID3_OWNED_MORE:
        existing.delall(frame_id)
    # Only the plain comment is ours; iTunes and encoders keep their own described ones.
    for key, frame in list(existing.items()):
        if key.startswith("COMM") and not frame.desc:
            del existing[key]
    for frame in _id3_frames(tags, duration):
        existing.add(frame)


def _id3_frames(tags: EpisodeTags, duration: float) -> Iterator[id3.Frame]:
    utf8 = id3.Encoding.UTF8
    texts: list[tuple[type[id3.Frame], str | None]] = [
        (id3.TIT2, tags.title),
        (id3.TALB, tags.show),
        (id3.TPE1, tags.author),
        (id3.TCON, tags.genre),
        (id3.TDES, tags.description),
        (id3.TGID, tags.guid),
        (id3.TCAT, tags.category),
        (id3.TLAN, tags.language),
        (id3.TRCK, _number(tags.episode)),
        (id3.TPOS, _number(tags.season)),
    ]
    for kind, text in texts:
        if text:
            yield kind(encoding=utf8, text=[text])
    if tags.date is not None:
        yield id3.TDRC(encoding=utf8, text=[_utc(tags.date).strftime("%Y-%m-%dT%H:%M:%S")])
    if tags.comment:
        yield id3.COMM(encoding=utf8, lang="XXX", desc="", text=[tags.comment])
    if tags.feed_url:
        yield id3.WFED(url=tags.feed_url)
    yield id3.PCST(value=1)
    if tags.cover:
        yield id3.APIC(encoding=utf8, mime=tags.cover_mime, type=3, desc="", data=tags.cover)
    yield from _id3_chapters(tags.chapters, duration)


def _id3_chapters(chapters: tuple[Chapter, ...], duration: float) -> Iterator[id3.Frame]:
    """CHAP frames (with title and link) under one ordered top-level table of contents."""
    spans = list(_spans(chapters, duration))
    ids = [f"chp{index}" for index in range(len(spans))]
    for element_id, (chapter, start, end) in zip(ids, spans, strict=True):
        sub_frames: list[id3.Frame] = [id3.TIT2(encoding=id3.Encoding.UTF8, text=[chapter.title])]
        if chapter.url:
            sub_frames.append(id3.WXXX(encoding=id3.Encoding.UTF8, desc="", url=chapter.url))
        yield id3.CHAP(
            element_id=element_id,
            start_time=round(start * 1000),
            end_time=round(end * 1000),
            # "offsets unknown": players seek by time, which survives re-encoding.
            start_offset=0xFFFFFFFF,
            end_offset=0xFFFFFFFF,
            sub_frames=sub_frames,
        )
    if ids:
        yield id3.CTOC(
            element_id="toc",
            flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[],
        )


def _spans(
    chapters: tuple[Chapter, ...], duration: float
) -> Iterator[tuple[Chapter, float, float]]:
    """Each chapter with its start and end: the next chapter's start, or the file's end."""
    ordered = sorted(chapters, key=lambda chapter: chapter.start)
    for index, chapter in enumerate(ordered):
        end = ordered[index + 1].start if index + 1 < len(ordered) else duration
        yield chapter, chapter.start, max(end, chapter.start)


def _write_mp4(audio: MP4, out: io.BufferedIOBase, tags: EpisodeTags) -> None:
    if audio.tags is None:
        audio.add_tags()
    mp4: Any = audio.tags
    for key in _MP4_OWNED:
        mp4.pop(key, None)
    texts = {
        "\xa9nam": tags.title,
        "\xa9alb": tags.show,
        "\xa9ART": tags.author,
        "aART": tags.author,
        "\xa9gen": tags.genre,
        # iTunes shows `desc` in lists and cuts it at 255 characters; `ldes` is the full text.
        "desc": tags.description[:255],
        "ldes": tags.description,
        "\xa9cmt": tags.comment,
        "purl": tags.feed_url,
        "egid": tags.guid,
        "catg": tags.category,
    }
    for key, text in texts.items():
        if text:
            mp4[key] = [text]
    if tags.date is not None:
        mp4["\xa9day"] = [_utc(tags.date).strftime("%Y-%m-%dT%H:%M:%SZ")]
    if tags.episode is not None:
        mp4["trkn"] = [(tags.episode, 0)]
        mp4["tves"] = [tags.episode]
    if tags.season is not None:
        mp4["disk"] = [(tags.season, 0)]
        mp4["tvsn"] = [tags.season]
    mp4["pcst"] = True
    if tags.cover:
        png = tags.cover_mime == "image/png"
        image_format = MP4Cover.FORMAT_PNG if png else MP4Cover.FORMAT_JPEG
        mp4["covr"] = [MP4Cover(tags.cover, imageformat=image_format)]
    audio.save(out, padding=_padding)


def _write_vorbis(
    audio: FileType, out: io.BufferedIOBase, tags: EpisodeTags, duration: float
) -> None:
    if audio.tags is None:
        audio.add_tags()
    comments: Any = audio.tags
    owned = set(_VORBIS_OWNED)
    for key in list(comments.keys()):
        if key.upper() in owned or _is_chapter_key(key):
            del comments[key]
    texts = [
        ("TITLE", tags.title),
        ("ALBUM", tags.show),
        ("ARTIST", tags.author),
        ("ALBUMARTIST", tags.author),
        ("DATE", tags.date and _utc(tags.date).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("DESCRIPTION", tags.description),
        ("COMMENT", tags.comment),
        ("TRACKNUMBER", _number(tags.episode)),
        ("DISCNUMBER", _number(tags.season)),
        ("GENRE", tags.genre),
        ("LANGUAGE", tags.language),
    ]
    for key, text in texts:
        if text:
            comments[key] = [text]
    for index, (chapter, start, _end) in enumerate(_spans(tags.chapters, duration), start=1):
        # The Vorbis chapter extension, which ffmpeg and several players read.
        comments[f"CHAPTER{index:03d}"] = [_timestamp(start)]
        comments[f"CHAPTER{index:03d}NAME"] = [chapter.title]
        if chapter.url:
            comments[f"CHAPTER{index:03d}URL"] = [chapter.url]
    picture = _picture(tags) if tags.cover else None
    if isinstance(audio, FLAC):
        audio.clear_pictures()
        if picture is not None:
            audio.add_picture(picture)
    elif picture is not None:
        encoded = base64.b64encode(picture.write()).decode("ascii")
        comments["METADATA_BLOCK_PICTURE"] = [encoded]
    save: Callable[..., None] = audio.save
    save(out, padding=_padding)


def _picture(tags: EpisodeTags) -> Picture:
    picture = Picture()
    picture.type = 3  # front cover
    picture.mime = tags.cover_mime
    picture.data = tags.cover or b""
    return picture


def _is_chapter_key(key: str) -> bool:
    upper = key.upper()
    return upper.startswith("CHAPTER") and upper[7:10].isdigit()


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _number(value: int | None) -> str | None:
    return None if value is None else str(value)


def _utc(moment: dt.datetime) -> dt.datetime:
    # Tag formats carry no time zone; UTC is the one reading that is the same everywhere.
    return moment.astimezone(dt.UTC) if moment.tzinfo is not None else moment
