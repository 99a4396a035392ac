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
# The fields of an episode that hold one object of the model, or a tuple of them.
_ONE: dict[str, type] = {
    "media": MediaInfo,
    "location": Location,
    "license": License,
    "loudness": Loudness,
    "normalized": Normalization,
}
_MANY: dict[str, type] = {
    "persons": Person,
    "chapters": Chapter,
    "social_interact": SocialInteract,
    "soundbites": Soundbite,
    "renditions": Rendition,
}


def episode_record(ep: Episode) -> dict[str, Any]:
    """The episode as plain data, for the cache; `episode_from_record` reads it back. A
    field at its default is left out: a large show's records are read on every build, and
    most of an episode's fields are empty."""
    record = _plain(ep)
    record["published"] = ep.published.isoformat()
    for name in _ONE.keys() & record.keys():
        record[name] = _plain(record[name])
    for name in _MANY.keys() & record.keys():
        record[name] = [_plain(item) for item in record[name]]
    if "keywords" in record:
        record["keywords"] = list(ep.keywords)
    return record


def episode_from_record(record: dict[str, Any], **more: Any) -> Episode:
    """The episode `episode_record` made plain (`more`: fields kept beside it). Filled in
    without `__init__`: the fields were validated when the file was parsed, and a large
    show reads thousands of records, where a frozen dataclass's `__init__` costs more than
    reading the record."""
    fields = {**record, **more}
    fields["published"] = dt.datetime.fromisoformat(record["published"])
    for name, cls in _ONE.items():
        if (found := fields.get(name)) is not None:
            fields[name] = _filled(cls, found)
    for name, cls in _MANY.items():
        if name in fields:
            fields[name] = tuple(_filled(cls, item) for item in fields[name])
    if "keywords" in fields:
        fields["keywords"] = tuple(fields["keywords"])
    return _filled(Episode, fields)


def _plain(obj: object) -> dict[str, Any]:
    defaults = _DEFAULTS[type(obj)]
    return {
        name: value
        for name, value in vars(obj).items()
        if name not in defaults
        or type(value) is not type(defaults[name])
        or value != defaults[name]
    }


def _filled(cls: type[_T], fields: dict[str, Any]) -> _T:
    if not isinstance(fields, dict) or not _REQUIRED[cls] <= fields.keys() <= _ALLOWED[cls]:
        raise ValueError(f"not a record of {cls.__name__}")
    made = object.__new__(cls)
    made.__dict__.update(_DEFAULTS[cls])
    made.__dict__.update(fields)
    return made


_CLASSES = (Episode, *_ONE.values(), *_MANY.values())
_DEFAULTS: dict[type, dict[str, Any]] = {
    cls: {
        f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING
    }
    for cls in _CLASSES
}
_REQUIRED: dict[type, set[str]] = {
    cls: {f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING}
    for cls in _CLASSES
}
_ALLOWED = {cls: _REQUIRED[cls] | _DEFAULTS[cls].keys() for cls in _CLASSES}
