"""Speech recognition on the producer's own machine, with faster-whisper (CTranslate2).

The one module that imports faster-whisper, and only when a transcript is asked for: the
extra `mediafeed[transcribe]` is optional, and nothing else loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediafeed.errors import ConfigError, MediaError

MISSING_EXTRA = "speech recognition needs faster-whisper: pip install 'mediafeed[transcribe]'"


@dataclass(frozen=True)
class Cue:
    """One stretch of recognized speech, in seconds from the start of the media."""

    start: float
    end: float
    text: str


def model_location(root: Path, model: str) -> str:
    """A folder named in mediafeed.toml (relative to the show) as its path; any other value
    is a model name faster-whisper fetches from its hub the first time."""
    folder = (root / model).expanduser()
    return str(folder) if folder.is_dir() else model


def recognizer(root: Path) -> Any:
    """faster-whisper's model class; without the extra, an error that says how to add it."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise ConfigError(MISSING_EXTRA, path=root / "mediafeed.toml", field="transcribe") from None
    return WhisperModel


def load_model(root: Path, model: str) -> Any:
    """The configured model, on the CPU with 8-bit weights: what a producer's laptop runs."""
    WhisperModel = recognizer(root)  # noqa: N806 - a class
    try:
        return WhisperModel(model_location(root, model), device="cpu", compute_type="int8")
    except (OSError, RuntimeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"cannot load speech model {model!r}: {reason}",
            path=root / "mediafeed.toml",
            field="transcribe.model",
        ) from None


def recognize(
    model: Any, media: Path, *, language: str, start: float = 0.0, prompt: str | None = None
) -> tuple[float, Iterator[Cue]]:
    """The media's duration and its cues as they are recognized, from `start` seconds on
    (a resumed run), with the text before it as `prompt` so the wording carries on."""
    code = language.split("-")[0].lower()
    try:  # the whole media is decoded here: the cues come as they are recognized
        segments, info = model.transcribe(
            str(media),
            language=code if model.model.is_multilingual else "en",
            clip_timestamps=[start] if start else "0",
            initial_prompt=prompt,
        )
    except (OSError, ValueError) as exc:  # PyAV's decoding errors are both
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MediaError(f"cannot recognize speech in it: {reason}", path=media) from None
    cues = (Cue(float(s.start), float(s.end), s.text.strip()) for s in segments)
    return float(info.duration), cues
