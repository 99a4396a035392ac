"""Probe media files with mutagen: duration, size, enclosure MIME type and content hash.

A probe opens the file once and reads it once: mutagen parses the headers through that one
handle, and a single pass in large blocks both hashes the file and walks its MPEG frames.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import stat
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import FileType
from mutagen.aac import AAC
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from mediafeed.errors import MediaError
from mediafeed.media import flac, mp4
from mediafeed.media import mp3 as mpeg
from mediafeed.model import MediaInfo


@dataclass(frozen=True)
class Kind:
    """What the content is, and how a podcast feed names it."""

    codec: str
    mime_type: str
    extension: str


# The one map from content to enclosure MIME type: Apple documents audio/mpeg, audio/x-m4a
# and video/mp4; the others are what Podcast Index and open-source apps expect. Ogg Opus
# is audio/ogg (RFC 7845); audio/opus names bare RTP payloads, which some apps refuse.
_MP3 = Kind("mp3", "audio/mpeg", ".mp3")
_M4A = Kind("aac", "audio/x-m4a", ".m4a")
_M4A_ALAC = Kind("alac", "audio/x-m4a", ".m4a")
_MP4_VIDEO = Kind("aac", "video/mp4", ".mp4")
_ADTS = Kind("aac", "audio/aac", ".aac")
_VORBIS = Kind("vorbis", "audio/ogg", ".ogg")
_OPUS = Kind("opus", "audio/ogg", ".opus")
_FLAC = Kind("flac", "audio/flac", ".flac")
_WAV = Kind("pcm", "audio/wav", ".wav")
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
# Bits a second no real file of that codec goes below: one smaller than its stated
# duration at this rate is cut off, or its header lies. MP3 frames never drop under
# 8 kbit/s; the others shrink with silence (measured, 236 s of it at 8 kHz: AAC 530 bit/s,
# Vorbis 800, FLAC some 300), so their floor sits below that and real speech always passes.
# PCM is checked exactly, from its data chunk.
_MIN_BITRATE = {"mp3": 4000, "aac": 200, "alac": 200, "opus": 200, "vorbis": 200, "flac": 200}
# An Ogg page's 27-byte header, 255 lacing values, and at most 255 bytes of each.
_OGG_PAGE_MAX = 27 + 255 + 255 * 255
# Reads this large cost few system calls; the buffer is reused, so size never costs memory.
_BLOCK = 1 << 20

# What is shown a file's bytes as they are read: each block, with the offset it starts at.
Observer = Callable[[int, memoryview], None]


@dataclass(frozen=True)
class MediaFile:
    """A media file opened once, with mutagen's reading of its headers. Errors name `path`,
    whatever copy is being made."""

    path: Path
    handle: io.BufferedIOBase
    size: int
    audio: FileType
    kind: Kind


def probe(path: Path) -> MediaInfo:
    """Read the facts a feed needs from the file's content; the extension plays no part."""
    with open_media(path) as media:
        walk = frame_walk(media)
        digest = hashlib.sha256()
        for offset, block in read_blocks(media, 0, media.size):
            digest.update(block)
            if walk is not None:
                walk.feed(offset, block)
        return facts(media, walk, length=media.size, sha256=digest.hexdigest())


@contextlib.contextmanager
def open_media(path: Path) -> Iterator[MediaFile]:
    """Open the file, refuse what is not audio or video, and parse its headers; all else
    is done through this one handle, while the block lasts."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # asked first: a named pipe blocks an open
            raise MediaError("not a regular file", path=path)
        handle = open(path, "rb")  # noqa: SIM115  # closed by the with below
    except FileNotFoundError:
        raise MediaError("file not found", path=path) from None
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise MediaError("file is empty", path=path)
        audio = _parse(handle, path, size)
        yield MediaFile(path, handle, size, audio, _kind_of(handle, path, audio, size))


def frame_walk(media: MediaFile) -> mpeg.FrameWalk | None:
    """For an MP3, the frame walk `facts` needs: feed it the file's bytes from its first frame."""
    if not isinstance(media.audio, MP3):
        return None
    info: Any = media.audio.info
    return mpeg.FrameWalk(int(info.frame_offset), media.size)


def facts(media: MediaFile, walk: mpeg.FrameWalk | None, *, length: int, sha256: str) -> MediaInfo:
    """The facts of the file's audio, checked; `walk` is `frame_walk(media)` fed the whole
    file. `length` and `sha256` may be a tagged copy's: tags change no facts of the audio."""
    duration, bitrate = _check(media, walk)
    return MediaInfo(
        duration=round(duration, 3),
        length=length,
        mime_type=media.kind.mime_type,
        sha256=sha256,
        codec=media.kind.codec,
        bitrate=int(bitrate),
        sample_rate=_sample_rate(media.audio),
        channels=_channels(media),
        is_video=media.kind is _MP4_VIDEO,
    )


def read_blocks(media: MediaFile, start: int, stop: int) -> Iterator[tuple[int, memoryview]]:
    """The file's bytes from `start` to `stop`, with the offset of each block. One buffer
    serves every block: use each before asking for the next."""
    handle, buffer = media.handle, bytearray(_BLOCK)
    view, offset = memoryview(buffer), start
    handle.seek(start)
    try:
        while offset < stop:
            filled = handle.readinto(view[: min(_BLOCK, stop - offset)])
            if not filled:
                raise MediaError("the file shrank while it was read", path=media.path)
            yield offset, view[:filled]
            offset += filled
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror or exc}", path=media.path) from exc


def extension_for(info: MediaInfo | Kind) -> str:
    """The extension a file with this content should carry, with its dot."""
    if info.mime_type == "audio/ogg":
        return _OPUS.extension if info.codec == "opus" else _VORBIS.extension
    for kind in _KINDS:
        if kind.mime_type == info.mime_type:
            return kind.extension
    raise MediaError(f"no known extension for {info.mime_type}", field="mime_type")


def extension_matches(path: Path, info: MediaInfo | Kind) -> bool:
    """Whether the file's name already tells the truth about its content."""
    expected = extension_for(info)
    suffix = path.suffix.lower()
    return suffix == expected or suffix in _ALIASES.get(expected, set())


def _parse(handle: io.BufferedIOBase, path: Path, size: int) -> FileType:
    for parser in _MPEG_FIRST if _opens_with_mpeg_frame(handle) else _PARSERS:
        try:
            handle.seek(0)
            audio = parser(handle)
        except OSError as exc:
            raise MediaError(f"cannot read: {exc.strerror or exc}", path=path) from exc
        except Exception:  # noqa: BLE001
            # mutagen documents MutagenError, but hostile bytes can raise struct, index or
            # value errors from deep inside a parser: all of them mean "not this format".
            continue
        if audio.info is not None:
            return audio
    raise MediaError(_diagnose(handle, size), path=path)


def _opens_with_mpeg_frame(handle: io.BufferedIOBase) -> bool:
    """Whether the first bytes after any ID3v2 tag are an MPEG audio frame header."""
    try:
        handle.seek(_after_id3(handle))
        head = handle.read(4)
    except OSError:
        return False  # the parsers say why the file cannot be read
    return mpeg.decode_header(head) is not None


def _after_id3(handle: io.BufferedIOBase) -> int:
    """Where the file's content starts: after the ID3v2 tag some tools put before any format."""
    handle.seek(0)
    head = handle.read(10)
    return id3_size(head) if head.startswith(b"ID3") and len(head) == 10 else 0


def id3_size(head: bytes) -> int:
    """Bytes an ID3v2 tag takes, header included, from its 10-byte header."""
    # Four bytes of seven bits each ("syncsafe"), so the size never looks like a sync word.
    return 10 + (head[6] << 21 | head[7] << 14 | head[8] << 7 | head[9])


def _diagnose(handle: io.BufferedIOBase, size: int) -> str:
    """Say why no parser took the file, in terms the producer can act on."""
    handle.seek(0)
    head = handle.read(36)
    if head.startswith(b"ID3") and len(head) >= 10:
        declared = id3_size(head)
        if declared >= size:
            return f"damaged ID3 tag: it claims {declared} bytes of a {size}-byte file"
    if head[4:8] == b"ftyp":
        return "damaged or truncated MP4/M4A file (no playable track found)"
    # RIFF and Ogg also hold what is not audio of ours (AVI, WebP, Theora video, Speex):
    # only a WAVE, or an Ogg whose first packet (at byte 28) is Vorbis or Opus, is damaged.
    wave = head.startswith(b"RIFF") and head[8:12] == b"WAVE"
    ogg = head.startswith(b"OggS") and head[28:36].startswith((b"\x01vorbis", b"OpusHead"))
    if head.startswith(b"fLaC") or wave or ogg:
        return "damaged or truncated audio file"
    return "not a supported audio or video file (MP3, M4A, MP4, Ogg, Opus, FLAC, WAV)"


def _check(media: MediaFile, walk: mpeg.FrameWalk | None) -> tuple[float, float]:
    """Refuse results no real file gives; return duration and bitrate."""
    audio, path = media.audio, media.path
    info: Any = audio.info
    if isinstance(audio, MP3):
        if walk is None:
            raise ValueError("an MP3 needs its frame walk")
        duration, bitrate = _mp3_length(media, walk)
    else:
        duration, bitrate = float(info.length), float(getattr(info, "bitrate", 0) or 0)
    if isinstance(audio, MP4):
        try:
            duration = mp4.fragmented_duration(media.handle) or duration
        except (ValueError, KeyError, struct.error) as exc:
            raise MediaError(f"damaged fragmented MP4 ({exc})", path=path) from None
    if not math.isfinite(duration) or duration <= 0:
        raise MediaError("no audio in file (duration is zero)", path=path)
    if isinstance(audio, FLAC) and info.total_samples:
        present = flac.samples_present(media.handle, media.size, info.min_blocksize)
        if present is None or present + _TRUNCATION_SLACK * info.sample_rate < info.total_samples:
            held = f"{present / info.sample_rate:.1f} s of" if present else "cut inside a frame,"
            raise MediaError(f"file is truncated ({held} {duration:.1f} s)", path=path)
    floor, payload = _MIN_BITRATE.get(media.kind.codec, 0), _audio_bytes(media)
    if payload * 8 < duration * floor:
        raise MediaError(
            f"file is truncated or damaged: it claims {duration:.0f} s, and its {payload} bytes "
            f"of audio hold at most {payload * 8 / floor:.1f} s of {media.kind.codec}",
            path=path,
        )
    bitrate = bitrate or media.size * 8 / duration
    if not _sample_rate(audio) or not getattr(info, "channels", 0):
        raise MediaError("no audio stream found", path=path)
    return duration, bitrate


def _audio_bytes(media: MediaFile) -> int:
    """Bytes of the file that can hold audio: not FLAC's metadata blocks (tags, cover,
    padding), only MP4's media data boxes; the whole file for the other formats."""
    if isinstance(media.audio, MP4):
        return mp4.media_data_bytes(media.handle)
    if not isinstance(media.audio, FLAC):
        return media.size
    handle = media.handle
    offset = _after_id3(handle) + 4  # "fLaC"
    while True:
        handle.seek(offset)
        block = handle.read(4)
        if len(block) < 4:
            return 0
        offset += 4 + int.from_bytes(block[1:4], "big")
        if block[0] & 0x80:  # the last metadata block
            return max(media.size - offset, 0)


def _sample_rate(audio: FileType) -> int:
    # Opus always decodes at 48 kHz whatever rate went into the encoder.
    return 48000 if isinstance(audio, OggOpus) else int(getattr(audio.info, "sample_rate", 0))


def _channels(media: MediaFile) -> int:
    audio = media.audio
    info: Any = audio.info
    channels = int(getattr(info, "channels", 0) or 0)
    # For one-channel AAC, mutagen cannot rule out HE-AAC v2's hidden stereo and falls back
    # to the MP4 sample entry, which encoders fill with 2. Plain AAC-LC has no such
    # extension, so its decoder configuration is the truth.
    if isinstance(audio, MP4) and info.codec == "mp4a.40.2" and channels == 2:
        return 1 if mp4.aac_lc_channel_config(media.handle) == 1 else channels
    return channels


def _kind_of(handle: io.BufferedIOBase, path: Path, audio: FileType, size: int) -> Kind:
    info: Any = audio.info
    if isinstance(audio, MP3):
        return _MP3
    if isinstance(audio, MP4):
        has_video, end = mp4.layout(handle)
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
    if isinstance(audio, OggOpus | OggVorbis) and not _ogg_ends_stream(handle, size):
        raise MediaError("file is truncated (its last Ogg page does not end the stream)", path=path)
    return {FLAC: _FLAC, OggOpus: _OPUS, OggVorbis: _VORBIS, AAC: _ADTS}[type(audio)]


def _ogg_ends_stream(handle: io.BufferedIOBase, size: int) -> bool:
    """Whether the file ends with a whole Ogg page flagged end-of-stream, as encoders close
    every file: a cut-off copy lacks it, and mutagen would give the part's length."""
    handle.seek(max(size - _OGG_PAGE_MAX, 0))
    tail = handle.read()
    at = tail.rfind(b"OggS")
    while at >= 0:  # the bytes "OggS" can occur inside a packet: try each from the end
        count = tail[at + 26] if len(tail) > at + 26 else len(tail)
        if at + 27 + count + sum(tail[at + 27 : at + 27 + count]) == len(tail):
            return bool(tail[at + 5] & 0x04)
        at = tail.rfind(b"OggS", 0, at)
    return False


def _mp3_length(media: MediaFile, walk: mpeg.FrameWalk) -> tuple[float, float]:
    """Check the MPEG frames back to back; length from them unless a header states it.
    mutagen locks onto four plausible frame headers, which random bytes (a PNG, a damaged
    file) sometimes provide; a real stream's frames chain through the whole file."""
    path, size = media.path, media.size
    info: Any = media.audio.info
    start, frames, end = int(info.frame_offset), walk.count, walk.end
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
