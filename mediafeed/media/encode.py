"""Loudness measured by ITU-R BS.1770 / EBU R128, loudness-normalized copies and extra
renditions, all by the ffmpeg that `imageio-ffmpeg` ships to every platform through pip.

Measuring uses ffmpeg's `ebur128` meter (`peak=true`: true peak 4x oversampled, as
BS.1770-4 asks), the meter the field checks against. Normalizing is loudnorm's two passes;
the copy is then metered as encoded, since a lossy encoder's low-pass moves the reading by
up to half a LU. Each function writes into the path it is given, a temp file of the caller.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mediafeed.errors import MediaError
from mediafeed.model import Format, Loudness, LoudnessTarget, MediaInfo, Normalization

# Lossy encoders overshoot the limiter by a few tenths of a dB; aim that much lower so the
# encoded file, measured afterwards, still keeps under the show's ceiling.
PEAK_MARGIN = 0.5
# Encoder settings by the file's ending: (ffmpeg arguments, whether a video stream is kept).
_CODECS: dict[str, tuple[tuple[str, ...], bool]] = {
    ".mp3": (("-c:a", "libmp3lame", "-f", "mp3"), False),
    ".m4a": (("-c:a", "aac", "-f", "ipod"), False),
    ".aac": (("-c:a", "aac", "-f", "adts"), False),
    ".mp4": (("-c:v", "copy", "-c:a", "aac", "-f", "mp4"), True),
    ".mov": (("-c:v", "copy", "-c:a", "aac", "-f", "mov"), True),
    ".opus": (("-c:a", "libopus", "-f", "opus"), False),
    ".ogg": (("-c:a", "libvorbis", "-f", "ogg"), False),
    ".flac": (("-c:a", "flac", "-f", "flac"), False),
    ".wav": (("-c:a", "pcm_s16le", "-f", "wav"), False),
}
_CODECS.update({".m4b": _CODECS[".m4a"], ".m4v": _CODECS[".mp4"], ".oga": _CODECS[".ogg"]})
LOSSLESS = {".flac", ".wav"}
# The figures of loudnorm's analysis its correcting pass takes, as `measured_<name>`.
_MEASURED = ("I", "TP", "LRA", "thresh")


@dataclass(frozen=True)
class Kind:
    """What a rendition format is made as: its ending (which names its encoder), MIME type
    and title."""

    suffix: str
    mime_type: str
    title: str


RENDITIONS = {
    "opus": Kind(".opus", "audio/ogg", "Opus"),
    "aac": Kind(".m4a", "audio/mp4", "AAC"),
    "audio": Kind(".m4a", "audio/mp4", "Audio (AAC)"),
}

METER = "ebur128=peak=true:framelog=verbose"  # per-frame lines only at -v verbose
Tick = Callable[[float], None]  # seconds of the media done so far


def ffmpeg_version() -> str:
    """What the encoded bytes depend on besides their settings: the bundle's version."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.__version__)


def measure(path: Path, *, channels: int) -> Loudness:
    """Integrated loudness (LUFS), loudness range (LU) and true peak (dBTP) of the file."""
    return _metered(_run(path, ["-map", "0:a:0", "-vn", "-af", METER], None), path, channels)


def normalize(
    source: Path,
    out: Path,
    *,
    suffix: str,
    target: LoudnessTarget,
    probed: MediaInfo,
    tick: Tick | None = None,
) -> tuple[Loudness, Normalization]:
    """Write a loudness-normalized copy of `source` into `out`, encoded as `suffix` files are
    (linear gain where that keeps the peaks under the ceiling, else loudnorm's limiter);
    the copy's loudness, measured, and what was applied."""
    if suffix not in _CODECS:
        raise MediaError(f"cannot normalize {suffix} files", path=source)
    analysis = "loudnorm=I=-16:TP=-1:LRA=11:print_format=json"
    found = _stats(_run(source, ["-map", "0:a:0", "-vn", "-af", analysis], tick), source)
    goal = target.integrated(probed.channels)
    lra = min(50.0, max(11.0, _figure(found["input_lra"]) + 1))
    measured = ":".join(f"measured_{name}={found[f'input_{name.lower()}']}" for name in _MEASURED)
    codec, video = _CODECS[suffix]
    rate = ["-b:a", f"{max(32, round(probed.bitrate / 1000))}k"] if suffix not in LOSSLESS else []
    streams = ["-map", "0:a:0", *(["-map", "0:v:0?"] if video else ["-vn"])]
    encoding = ["-ar", str(probed.sample_rate or 48000), *rate, *codec]
    peak = target.max_true_peak - PEAK_MARGIN
    for _ in range(3):
        chain = (
            f"loudnorm=I={goal}:TP={max(-9.0, peak):.2f}:LRA={lra}:{measured}"
            f":offset={found['target_offset']}:linear=true"
        )
        _run(source, [*streams, "-map_metadata", "0", "-af", chain, *encoding], tick, out)
        loudness = measure(out, channels=probed.channels)
        if loudness.true_peak <= target.max_true_peak:
            break
        # A low bitrate overshoots more than the margin: limit lower by what it overshot.
        peak -= loudness.true_peak - target.max_true_peak + 0.2
    return loudness, Normalization(probed.sha256, goal, target.max_true_peak)


def render(source: Path, out: Path, fmt: Format, *, tick: Tick | None = None) -> None:
    """An audio-only rendition of `source` in `fmt`, into `out`."""
    kind = RENDITIONS[fmt.name]
    # bitexact: the same input and settings give the same bytes (no random Ogg serial, no
    # encoder version), so a rendition made again is the one already published.
    bitexact = ["-fflags", "+bitexact", "-flags:a", "+bitexact"]
    audio = ["-map", "0:a:0", "-vn", "-map_metadata", "-1"]
    codec = _CODECS[kind.suffix][0]
    _run(source, [*audio, *bitexact, "-b:a", f"{fmt.bitrate}k", *codec], tick, out)


def _stats(stderr: str, path: Path) -> dict[str, str]:
    """The JSON block loudnorm prints last."""
    start = stderr.rfind("{")
    try:
        stats = json.loads(stderr[start : stderr.rindex("}") + 1])
    except ValueError:
        raise MediaError("ffmpeg measured no loudness: no audio stream?", path=path) from None
    return {str(key): str(value) for key, value in stats.items()}


_SUMMARY = re.compile(r"Summary:.*?I:\s*(\S+) LUFS.*?LRA:\s*(\S+) LU.*?Peak:\s*(\S+) dBFS", re.S)


def _metered(stderr: str, path: Path, channels: int) -> Loudness:
    """The figures the ebur128 meter prints in its summary."""
    found = _SUMMARY.search(stderr)
    if found is None:
        raise MediaError("ffmpeg measured no loudness: no audio stream?", path=path)
    integrated, lra, peak = (_figure(value) for value in found.groups())
    return Loudness(integrated=integrated, range=lra, true_peak=peak, channels=channels)


def _figure(value: str) -> float:
    """A measured figure, rounded as an episode file writes it; silence reads -inf."""
    return round(float(value), 2)


_TIME = re.compile(rb"out_time_us=(\d+)")


def _run(source: Path, args: list[str], tick: Tick | None, out: Path | None = None) -> str:
    """ffmpeg's log of a run on `source` with `args`, into `out` (or none); its progress
    feeds `tick`. A failure is the producer's file's error, with ffmpeg's last line."""
    import imageio_ffmpeg  # the bundled binary: `pip install mediafeed` is all one installs

    into = ["-y", str(out)] if out is not None else ["-f", "null", "-"]
    progress = ["-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1"]
    command = [imageio_ffmpeg.get_ffmpeg_exe(), *progress, "-i", str(source), *args, *into]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        log: list[bytes] = []
        reader = threading.Thread(target=lambda: log.append(proc.stderr.read()))  # type: ignore[union-attr]
        reader.start()
        for line in proc.stdout:
            found = _TIME.match(line)
            if found and tick is not None:
                tick(int(found[1]) / 1e6)
        reader.join()
        code = proc.wait()
    text = b"".join(log).decode("utf-8", "replace")
    if code != 0:
        last = [line for line in text.splitlines() if line.strip()][-1:] or ["ffmpeg failed"]
        raise MediaError(f"ffmpeg could not read or encode it: {last[0].strip()}", path=source)
    return text
