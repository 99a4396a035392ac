"""How loud a show should be and in which extra formats it comes: the `[loudness]` table and
`formats` of mediafeed.toml, the `loudness` and `normalized` fields of episode files, and
the check rule that compares them. Each reader raises ValueError with what is wrong; the
config and episode readers name the field."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mediafeed.model import Episode, Format, Loudness, LoudnessTarget, Normalization, Show

# Bitrates (kb/s) a format gets when mediafeed.toml names it without one: Opus is
# transparent for speech well below what MP3 needs.
DEFAULT_BITRATES = {"opus": 48, "aac": 96, "audio": 96}
_TARGET_KEYS = {
    "target": "stereo",
    "mono_target": "mono",
    "tolerance": "tolerance",
    "max_true_peak": "max_true_peak",
}


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    return float(value)


def parse_target(value: Any) -> LoudnessTarget:
    """`[loudness]`: target (stereo, LUFS), mono_target, tolerance (LU), max_true_peak."""
    if not isinstance(value, dict) or set(value) - set(_TARGET_KEYS):
        raise ValueError(f"a table with {', '.join(_TARGET_KEYS)}")
    found = {_TARGET_KEYS[key]: _number(item, key) for key, item in value.items()}
    target = LoudnessTarget(**found)
    if not -70 <= target.stereo <= 0 or not -70 <= target.mono <= 0:
        raise ValueError("targets are LUFS between -70 and 0, e.g. -16")
    if target.tolerance <= 0 or target.max_true_peak > 0:
        raise ValueError("tolerance must be above 0 and max_true_peak at most 0 dBTP")
    return target


def parse_formats(value: Any) -> tuple[Format, ...]:
    """`formats = ["opus", "aac"]`, or a table of names and bitrates in kb/s."""
    table = value if isinstance(value, dict) else None
    if table is None and isinstance(value, list) and all(isinstance(v, str) for v in value):
        table = {name: DEFAULT_BITRATES.get(name, 0) for name in value}
    if table is None:
        raise ValueError('a list like ["opus", "aac"], or a table like { opus = 48 }')
    formats = []
    for name, bitrate in table.items():
        if name not in DEFAULT_BITRATES:
            raise ValueError(f"{name!r}: must be one of {', '.join(DEFAULT_BITRATES)}")
        if isinstance(bitrate, bool) or not isinstance(bitrate, int) or not 6 <= bitrate <= 512:
            raise ValueError(f"{name}: a bitrate in kb/s from 6 to 512, got {bitrate!r}")
        formats.append(Format(name, bitrate))
    return tuple(formats)


def parse_loudness(value: Any) -> Loudness:
    """What `add` measured: integrated, range, true_peak and channels."""
    keys = {"integrated", "range", "true_peak", "channels"}
    if not isinstance(value, dict) or not keys - {"channels"} <= set(value) <= keys:
        raise ValueError("a mapping with integrated, range and true_peak (and channels)")
    channels = value.get("channels", 2)
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError("channels: a whole number from 1")
    figures = {key: _number(value[key], key) for key in ("integrated", "range", "true_peak")}
    return Loudness(**figures, channels=channels)


def parse_normalized(value: Any) -> Normalization:
    """What `normalize` applied: the original's sha256 (and name), target and true_peak."""
    keys = {"original_sha256", "target", "true_peak", "original"}
    if not isinstance(value, dict) or not keys - {"original"} <= set(value) <= keys:
        raise ValueError("a mapping with original_sha256, target and true_peak (and original)")
    original = value.get("original")
    return Normalization(
        original_sha256=str(value["original_sha256"]),
        target=_number(value["target"], "target"),
        true_peak=_number(value["true_peak"], "true_peak"),
        original=None if original is None else str(original),
    )


def episode_loudness_fields(
    data: dict[str, Any], fail: Callable[[str, str], None]
) -> dict[str, Any]:
    """An episode file's loudness and normalized fields; `fail(message, field)` hears of
    each one that is wrong."""
    fields = {}
    for key, read in (("loudness", parse_loudness), ("normalized", parse_normalized)):
        if data.get(key) is not None:
            try:
                fields[key] = read(data[key])
            except ValueError as exc:
                fail(str(exc), key)
    return fields


def loudness_problems(
    show: Show, episodes: Iterable[Episode]
) -> Iterator[tuple[str, str, str, str]]:
    """What `check` says of each episode's measured loudness: rule, path, field, message."""
    target = show.loudness
    for ep in episodes:
        found = ep.loudness
        if found is None:
            continue
        goal = target.integrated(found.channels)
        kind = "mono" if found.channels == 1 else "stereo"
        if abs(found.integrated - goal) > target.tolerance:
            message = (
                f"{found.integrated:g} LUFS; the show's {kind} target is {goal:g} "
                f"+-{target.tolerance:g} LU"
            )
            yield "loudness", ep.source_file, "loudness.integrated", message
        if found.true_peak > target.max_true_peak:
            message = f"true peak {found.true_peak:g} dBTP, above {target.max_true_peak:g} dBTP"
            yield "loudness", ep.source_file, "loudness.true_peak", message
