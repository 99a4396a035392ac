"""The model's episodes as plain data, for the cache: `episode_record` makes the record,
`episode_from_record` reads it back."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, TypeVar

from mediafeed.model import (
    Chapter,
    Episode,
    License,
    Location,
    Loudness,
    MediaInfo,
    Normalization,
    Person,
    Rendition,
    SocialInteract,
    Soundbite,
)

_T = TypeVar("_T")


def episode_record(ep: Episode) -> dict[str, Any]:
    """The episode as plain data, for the cache; `episode_from_record` reads it back."""
    return {
        **vars(ep),
        "published": ep.published.isoformat(),
        "media": vars(ep.media),
        "persons": [vars(person) for person in ep.persons],
        "chapters": [vars(chapter) for chapter in ep.chapters],
        "keywords": list(ep.keywords),
        "location": vars(ep.location) if ep.location else None,
        "license": vars(ep.license) if ep.license else None,
        "social_interact": [vars(item) for item in ep.social_interact],
        "soundbites": [vars(bite) for bite in ep.soundbites],
        "loudness": vars(ep.loudness) if ep.loudness else None,
        "normalized": vars(ep.normalized) if ep.normalized else None,
        "renditions": [vars(item) for item in ep.renditions],
    }


def episode_from_record(record: dict[str, Any]) -> Episode:
    """The episode `episode_record` made plain. Filled in without `__init__`: the fields were
    validated when the file was parsed, and a large show reads thousands of records, where
    a frozen dataclass's `__init__` costs more than reading the record."""
    fields = dict(record)
    fields["published"] = dt.datetime.fromisoformat(record["published"])
    fields["media"] = _filled(MediaInfo, record["media"])
    fields["persons"] = tuple(_filled(Person, person) for person in record["persons"])
    fields["chapters"] = tuple(_filled(Chapter, chapter) for chapter in record["chapters"])
    fields["keywords"] = tuple(record["keywords"])
    location = record["location"]
    fields["location"] = _filled(Location, location) if location else None
    found = record["license"]
    fields["license"] = _filled(License, found) if found else None
    fields["social_interact"] = tuple(
        _filled(SocialInteract, item) for item in record["social_interact"]
    )
    fields["soundbites"] = tuple(_filled(Soundbite, bite) for bite in record["soundbites"])
    for name, cls in (("loudness", Loudness), ("normalized", Normalization)):
        fields[name] = _filled(cls, record[name]) if record[name] else None
    fields["renditions"] = tuple(_filled(Rendition, item) for item in record["renditions"])
    return _filled(Episode, fields)


def _filled(cls: type[_T], fields: dict[str, Any]) -> _T:
    if fields.keys() != _FIELDS[cls]:
        raise ValueError(f"not a record of {cls.__name__}")
    made = object.__new__(cls)
    made.__dict__.update(fields)
    return made


_FIELDS: dict[type, set[str]] = {
    cls: {f.name for f in dataclasses.fields(cls)}
    for cls in (
        Episode,
        MediaInfo,
        Person,
        Chapter,
        Location,
        License,
        SocialInteract,
        Soundbite,
        Loudness,
        Normalization,
        Rendition,
    )
}
