"""Probe media files with mutagen: duration, size, enclosure MIME type and content hash."""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import FileType
from mutagen.aac import AAC
from mutagen.flac import FLAC
from mutagen.mp3 import MP3, HeaderNotFoundError, MPEGFrame
from mutagen.mp4 import MP4, Atoms  # type: ignore[attr-defined]  # mutagen's box reader
from mutagen.mp4._as_entry import ES_Descriptor  # the esds parser MP4Info itself uses
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from mediafeed.errors import MediaError
from mediafeed.manifest import sha256_file
from mediafeed.media import mp3 as mpeg
from mediafeed.model import MediaInfo


@dataclass(frozen=True)
class _Kind:
    """What the content is, and how a podcast feed names it."""

    codec: str
    mime_type: str
    extension: str


# The one map from content to enclosure MIME type. Apple Podcasts documents audio/mpeg,
# audio/x-m4a and video/mp4 (and only accepts those three of these formats); the others
# are what Podcast Index and open-source apps expect. Ogg Opus is audio/ogg, not
# audio/opus: RFC 7845 registers Ogg files as audio/ogg and audio/opus names bare RTP
# payloads, which some apps refuse to download as an enclosure.
_MP3 = _Kind("mp3", "audio/mpeg", ".mp3")
_M4A = _Kind("aac", "audio/x-m4a", ".m4a")
_M4A_ALAC = _Kind("alac", "audio/x-m4a", ".m4a")
_MP4_VIDEO = _Kind("aac", "video/mp4", ".mp4")
_ADTS = _Kind("aac", "audio/aac", ".aac")
_VORBIS = _Kind("vorbis", "audio/ogg", ".ogg")
_OPUS = _Kind("opus", "audio/ogg", ".opus")
_FLAC = _Kind("flac", "audio/flac", ".flac")
_WAV = _Kind("pcm", "audio/wav", ".wav")
_KINDS = (_MP3, _M4A, _M4A_ALAC, _MP4_VIDEO, _ADTS, _VORBIS, _OPUS, _FLAC, _WAV)

# Extensions that name the same container, so a file named .m4b is not "lying".
_ALIASES = {".m4a": {".m4b", ".mp4"}, ".mp4": {".m4v"}, ".ogg": {".oga"}, ".wav": {".wave"}}

# Tried in this order on the content alone, never on the file name: the strict parsers
# first, MPEG audio last because it syncs on anything that looks like a frame header.
_PARSERS: tuple[type[FileType], ...] = (MP4, FLAC, OggOpus, OggVorbis, WAVE, AAC, MP3)
# For content that opens with an MPEG audio frame header (after any ID3 tag): none of the
# other parsers can take such a file, bar AAC, whose search for a sync word would cost
# most of the probe and can only mistake MPEG frames for ADTS ones.
_MPEG_FIRST: tuple[type[FileType], ...] = (MP3, *(p for p in _PARSERS if p is not MP3))

# An MP3 stream is real when its frames, read back to back, cover nearly all of the file.
_MIN_FRAMES = 4
_MIN_COVERAGE = 0.9
# A header that promises more audio than the file holds means a cut-off download or copy.
_TRUNCATION_SLACK = 0.5


def probe(path: Path) -> MediaInfo:
    """Read the facts a feed needs from the file's content; the extension plays no part."""
    path = Path(path)
    size = _size(path)
    audio = _parse(path)
    duration, bitrate, kind = _check(path, audio, size)
    return MediaInfo(
        duration=round(duration, 3),
        length=size,
        mime_type=kind.mime_type,
        sha256=sha256_file(path),
        codec=kind.codec,
        bitrate=int(bitrate),
        sample_rate=_sample_rate(audio),
        channels=_channels(path, audio),
        is_video=kind is _MP4_VIDEO,
    )


def extension_for(info: MediaInfo) -> str:
    """The extension a file with this content should carry, with its dot."""
    if info.mime_type == "audio/ogg":
        return _OPUS.extension if info.codec == "opus" else _VORBIS.extension
    for kind in _KINDS:
        if kind.mime_type == info.mime_type:
            return kind.extension
    raise MediaError(f"no known extension for {info.mime_type}", field="mime_type")


def extension_matches(path: Path, info: MediaInfo) -> bool:
    """Whether the file's name already tells the truth about its content."""
    expected = extension_for(info)
    suffix = Path(path).suffix.lower()
    return suffix == expected or suffix in _ALIASES.get(expected, set())


def _size(path: Path) -> int:
    stat = _stat(path)
    if not path.is_file():
        raise MediaError("not a regular file", path=path)
    if stat.st_size == 0:
        raise MediaError("file is empty", path=path)
    return stat.st_size


def _parse(path: Path) -> FileType:
    for parser in _MPEG_FIRST if _opens_with_mpeg_frame(path) else _PARSERS:
        try:
            audio = parser(path)
        except OSError as exc:
            raise MediaError(f"cannot read: {exc.strerror or exc}", path=path) from exc
        except Exception:  # noqa: BLE001
            # mutagen documents MutagenError, but hostile bytes can raise struct, index or
            # value errors from deep inside a parser: all of them mean "not this format".
            continue
        if audio.info is not None:
            return audio
    raise MediaError(_diagnose(path), path=path)


def _opens_with_mpeg_frame(path: Path) -> bool:
    """Whether the first bytes after any ID3v2 tag are an MPEG audio frame header."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(10)
            if head.startswith(b"ID3") and len(head) == 10:
                handle.seek(_id3_size(head))
                head = handle.read(4)
    except OSError:
        return False  # the parsers say why the file cannot be read
    return mpeg.decode_header(head) is not None


def _id3_size(head: bytes) -> int:
    """Bytes an ID3v2 tag takes, header included, from its 10-byte header."""
    # Four bytes of seven bits each ("syncsafe"), so the size never looks like a sync word.
    return 10 + (head[6] << 21 | head[7] << 14 | head[8] << 7 | head[9])


def _diagnose(path: Path) -> str:
    """Say why no parser took the file, in terms the producer can act on."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        size = os.fstat(handle.fileno()).st_size
    if head.startswith(b"ID3") and len(head) >= 10:
        declared = _id3_size(head)
        if declared >= size:
            return f"damaged ID3 tag: it claims {declared} bytes of a {size}-byte file"
    if head[4:8] == b"ftyp":
        return "damaged or truncated MP4/M4A file (no playable track found)"
    if head.startswith((b"OggS", b"fLaC", b"RIFF")):
        return "damaged or truncated audio file"
    return "not a supported audio or video file (MP3, M4A, MP4, Ogg, Opus, FLAC, WAV)"


def _check(path: Path, audio: FileType, size: int) -> tuple[float, float, _Kind]:
    """Refuse results no real file gives; return duration, bitrate and kind."""
    info: Any = audio.info
    if isinstance(audio, MP3):
        duration, bitrate = _mp3_length(path, audio, size)
        kind = _MP3
    else:
        duration, bitrate = float(info.length), float(getattr(info, "bitrate", 0) or 0)
        kind = _kind_of(path, audio, size)
    if not math.isfinite(duration) or duration <= 0:
        raise MediaError("no audio in file (duration is zero)", path=path)
    if not _sample_rate(audio) or not getattr(info, "channels", 0):
        raise MediaError("no audio stream found", path=path)
    return duration, bitrate, kind


def _sample_rate(audio: FileType) -> int:
    # Opus always decodes at 48 kHz whatever rate went into the encoder.
    return 48000 if isinstance(audio, OggOpus) else int(getattr(audio.info, "sample_rate", 0))


def _channels(path: Path, audio: FileType) -> int:
    info: Any = audio.info
    channels = int(getattr(info, "channels", 0) or 0)
    # For one-channel AAC, mutagen cannot rule out HE-AAC v2's hidden stereo and falls back
    # to the MP4 sample entry, which encoders fill with 2. Plain AAC-LC has no such
    # extension, so its decoder configuration is the truth.
    if isinstance(audio, MP4) and info.codec == "mp4a.40.2" and channels == 2:
        return 1 if _aac_lc_channel_config(path) == 1 else channels
    return channels


def _aac_lc_channel_config(path: Path) -> int | None:
    """channelConfiguration of the first AAC-LC track, from its esds decoder config."""
    with open(path, "rb") as handle:
        atoms = Atoms(handle)
        stsds = atoms[b"moov"].findall(b"stsd", True) if b"moov" in atoms else ()
        entries = [stsd.read(handle)[1][8:] for stsd in stsds]  # after version, flags, count
    for entry in entries:
        # An ISO mp4a sample entry: box header, 28 bytes of fields, then its esds child box.
        if entry[4:8] != b"mp4a" or entry[40:44] != b"esds" or entry[48:49] != b"\x03":
            continue
        try:
            es = ES_Descriptor.parse(io.BytesIO(entry[49:]))  # type: ignore[no-untyped-call]
        except Exception:  # noqa: BLE001  # an unreadable config leaves mutagen's value
            continue
        config = es.decConfigDescr.decSpecificInfo
        if config is not None and config.audioObjectType == 2:
            return int(config.channelConfiguration)
    return None


def _kind_of(path: Path, audio: FileType, size: int) -> _Kind:
    info: Any = audio.info
    if isinstance(audio, MP4):
        has_video, end = _mp4_layout(path)
        if end > size:
            raise MediaError(f"file is truncated ({size} of {end} bytes present)", path=path)
        if has_video:
            return _MP4_VIDEO
        return _M4A_ALAC if str(info.codec).startswith("alac") else _M4A
    if isinstance(audio, WAVE):
        # The data chunk's declared size gives the length; a cut-off file holds less.
        needed = info.length * info.sample_rate * info.channels * info.bits_per_sample / 8
        if needed > size:
            raise MediaError(f"file is truncated ({size} of {int(needed)} bytes)", path=path)
        return _WAV
    kinds: dict[type[FileType], _Kind] = {
        FLAC: _FLAC, OggOpus: _OPUS, OggVorbis: _VORBIS, AAC: _ADTS
    }  # fmt: skip
    return kinds[type(audio)]


def _mp4_layout(path: Path) -> tuple[bool, int]:
    """Whether any track is video, and where the last top-level box ends."""
    with open(path, "rb") as handle:
        atoms = Atoms(handle)
        end = max((atom.offset + atom.length for atom in atoms.atoms), default=0)
        handlers = (
            atoms[b"moov"].findall(b"hdlr", True) if b"moov" in atoms else ()
        )  # fmt: skip
        # hdlr payload: version and flags, pre_defined, then the handler type.
        has_video = any(hdlr.read(handle)[1][8:12] == b"vide" for hdlr in handlers)
    return has_video, end


def _mp3_length(path: Path, audio: MP3, size: int) -> tuple[float, float]:
    """Check the MPEG frames back to back; length from them unless a header states it.

    mutagen locks onto four plausible frame headers, which random bytes (a PNG, a damaged
    file) sometimes provide; a real stream's frames chain through the whole file.
    """
    info: Any = audio.info
    start = int(info.frame_offset)
    frames, end = mpeg.walk_frames(path, start, size) or _walk_frames_with_mutagen(
        path, start, size
    )
    tail = size - end
    if frames < _MIN_FRAMES or (end - start) < _MIN_COVERAGE * (size - start - min(tail, 128)):
        raise MediaError(
            f"not an MPEG audio stream (only {frames} frames from byte {start})", path=path
        )
    samples = 384 if info.layer == 1 else 576 if info.version != 1 and info.layer == 3 else 1152
    walked = frames * samples / info.sample_rate
    stated = getattr(info, "bitrate_mode", 0) != 0  # a Xing/Info or VBRI header was found
    if not stated:
        return walked, (end - start) * 8 / walked
    if walked + _TRUNCATION_SLACK < info.length:
        raise MediaError(
            f"file is truncated ({walked:.1f} s of {info.length:.1f} s present)", path=path
        )
    return float(info.length), float(info.bitrate)


def _walk_frames_with_mutagen(path: Path, start: int, size: int) -> tuple[int, int]:
    """Count whole frames as mpeg.walk_frames does, for the frames it leaves to mutagen.

    Slow (one MPEGFrame per frame), so only Layer I streams come this way.
    """
    count, end = 0, start
    with open(path, "rb") as handle:
        handle.seek(start)
        while True:
            try:
                MPEGFrame(handle)  # type: ignore[no-untyped-call]  # reads one, seeks past
            except HeaderNotFoundError:
                break
            if handle.tell() > size:
                break
            count, end = count + 1, handle.tell()
    return count, end


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except FileNotFoundError:
        raise MediaError("file not found", path=path) from None
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror or exc}", path=path) from exc
