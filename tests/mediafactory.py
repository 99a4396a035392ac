"""Real media made by real encoders (espeak-ng, lame, ffmpeg), for tests of every module.

Each maker encodes once per test session into a private cache and hands out copies, so a
test may tag, truncate or rename its file freely without touching another test's.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

SPEECH = "Welcome to the show. This is a short test episode about loneliness and meeting people."

_FFMPEG = ("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y")


@functools.cache
def _cache_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="mediafeed-media-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def _run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True, timeout=120)


def _copy(source: Path, tmp_dir: Path, name: str) -> Path:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    target = tmp_dir / name
    shutil.copyfile(source, target)
    return target


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def _speech(text: str, seconds: float, sample_rate: int, channels: int) -> Path:
    """espeak-ng voice, padded or cut to `seconds`, as 16-bit PCM WAV."""
    raw = _cache_dir() / f"espeak-{_digest(text)}.wav"
    if not raw.exists():
        _run("espeak-ng", "-w", raw, text)
    out = _cache_dir() / f"speech-{_digest(text)}-{seconds}-{sample_rate}-{channels}.wav"
    _run(
        *_FFMPEG,
        "-i",
        raw,
        "-af",
        "apad",
        "-t",
        f"{seconds:.3f}",
        "-ar",
        str(sample_rate),
        "-ac",
        str(channels),
        "-c:a",
        "pcm_s16le",
        out,
    )
    return out


@functools.cache
def _encoded(key: str, seconds: float, encode: Callable[[Path, Path], None]) -> Path:
    out = _cache_dir() / f"{key}-{seconds}"
    encode(_speech(SPEECH, seconds, 44100, 1), out)
    return out


def speech_wav(
    tmp_dir: Path, text: str = SPEECH, seconds: float | None = None, name: str = "speech.wav"
) -> Path:
    """espeak-ng speech as WAV; with `seconds`, padded with silence or cut to that length."""
    if seconds is None:
        raw = _cache_dir() / f"espeak-{_digest(text)}.wav"
        if not raw.exists():
            _run("espeak-ng", "-w", raw, text)
        return _copy(raw, tmp_dir, name)
    return _copy(_speech(text, seconds, 22050, 1), tmp_dir, name)


def wav(
    tmp_dir: Path,
    name: str = "speech.wav",
    seconds: float = 2.0,
    *,
    sample_rate: int = 44100,
    channels: int = 1,
) -> Path:
    """16-bit PCM WAV of speech."""
    return _copy(_speech(SPEECH, seconds, sample_rate, channels), tmp_dir, name)


def _lame(*options: str) -> Callable[[Path, Path], None]:
    def encode(source: Path, out: Path) -> None:
        _run("lame", "--quiet", *options, source, out)

    return encode


def _ffmpeg(*options: str) -> Callable[[Path, Path], None]:
    def encode(source: Path, out: Path) -> None:
        _run(*_FFMPEG, "-i", source, *options, out)

    return encode


_LAME_CBR = _lame("-b", "64")
_LAME_VBR = _lame("-V", "6")
_LAME_CBR_BARE = _lame("-t", "-b", "64")
_LAME_VBR_BARE = _lame("-t", "-V", "6")
_AAC_M4A = _ffmpeg("-c:a", "aac", "-b:a", "48k", "-f", "ipod")
# Fragmented MP4 as live and streaming encoders write it: an empty moov, then moof boxes.
_AAC_FRAGMENTED = _ffmpeg("-c:a", "aac", "-b:a", "48k", "-movflags", "frag_keyframe+empty_moov",
                          "-frag_duration", "1000000", "-f", "ipod")  # fmt: skip
_AAC_ADTS = _ffmpeg("-c:a", "aac", "-b:a", "48k", "-f", "adts")
_VORBIS = _ffmpeg("-c:a", "libvorbis", "-q:a", "1", "-f", "ogg")
_OPUS = _ffmpeg("-c:a", "libopus", "-b:a", "24k", "-f", "opus")
_FLAC = _ffmpeg("-c:a", "flac", "-f", "flac")


def _video(source: Path, out: Path) -> None:
    seconds = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", source],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    _run(
        *_FFMPEG,
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size=64x48:rate=5:duration={seconds}",
        "-i",
        source,
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "48k",
        "-shortest",
        "-f",
        "mp4",
        out,
    )


def mp3_cbr(tmp_dir: Path, name: str = "speech.mp3", seconds: float = 2.0) -> Path:
    """Constant bitrate MP3 (64 kb/s) with LAME's Info header."""
    return _copy(_encoded("cbr.mp3", seconds, _LAME_CBR), tmp_dir, name)


def mp3_vbr(tmp_dir: Path, name: str = "speech.mp3", seconds: float = 2.0) -> Path:
    """Variable bitrate MP3 (lame -V 6) with Xing and LAME headers."""
    return _copy(_encoded("vbr.mp3", seconds, _LAME_VBR), tmp_dir, name)


def mp3_no_xing(
    tmp_dir: Path, name: str = "speech.mp3", seconds: float = 2.0, *, vbr: bool = False
) -> Path:
    """MP3 without any Xing/Info/VBRI header (lame -t): length must come from the frames."""
    encode, key = (_LAME_VBR_BARE, "vbr-bare.mp3") if vbr else (_LAME_CBR_BARE, "cbr-bare.mp3")
    return _copy(_encoded(key, seconds, encode), tmp_dir, name)


def m4a(tmp_dir: Path, name: str = "speech.m4a", seconds: float = 2.0) -> Path:
    """AAC in an MPEG-4 container with the iTunes brand (also right for .m4b)."""
    return _copy(_encoded("aac.m4a", seconds, _AAC_M4A), tmp_dir, name)


def m4a_fragmented(tmp_dir: Path, name: str = "speech.m4a", seconds: float = 2.0) -> Path:
    """AAC in one-second MP4 fragments (`moof` boxes) after an empty `moov`."""
    return _copy(_encoded("aac-fragmented.m4a", seconds, _AAC_FRAGMENTED), tmp_dir, name)


def aac_adts(tmp_dir: Path, name: str = "speech.aac", seconds: float = 2.0) -> Path:
    """Raw AAC in ADTS frames."""
    return _copy(_encoded("aac.aac", seconds, _AAC_ADTS), tmp_dir, name)


def mp4_video(tmp_dir: Path, name: str = "video.mp4", seconds: float = 2.0) -> Path:
    """A tiny H.264 test picture with AAC speech."""
    return _copy(_encoded("video.mp4", seconds, _video), tmp_dir, name)


def ogg_vorbis(tmp_dir: Path, name: str = "speech.ogg", seconds: float = 2.0) -> Path:
    return _copy(_encoded("vorbis.ogg", seconds, _VORBIS), tmp_dir, name)


def opus(tmp_dir: Path, name: str = "speech.opus", seconds: float = 2.0) -> Path:
    return _copy(_encoded("opus.opus", seconds, _OPUS), tmp_dir, name)


def flac(tmp_dir: Path, name: str = "speech.flac", seconds: float = 2.0) -> Path:
    return _copy(_encoded("flac.flac", seconds, _FLAC), tmp_dir, name)


def _picture(tmp_dir: Path, name: str, size: int, codec: str) -> Path:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    out = tmp_dir / name
    _run(*_FFMPEG, "-f", "lavfi", "-i", f"testsrc=size={size}x{size}", "-frames:v", "1",
         "-f", "image2", "-c:v", codec, out)  # fmt: skip
    return out


def png(tmp_dir: Path, name: str = "cover.png", size: int = 64) -> Path:
    """A real PNG picture made by ffmpeg, for cover art and for files that are not audio."""
    return _picture(tmp_dir, name, size, "png")


def jpeg(tmp_dir: Path, name: str = "cover.jpg", size: int = 64) -> Path:
    """A real JPEG picture made by ffmpeg."""
    return _picture(tmp_dir, name, size, "mjpeg")


def mp3_tagged(tmp_dir: Path, version: str, name: str = "tagged.mp3", seconds: float = 2.0) -> Path:
    """CBR MP3 with a title tag as another tool wrote it: `v1`, `v2.3` (lame) or `v2.4`."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    source = _speech(SPEECH, seconds, 44100, 1)
    out = tmp_dir / name
    if version == "v2.4":
        _run(
            *_FFMPEG,
            "-i",
            source,
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            "-id3v2_version",
            "4",
            "-metadata",
            "title=Tagged elsewhere",
            "-f",
            "mp3",
            out,
        )
    else:
        only = {"v1": "--id3v1-only", "v2.3": "--id3v2-only"}[version]
        _run("lame", "--quiet", "-b", "64", only, "--tt", "Tagged elsewhere", source, out)
    return out


def noise_png(tmp_dir: Path, name: str = "noise.png", size: int = 1450) -> Path:
    """A PNG of random pixels, which compresses badly: about 3 bytes per pixel."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    out = tmp_dir / name
    noise = "geq=random(1)*255:random(2)*255:random(3)*255"
    _run(
        *_FFMPEG,
        "-f",
        "lavfi",
        "-i",
        f"nullsrc=s={size}x{size},{noise}",
        "-frames:v",
        "1",
        "-pix_fmt",
        "rgb24",
        "-f",
        "image2",
        "-c:v",
        "png",
        out,
    )
    return out


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) by the Debian ffmpeg's own meter: the
    reference the loudness tests hold mediafeed's figures to."""
    log = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
         "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        check=True, capture_output=True, text=True, timeout=120,
    ).stderr  # fmt: skip
    summary = log[log.rindex("Summary:") :]
    integrated = float(summary.split("I:")[1].split("LUFS")[0])
    peak = float(summary.split("Peak:")[1].split("dBFS")[0])
    return integrated, peak


def seconds_of(path: Path) -> float:
    """The duration ffprobe reads."""
    return float(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        check=True, capture_output=True, text=True,
    ).stdout)  # fmt: skip


@functools.cache
def _at_loudness(lufs: float, seconds: float) -> Path:
    """Speech turned up or down to `lufs` as 16-bit PCM: a loud target clips, as an
    over-driven recording does."""
    speech = _speech(SPEECH, seconds, 44100, 1)
    out = _cache_dir() / f"speech-{lufs}-{seconds}.wav"
    gain = lufs - ebur128(speech)[0]
    for _ in range(4):  # clipping takes loudness away: correct until it lands
        _run(*_FFMPEG, "-i", speech, "-af", f"volume={gain:.2f}dB", "-c:a", "pcm_s16le", out)
        gain += lufs - ebur128(out)[0]
    return out


def mp3_at(tmp_dir: Path, lufs: float, name: str = "speech.mp3", seconds: float = 6.0) -> Path:
    """Spoken MP3 (64 kb/s) at an integrated loudness of about `lufs`."""
    out = _cache_dir() / f"speech-{lufs}-{seconds}.mp3"
    if not out.exists():
        _LAME_CBR(_at_loudness(lufs, seconds), out)
    return _copy(out, tmp_dir, name)


def m4a_stereo(tmp_dir: Path, name: str = "stereo.m4a", seconds: float = 6.0) -> Path:
    """AAC stereo in an MPEG-4 container."""
    out = _cache_dir() / f"stereo-{seconds}.m4a"
    if not out.exists():
        _AAC_M4A(_speech(SPEECH, seconds, 44100, 2), out)
    return _copy(out, tmp_dir, name)
