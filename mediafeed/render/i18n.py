"""Every user-visible word of pages and newsletter blocks, a file of them for each language
(`words/`, and a show's own in `templates/words/`), with date and duration formats."""

from __future__ import annotations

import datetime as dt
import functools
import os
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediafeed.errors import MediafeedError, unknown_field
from mediafeed.model import Show

DEFAULT_LANGUAGE = "en"

# One file of words a language: TOML, plain data, read when a page first needs them.
WORDS = Path(__file__).parent / "words"
OWN_WORDS = Path("templates", "words")  # a show's own, in its folder


@functools.cache
def _languages() -> frozenset[str]:
    return frozenset(path.stem for path in WORDS.glob("*.toml"))


@functools.cache
def _words(code: str) -> dict[str, Any]:
    if code not in _languages():
        return {}
    with open(WORDS / f"{code}.toml", "rb") as handle:
        return tomllib.load(handle)


def own_words_file(show: Show) -> Path:
    """Where a show keeps words of its own for its language: any language mediafeed has no
    words for, or other words than ours."""
    return Path(_own_words_path(show))


def _own_words_path(show: Show) -> str:
    # Asked for every page a build makes: a string path, no Path objects.
    return os.path.join(show.root, OWN_WORDS, words_file_name(show.language))


def words_file_name(language: str | None) -> str:
    return f"{_base(language) or DEFAULT_LANGUAGE}.toml"


@functools.lru_cache(maxsize=8)
def _own_words(path: str, stamp: tuple[int, int]) -> dict[str, Any]:
    """A show's words file, read once per content (`stamp`: its size and time): each word
    one of ours, of the same kind, with no {blank} a page does not fill in."""
    try:
        with open(path, "rb") as handle:
            found = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MediafeedError(f"not a TOML file of words: {exc}", path=path) from None
    english = _words(DEFAULT_LANGUAGE)
    for key, value in found.items():
        if key not in english:
            raise MediafeedError(unknown_field(key, english), path=path, field=key)
        ours = english[key]
        if not _same_shape(value, ours):
            raise MediafeedError(f"must be written as {ours!r} is", path=path, field=key)
        if isinstance(value, str) and not _blanks(value) <= _blanks(ours):
            raise MediafeedError(f"may fill in only {sorted(_blanks(ours))}", path=path, field=key)
    return found


def _same_shape(value: object, ours: object) -> bool:
    """Text for text, a list of as many texts, a table of the same keys (`units`)."""
    if isinstance(ours, dict):
        return (
            isinstance(value, dict)
            and value.keys() == ours.keys()
            and all(_same_shape(value[key], ours[key]) for key in ours)
        )
    if isinstance(ours, list):
        return (
            isinstance(value, list)
            and len(value) == len(ours)
            and all(isinstance(item, str) for item in value)
        )
    return type(value) is type(ours)


def _blanks(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:  # a lone { or }
        return {"{"}


def words_to_translate(language: str) -> str | None:
    """For a language we have no words for, the English words file with every line
    commented out: a show's own to fill in, one word at a time. None for ours."""
    if _base(language) in _languages():
        return None
    english = (WORDS / f"{DEFAULT_LANGUAGE}.toml").read_text(encoding="utf-8").splitlines()
    lines = [line if line.startswith("#") or not line else f"# {line}" for line in english[3:]]
    head = f"# The pages' words in {language}: remove the # before a line and write it in\n"
    head += "# the show's language. Lines left as they are read in English.\n"
    return head + "\n".join(lines) + "\n"


def untranslated(show: Show) -> list[str]:
    """The words the show's pages show in English though the show is in another language:
    those neither its own words file nor ours give in it (a broken file of its own raises)."""
    own = Locale.for_show(show).own
    base = _base(show.language)
    if base in ("", DEFAULT_LANGUAGE):
        return []
    return [key for key in _words(DEFAULT_LANGUAGE) if not (own.get(key) or _words(base).get(key))]


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
    own: Mapping[str, Any] = field(default_factory=dict, compare=False)  # the show's words

    @classmethod
    def for_language(cls, language: str | None) -> Locale:
        return cls(resolve_language(language))

    @classmethod
    def for_show(cls, show: Show) -> Locale:
        """The show's language, with the words of its `templates/words/` over ours."""
        path = _own_words_path(show)
        try:
            stat = os.stat(path)
        except OSError:
            return cls.for_language(show.language)
        return cls(
            _base(show.language) or DEFAULT_LANGUAGE,
            _own_words(path, (stat.st_size, stat.st_mtime_ns)),
        )

    def text(self, key: str, **values: object) -> str:
        template: str = self._word(key)
        return template.format(**values) if values else template

    def _word(self, key: str) -> Any:
        """The show's word for `key`, else the language's, else the English one."""
        return self.own.get(key) or _words(self.code).get(key) or _words(DEFAULT_LANGUAGE)[key]

    def role(self, role: str) -> str:
        """A person's role in this language; roles we do not know are shown as given."""
        name = f"role_{role.lower()}"
        return str(self.own.get(name) or _words(self.code).get(name, role))

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
