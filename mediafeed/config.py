"""Read and validate mediafeed.toml into a Show, reporting every problem at once."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Set
from pathlib import Path
from typing import Any, TypeVar

from mediafeed.errors import ConfigError, unknown_field
from mediafeed.frontmatter import LOCATION_KEYS, URL_SAFE_NAME, URL_SAFE_RULE, typed
from mediafeed.links import url_problem
from mediafeed.loudness import parse_formats, parse_target
from mediafeed.model import (
    Accessibility,
    Funding,
    Location,
    Origin,
    Owner,
    Person,
    PublishSettings,
    Show,
)
from mediafeed.reach import http_url, parse_license, parse_podroll

CONFIG_NAME = "mediafeed.toml"

SHOW_TYPES = ("episodic", "serial")
# The namespace's mediums of a feed of items; "publisher" and the lists ("podcastL", "mixed")
# hold only podcast:remoteItem, which a show of episodes is not.
MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog", "course")
LOCAL_PREFIX = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?")

_KNOWN_KEYS = frozenset(
    "title description author language categories explicit type artwork link copyright guid "
    "locked block complete new_feed_url keywords medium update_frequency update_rrule "
    "location feed_limit owner funding persons txt subscribe license podroll publish import "
    "timezone local_prefix require_transcript transcribe accessibility loudness formats".split()
)
_PUBLISH_KEYS = {"target", "endpoint_url", "region", "profile", "public_url", "checksums"}
CHECKSUMS = ("when_supported", "when_required")  # botocore's names
_OWNER_KEYS = {"name", "email", "hide_email"}
ACCESS_STATUSES = ("compliant", "partial", "none")  # the statement's WCAG 2.1 AA status

T = TypeVar("T")


class _Reader:
    """Collects every problem in the file so the producer fixes them in one go. One reader
    per table, naming its fields as the file would (`owner.email`); they share the list."""

    def __init__(self, table: dict[str, Any], problems: list[str], where: str = ""):
        self.table = table
        self.problems = problems
        self.where = where

    def get(
        self, key: str, kind: type[T], default: T | None = None, *, required: bool = False
    ) -> T | None:
        name = f"{self.where}{key}"
        if key not in self.table:
            if required:
                self.problems.append(f"{name}: required field is missing")
            return default
        try:
            value: T = typed(self.table[key], kind)
        except ValueError as exc:
            self.problems.append(f"{name}: {exc}")
            return default
        if isinstance(value, str) and required and not value.strip():
            self.problems.append(f"{name}: must not be empty")
            return default
        return value

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        return self.get(key, str, default, required=required) or default

    def flag(self, key: str, default: bool = False) -> bool:
        return bool(self.get(key, bool, default))

    def within(self, key: str, table: dict[str, Any], known: Set[str]) -> _Reader:
        """A reader of `table`, the value of `key`, its unknown fields named."""
        reader = _Reader(table, self.problems, f"{self.where}{key}.")
        reader.unknown(known)
        return reader

    def unknown(self, known: Set[str]) -> None:
        for key in sorted(set(self.table) - known):
            self.problems.append(f"{self.where}{key}: {unknown_field(key, known)}")

    def parsed(self, key: str, parse: Callable[[Any], T], empty: T) -> T:
        """A field a reader of `mediafeed.reach` or `loudness` reads; absent or wrong: `empty`."""
        value = self.table.get(key)
        if value is None:
            return empty
        try:
            return parse(value)
        except ValueError as exc:  # "[0].url: ..." names an item of the field
            where = f"{self.where}{key}{'' if str(exc).startswith('[') else ': '}"
            self.problems.append(f"{where}{exc}")
            return empty

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.problems.append(message)

    def problem(self, field: str, problem: str | None) -> None:
        """The field's problem, if there is one (a reader like `language_problem` says)."""
        if problem:
            self.problems.append(f"{field}: {problem}")

    def urls(self, *named: tuple[str, str | None]) -> None:
        for field, value in named:
            self.problem(field, url_problem(value) if value is not None else None)


def language_problem(value: str) -> str | None:
    """Why `value` is not a language code a feed can carry, or None."""
    if LANGUAGE.fullmatch(value):
        return None
    return f"{value!r} is not a language code like 'nl' or 'en-US'"


def timezone_problem(value: str) -> str | None:
    """Why `value` is not a time zone name zoneinfo knows, or None."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"{value!r} is not a time zone name like 'Europe/Amsterdam' or 'UTC'"
    return None


def find_root(start: Path) -> Path:
    """The show folder: the nearest folder upward that holds mediafeed.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} here or in any parent folder (run 'mediafeed init')", path=start
    )


def load_show(root: Path) -> Show:
    path = root / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # Notepad writes a BOM
    except FileNotFoundError:
        raise ConfigError("file not found (run 'mediafeed init')", path=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from None
    return parse_show(root, path, data)


def parse_show(root: Path, path: Path, data: dict[str, Any]) -> Show:
    r = _Reader(data, [])
    r.unknown(_KNOWN_KEYS)
    owner_table = r.within("owner", r.get("owner", dict, {}, required=True) or {}, _OWNER_KEYS)
    owner = Owner(
        name=owner_table.text("name", required=True),
        email=owner_table.text("email", required=True),
        hide_email=owner_table.flag("hide_email"),
    )
    r.check(
        not owner.email or bool(EMAIL.match(owner.email)),
        f"owner.email: {owner.email!r} is not an email address",
    )

    show_type = r.text("type", "episodic")
    r.check(show_type in SHOW_TYPES, f"type: must be one of {', '.join(SHOW_TYPES)}")
    medium = r.text("medium", "podcast")
    r.check(medium in MEDIUMS, f"medium: must be one of {', '.join(MEDIUMS)}")
    language = r.text("language", required=True)
    r.problem("language", language and language_problem(language))
    timezone = r.get("timezone", str)
    r.problem("timezone", None if timezone is None else timezone_problem(timezone))
    feed_limit = r.get("feed_limit", int)
    r.check(feed_limit is None or feed_limit > 0, "feed_limit: must be a positive number")

    known = {*_PUBLISH_KEYS, "websub_hubs"}
    publish_table = r.within("publish", r.get("publish", dict, {}) or {}, known)
    publish = PublishSettings(
        **{key: publish_table.get(key, str) for key in sorted(_PUBLISH_KEYS)},
        websub_hubs=tuple(publish_table.parsed("websub_hubs", _urls, ())),
    )
    r.check(
        publish.target is None or publish.target.startswith("s3://") and bool(publish.bucket),
        "publish.target: must look like s3://bucket/prefix",
    )
    r.check(
        publish.checksums in (None, *CHECKSUMS),
        f"publish.checksums: must be one of {', '.join(CHECKSUMS)}",
    )
    r.check(
        publish.target is None or bool(publish.public_url),
        "publish.public_url: required with publish.target (the URL listeners fetch from)",
    )

    local_prefix = r.get("local_prefix", str)
    r.check(
        local_prefix is None or bool(LOCAL_PREFIX.fullmatch(local_prefix)),
        "local_prefix: a folder name of lowercase letters, digits and '-', like 'my-show-1a2b3c4d'",
    )

    show = Show(
        root=root,
        title=r.text("title", required=True),
        description=r.text("description", required=True),
        author=r.text("author", required=True),
        owner=owner,
        language=language,
        categories=_categories(r),
        explicit=r.flag("explicit"),
        artwork=r.text("artwork", required=True),
        link=r.text("link", required=True),
        guid=r.text("guid"),
        type=show_type,
        copyright=r.get("copyright", str),
        locked=r.flag("locked", True),
        block=r.flag("block"),
        complete=r.flag("complete"),
        new_feed_url=r.get("new_feed_url", str),
        funding=_list_of(r, "funding", lambda t: Funding(url=t["url"], text=t["text"])),
        persons=_list_of(r, "persons", lambda t: Person(**t)),
        keywords=tuple(r.get("keywords", list, []) or []),
        medium=medium,
        update_frequency=r.get("update_frequency", str),
        update_rrule=r.get("update_rrule", str),
        location=_location(r),
        txt=_list_of(r, "txt", lambda t: (str(t.get("purpose", "")), str(t["text"]))),
        feed_limit=feed_limit,
        subscribe=_list_of(r, "subscribe", lambda t: (str(t["name"]), str(t["url"]))),
        license=r.parsed("license", parse_license, None),
        podroll=r.parsed("podroll", parse_podroll, ()),
        publish=publish,
        origin=_origin(r),
        timezone=timezone,
        local_prefix=local_prefix,
        require_transcript=r.flag("require_transcript"),
        transcribe_model=_transcribe_model(r),
        accessibility=_accessibility(r),
        loudness=r.parsed("loudness", parse_target, parse_target({})),
        formats=r.parsed("formats", parse_formats, ()),
    )
    r.urls(
        ("link", show.link),
        ("new_feed_url", show.new_feed_url),
        ("publish.public_url", publish.public_url),
    )
    r.urls(*((f"funding[{i}].url", f.url) for i, f in enumerate(show.funding)))
    r.urls(*((f"subscribe[{i}].url", url) for i, (_, url) in enumerate(show.subscribe)))
    for i, person in enumerate(show.persons):
        r.urls((f"persons[{i}].href", person.href), (f"persons[{i}].img", person.img))
    if show.artwork:
        r.check((root / show.artwork).is_file(), f"artwork: file {show.artwork!r} not found")
        r.check(bool(URL_SAFE_NAME.fullmatch(show.artwork)), f"artwork: {URL_SAFE_RULE}")
    if r.problems:
        raise ConfigError("; ".join(r.problems), path=path)
    return show


def _origin(r: _Reader) -> Origin | None:
    """The [import] table `mediafeed import` writes: the feed the show was moved from."""
    table = r.get("import", dict)
    if table is None:
        return None
    imported = r.within("import", table, {"feed", "title", "guid"})
    feed = imported.text("feed", required=True)
    return Origin(feed=feed, title=imported.text("title"), guid=imported.get("guid", str))


def _transcribe_model(r: _Reader) -> str:
    """[transcribe] model: a faster-whisper model name, or a folder (relative to the show)."""
    table = r.within("transcribe", r.get("transcribe", dict, {}) or {}, {"model"})
    model = table.text("model", "small")
    r.check(bool(model.strip()), "transcribe.model: must not be empty")
    return model


def _accessibility(r: _Reader) -> Accessibility:
    """The [accessibility] table the show's accessibility statement is filled from."""
    known = {"contact", "checked", "status", "method", "limitations"}
    table = r.within("accessibility", r.get("accessibility", dict, {}) or {}, known)
    where = table.where
    checked = table.table.get("checked")
    if checked is not None and not isinstance(checked, dt.date):
        try:
            checked = dt.date.fromisoformat(str(checked))
        except ValueError:
            r.problems.append(f"{where}checked: {checked!r} is not a date like 2026-11-30")
            checked = None
    status = table.text("status", "partial")
    r.check(
        status in ACCESS_STATUSES, f"{where}status: must be one of {', '.join(ACCESS_STATUSES)}"
    )
    contact = table.get("contact", str)
    r.check(
        contact is None or bool(EMAIL.match(contact)) or not url_problem(contact),
        f"{where}contact: {contact!r} is neither an email nor a web address",
    )
    limitations = table.get("limitations", list, []) or []
    r.check(
        all(isinstance(item, str) for item in limitations),
        f"{where}limitations: a list of sentences",
    )
    return Accessibility(
        contact=contact,
        checked=checked.isoformat() if isinstance(checked, dt.date) else None,
        status=status,
        method=table.get("method", str),
        limitations=tuple(str(item) for item in limitations),
    )


def _urls(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError("a list of URLs")
    return [http_url(url, f"[{index}]") for index, url in enumerate(value)]


def _location(r: _Reader) -> Location | None:
    """`location = "Den Haag"` or a [location] table with name, geo and osm."""
    value = r.table.get("location")
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return Location(name=value.strip())
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        table = r.within("location", value, LOCATION_KEYS)
        geo = table.get("geo", str)
        r.check(
            geo is None or geo.startswith("geo:"),
            "location.geo: must be a geo URI like 'geo:52.08,4.31'",
        )
        return Location(name=value["name"], geo=geo, osm=table.get("osm", str))
    r.problems.append("location: a place name, or a table with name, geo and osm")
    return None


def _categories(r: _Reader) -> tuple[tuple[str, ...], ...]:
    """Accept ["Society & Culture", ["Health & Fitness", "Mental Health"]]."""
    raw = r.get("categories", list, [], required=True) or []
    result: list[tuple[str, ...]] = []
    for item in raw:
        parts = (item,) if isinstance(item, str) else tuple(item) if isinstance(item, list) else ()
        if not parts or len(parts) > 2 or not all(isinstance(p, str) and p for p in parts):
            r.problems.append(f"categories: {item!r} is not a category or [category, subcategory]")
            continue
        result.append(parts)
    r.check(bool(result) or "categories" not in r.table, "categories: at least one is required")
    return tuple(result)


def _list_of(r: _Reader, key: str, make: Callable[[dict[str, Any]], T]) -> tuple[T, ...]:
    items: list[T] = []
    for index, table in enumerate(r.get(key, list, []) or []):
        try:
            if not isinstance(table, dict):
                raise TypeError("expected a table")
            items.append(make(table))
        except (KeyError, TypeError) as exc:
            r.problems.append(f"{key}[{index}]: invalid entry ({exc})")
    return tuple(items)
