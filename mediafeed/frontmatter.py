"""The values of an episode file's front matter, each read and checked: the date, paths
inside the show, persons, chapters and places. Each reader raises ValueError with what is
wrong; the episode reader names the file and the field."""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from pathlib import PurePosixPath
from typing import Any

from mediafeed.errors import unknown_field
from mediafeed.links import url_problem
from mediafeed.model import Chapter, Location, Person

PERSON_KEYS = {"name", "role", "group", "href", "img"}
CHAPTER_KEYS = {"start", "title", "url", "img"}
LOCATION_KEYS = {"name", "geo", "osm"}


# Each kind a field asks for in the words of the file (a dict is a table of TOML).
_KIND_WORDS = {
    float: "a number",
    int: "a whole number",
    str: "text",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def typed(value: Any, kind: type | tuple[type, ...]) -> Any:
    """`value` if it is of `kind`, which a config or front matter field asks: a whole number
    does for a float, true or false never for a number."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):  # YAML's .inf and .nan
        raise ValueError(f"{value!r} is not a finite number")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        words = _KIND_WORDS[kind[0] if isinstance(kind, tuple) else kind]
        raise ValueError(f"expected {words}, got {value!r}")
    return value


def published_at(value: Any, timezone: str | None = None) -> dt.datetime:
    """The publication time; one written without a zone is in the show's `timezone`, the
    same rule `add --date` follows, so a date means the same wherever it is written."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date and time") from None
    if not isinstance(value, dt.datetime):
        raise ValueError("needs a date, a time and a time zone, e.g. 2021-11-02T09:00:00+01:00")
    if value.tzinfo is None:
        if timezone is None:
            raise ValueError(
                "needs a time zone, e.g. +01:00 or Z, or set timezone in mediafeed.toml"
            )
        value = in_zone(value, zoneinfo.ZoneInfo(timezone))
    return in_calendar(value)


def in_zone(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A time without a zone, in `zone`; refused where the clocks skip it (the hour summer
    time begins), which would be taken silently as another time."""
    placed = value.replace(tzinfo=zone)
    if placed.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != value:
        raise ValueError(f"'{value.isoformat()}' does not exist in {zone}: the clocks skip it")
    return placed


def in_calendar(value: dt.datetime) -> dt.datetime:
    """`value`, if it is a time in UTC too (feeds and tags carry it so) in a year of more
    than two digits: apps read a pubDate's year 1 as 2001, as RFC 822 allowed two."""
    shown = value.isoformat() if value.tzinfo else str(value)
    try:
        year = value.astimezone(dt.UTC).year
    except OverflowError:
        raise ValueError(
            f"{shown!r} is out of range: in UTC it falls outside years 1-9999"
        ) from None
    if year < 100:  # the two-digit rule of RFC 2822, which email.utils and podcastparser keep
        read = year + (1900 if year > 68 else 2000)
        raise ValueError(f"{shown!r} is out of range: apps read year {year} as {read}")
    return value


# What a URL path holds as it is: a '#', '?' or '%' would cut or change the address.
URL_SAFE_NAME = re.compile(r"[A-Za-z0-9._~/!$&'()*+,;=@-]*")
URL_SAFE_RULE = "must be an ASCII file name without spaces, '#', '?' or '%'"


def relative_path(value: str | None) -> str | None:
    """A path inside the show folder: no absolute paths, no '..', no backslashes."""
    if value is None:
        return None
    if "\\" in value and not value.startswith("\\") and ":" not in value:
        fixed = value.replace("\\", "/")
        raise ValueError(f"'{value}': separate folders with '/', as in {fixed}")
    pure = PurePosixPath(value)
    if value.startswith(("/", "~")) or "\\" in value or ".." in pure.parts or ":" in value:
        raise ValueError(f"{value!r} must be a path inside the show folder")
    if not URL_SAFE_NAME.fullmatch(value):
        raise ValueError(f"{value!r} {URL_SAFE_RULE}")
    return str(pure)


def parse_location(value: Any) -> Location | None:
    """A place name, or a mapping with name and optional geo URI and OSM id."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return Location(name=value.strip())
    if (
        isinstance(value, dict)
        and isinstance(value.get("name"), str)
        and value["name"].strip()
        and not set(value) - LOCATION_KEYS
    ):
        geo, osm = value.get("geo"), value.get("osm")
        if geo is not None and not str(geo).startswith("geo:"):
            raise ValueError(f"geo must be a geo URI like 'geo:52.08,4.31', not {geo!r}")
        return Location(
            name=value["name"].strip(),
            geo=None if geo is None else str(geo),
            osm=None if osm is None else str(osm),
        )
    raise ValueError("a place name, or name with optional geo and osm")


def person(item: Any) -> Person:
    named = isinstance(item, dict) and str(item.get("name") or "").strip()  # not "None"
    if not named:
        raise ValueError("each person needs a name (role, group, href, img optional)")
    if extra := sorted(set(item) - PERSON_KEYS):
        raise ValueError(f"{extra[0]}: {unknown_field(extra[0], PERSON_KEYS)}")
    found = Person(**{k: str(v) for k, v in item.items()})
    web_addresses(found.href, found.img)
    return found


def chapters(items: list[Any]) -> tuple[Chapter, ...]:
    chapters = []
    for item in items:
        if not isinstance(item, dict) or not {"start", "title"} <= set(item) <= CHAPTER_KEYS:
            raise ValueError("each chapter needs start and title (url, img optional)")
        if item["title"] is None or not str(item["title"]).strip():  # not "None", not blank
            raise ValueError("each chapter needs a title")
        start = parse_timestamp(item["start"])
        chapters.append(Chapter(start, str(item["title"]), item.get("url"), item.get("img")))
        web_addresses(item.get("url"), item.get("img"))
    starts = [c.start for c in chapters]
    if starts != sorted(starts):
        raise ValueError("chapters must be in order of start time")
    return tuple(chapters)


def web_addresses(*values: Any) -> None:
    """Links that land in the feed and pages are http(s) addresses, nothing else."""
    for value in values:
        problem = url_problem(str(value)) if value is not None else None
        if problem:
            raise ValueError(problem)


def parse_timestamp(value: Any) -> float:
    """Seconds from 90, 90.5, "1:30" or "01:01:30.5"."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(typed(value, float))
    if isinstance(value, str) and re.fullmatch(r"\d+(:[0-5]?\d){0,2}(\.\d+)?", value):
        seconds = 0.0
        for part in value.split(":"):
            seconds = seconds * 60 + float(part)
        return seconds
    raise ValueError(f"{value!r} is not a time like 90 or 1:30")
