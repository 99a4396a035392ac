"""What an episode's tags are, and the frames each tag format (ID3, MP4, Vorbis comments)
gets for them."""

# mutagen's frame and file classes have no annotations on their constructors and methods.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mutagen import FileType, PaddingInfo, id3
from mutagen.flac import FLAC, Picture
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.wave import WAVE

from mediafeed.errors import TagError
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


_ID3_OWNED = ("TIT2", "TALB", "TPE1", "TDRC", "TRCK", "TPOS", "TCON", "APIC", "PCST")
_ID3_OWNED_MORE = ("WFED", "TGID", "TDES", "TCAT", "TLAN", "CHAP", "CTOC")


def tag_into(out: io.BufferedIOBase, audio: FileType, tags: EpisodeTags, id3_version: int) -> None:
    """Tag the file `out` holds, which `audio` is mutagen's reading of (or of its copy)."""
    if id3_version not in (3, 4):
        raise TagError(f"ID3 version must be 3 or 4, not {id3_version}")
    duration = float(getattr(audio.info, "length", 0) or 0)
    out.seek(0)  # mutagen's savers expect a file as it opens one: at its start (FLAC reads)
    if audio.tags is None:
        audio.add_tags()
    if isinstance(audio, MP3 | WAVE):
        _fill_id3(audio.tags, tags, duration)
        v1 = {"v1": id3.ID3v1SaveOptions.UPDATE} if isinstance(audio, MP3) else {}
        audio.save(out, v2_version=id3_version, padding=_padding, **v1)
    elif isinstance(audio, MP4):
        _write_mp4(audio, out, tags)
    else:
        _write_vorbis(audio, out, tags, duration)


def _padding(info: PaddingInfo) -> int:
    # A fixed amount of padding makes the tag's size depend on its content alone, so writing
    # the same tags twice gives the same bytes, whatever padding the file had before.
    return 1024


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
    mp4: Any = audio.tags
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
    for key in (*texts, "\xa9day", "trkn", "tves", "disk", "tvsn", "pcst", "covr"):
        mp4.pop(key, None)
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
    comments: Any = audio.tags
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
    owned = {key for key, _ in texts} | {"METADATA_BLOCK_PICTURE"}
    for key in list(comments.keys()):
        upper = key.upper()
        if upper in owned or (upper.startswith("CHAPTER") and upper[7:10].isdigit()):
            del comments[key]
    for key, text in texts:
        if text:
            comments[key] = [text]
    for index, (chapter, start, _end) in enumerate(_spans(tags.chapters, duration), start=1):
        # The Vorbis chapter extension, which ffmpeg and several players read.
        comments[f"CHAPTER{index:03d}"] = [_timestamp(start)]
        comments[f"CHAPTER{index:03d}NAME"] = [chapter.title]
        if chapter.url:
            comments[f"CHAPTER{index:03d}URL"] = [chapter.url]
    picture = None
    if tags.cover:
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, tags.cover_mime, tags.cover  # front cover
    if isinstance(audio, FLAC):
        audio.clear_pictures()
        if picture is not None:
            audio.add_picture(picture)
    elif picture is not None:
        encoded = base64.b64encode(picture.write()).decode("ascii")
        comments["METADATA_BLOCK_PICTURE"] = [encoded]
    audio.save(out, padding=_padding)


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
