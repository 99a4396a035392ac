"""Every user-visible word of pages and newsletter blocks, a file of them for each language
(`words/`), with date and duration formats."""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_LANGUAGE = "en"

# One file of words a language: TOML, plain data, read when a page first needs them.
WORDS = Path(__file__).parent / "words"


@functools.cache
def _languages() -> frozenset[str]:
    return frozenset(path.stem for path in WORDS.glob("*.toml"))


@functools.cache
def _words(code: str) -> dict[str, Any]:
    with open(WORDS / f"{code}.toml", "rb") as handle:
        return tomllib.load(handle)


# Languages written right to left: their pages say so, so that notes and titles read in order.
_RIGHT_TO_LEFT = frozenset("ar arc ckb dv fa he ks ku ps sd ug ur yi".split())


def writes_right_to_left(language: str | None) -> bool:
    return _base(language) in _RIGHT_TO_LEFT


def resolve_language(language: str | None) -> str:
    """The supported language for a tag: `nl-NL` falls back to `nl`, unknown ones to English."""
    base = _base(language)
    return base if base in _languages() else DEFAULT_LANGUAGE


def _base(language: str | None) -> str:
    return (language or "").strip().replace("_", "-").split("-", 1)[0].lower()


def timestamp(seconds: float) -> str:
    """A player-style position: `4:05` or `1:02:03`."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration for machine-readable `<time datetime>` values."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"


@dataclass(frozen=True)
class Locale:
    """Texts and formats for one language, handed to templates as `loc`."""

    code: str

    @classmethod
    def for_language(cls, language: str | None) -> Locale:
        return cls(resolve_language(language))

    def text(self, key: str, **values: object) -> str:
        template: str = self._word(key)
        return template.format(**values) if values else template

    def _word(self, key: str) -> Any:
        """The language's word for `key`, or the English one where it has none."""
        return _words(self.code).get(key) or _words(DEFAULT_LANGUAGE)[key]

    def role(self, role: str) -> str:
        """A person's role in this language; roles we do not know are shown as given."""
        return str(_words(self.code).get(f"role_{role.lower()}", role))

    def date(self, when: dt.date) -> str:
        """A long date as readers write it: `2 november 2021`, `November 2, 2021`, and
        `1er novembre 2021` where a language writes the first of the month apart."""
        month = self._word("months")[when.month - 1]
        day = self.text("first_day") if when.day == 1 else when.day
        return self.text("date", month=month, day=day, year=when.year)

    def duration(self, seconds: float) -> str:
        """A rounded, spoken duration: `25 minuten`, `1 hour 5 minutes`, `40 seconds`."""
        units = self._word("units")
        if seconds < 59.5:
            secs = max(1, round(seconds))
            return f"{secs} {units['s'][secs != 1]}"
        hours, minutes = divmod(round(seconds / 60), 60)
        parts = []
        if hours:
            parts.append(f"{hours} {units['h'][hours != 1]}")
        if minutes or not hours:
            parts.append(f"{minutes} {units['min'][minutes != 1]}")
        return " ".join(parts)

    def size(self, length: int) -> str:
        """A file size in megabytes with the language's decimal mark: `23,5 MB`."""
        megabytes = length / 1_000_000
        text = f"{megabytes:.1f}" if megabytes < 10 else f"{megabytes:.0f}"
        return f"{text.replace('.', self.text('decimal_mark'))} MB"
