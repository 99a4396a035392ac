"""Read and write episode files: YAML front matter plus Markdown show notes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

from mediafeed.errors import EpisodeError, unknown_field
from mediafeed.frontmatter import (
    chapters,
    parse_location,
    parse_timestamp,
    person,
    published_at,
    relative_path,
    typed,
)
from mediafeed.loudness import episode_loudness_fields
from mediafeed.model import Episode, MediaInfo
from mediafeed.output import markdown_files, write_atomic
from mediafeed.reach import episode_reach_fields

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 100  # file systems allow 255 bytes a name; temporary names add to the slug
# Names Windows keeps for devices, whatever the extension: nul.md is no file there.
RESERVED_SLUGS = frozenset(
    ["con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10))]
)
EPISODE_TYPES = ("full", "trailer", "bonus")
TRANSCRIPT_STATUSES = ("draft", "reviewed")

# The order keys are written in: the facts a producer edits first, probed facts last.
FIELD_ORDER = tuple(
    """title guid published draft summary season season_name episode episode_display episode_type
    explicit block unpublished image persons chapters transcript transcript_status transcript_model
    keywords location license social_interact soundbites old_page image_url chapters_url
    transcript_url transcript_type enclosure_url audio duration length mime_type sha256 loudness
    normalized""".split()
)
# Links to the old host an imported episode keeps until its files move.
URL_FIELDS = ("old_page", "image_url", "chapters_url", "transcript_url", "enclosure_url")
REQUIRED = ("title", "guid", "published", "audio", "duration", "length", "mime_type", "sha256")
# Media still on the old host is described by the source feed, not probed here.
REQUIRED_REMOTE = ("title", "guid", "published", "enclosure_url", "length", "mime_type")


def episode_path(episodes_dir: Path, slug: str) -> Path:
    return episodes_dir / f"{slug}.md"


def load_episodes(episodes_dir: Path, timezone: str | None = None) -> list[Episode]:
    """Every episode file, sorted newest first (then by slug, for stable output); the first
    broken file by name is the error."""
    paths = markdown_files(str(episodes_dir))
    return ordered_episodes([load_episode(Path(path), timezone) for path in paths])


def ordered_episodes(found: list[Episode | EpisodeError]) -> list[Episode]:
    """The episodes newest first; the first broken file or duplicate guid is an error."""
    episodes = []
    for loaded in found:
        if isinstance(loaded, EpisodeError):
            raise loaded
        episodes.append(loaded)
    guids: dict[str, Episode] = {}
    for ep in episodes:
        if ep.guid in guids:
            message = f"duplicate guid {ep.guid!r}, also in {guids[ep.guid].source.name}"
            raise EpisodeError(message, path=ep.source, field="guid")
        guids[ep.guid] = ep
    return sorted(episodes, key=lambda ep: (ep.published, ep.slug), reverse=True)


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    import yaml  # here: a command that reads only remembered episodes never needs it

    # A file saved on Windows: its notes read, and are written back, with one kind of line end.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    match = re.match(r"^---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?(.*)\Z", text, re.S | re.M)
    if not match:
        if re.match(r"---[ \t]*\r?\n", text):
            raise EpisodeError("front matter not closed: add a '---' line after it", path=path)
        raise EpisodeError("no front matter: the file must start with a '---' block", path=path)
    try:
        # libyaml's C parser when PyYAML has it (ten times faster), with the same safe rules.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(match.group(1), Loader=loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise EpisodeError(f"broken front matter{where}: {problem}", path=path) from None
    if not isinstance(data, dict):
        raise EpisodeError("front matter must be a mapping of fields", path=path)
    return data, match.group(2)


def load_episode(path: Path, timezone: str | None = None) -> Episode:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EpisodeError(exc.strerror or "cannot read", path=path) from None
    return parse_episode_file(path, raw, timezone)


def parse_episode_file(path: Path, raw: bytes, timezone: str | None = None) -> Episode:
    """The episode an episode file's bytes describe; its revision is their SHA-256."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EpisodeError("not UTF-8 text", path=path) from None
    data, notes = split_front_matter(text, path)
    revision = hashlib.sha256(raw).hexdigest()
    return parse_episode(path, data, notes.strip("\n"), revision=revision, timezone=timezone)


def parse_episode(
    path: Path, data: dict[str, Any], notes: str, *, revision: str = "", timezone: str | None = None
) -> Episode:
    """The episode the front matter describes; every problem with it is reported at once,
    as one error naming each field. Dates without a zone are in `timezone` (the show's)."""
    problems: list[EpisodeError] = []

    def fail(message: str, field: str | None = None) -> None:
        problems.append(EpisodeError(message, path=path, field=field))

    def fine(field: str) -> bool:
        return field in data and all(p.field != field for p in problems)

    def attempt(field: str, read: Any, *args: Any, default: Any = None) -> Any:
        """What a reader of `mediafeed.frontmatter` makes of the field, or `default`."""
        try:
            return read(*args)
        except ValueError as exc:
            fail(str(exc), field)
            return default

    def get(key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = data.get(key)
        return default if value is None else attempt(key, typed, value, kind, default=default)

    if not SLUG.match(path.stem):
        fail("file name must be a slug: lower-case ASCII letters, digits and hyphens")
    for key in sorted(set(data) - set(FIELD_ORDER)):
        fail(unknown_field(key, FIELD_ORDER), key)
    remote = data.get("enclosure_url") is not None
    for key in REQUIRED_REMOTE if remote else REQUIRED:
        if data.get(key) in (None, ""):
            fail("required field is missing", key)
    episode_type = get("episode_type", str, "full")
    if episode_type not in EPISODE_TYPES:
        fail(f"must be one of {', '.join(EPISODE_TYPES)}", "episode_type")
    numbers = {key: get(key, int) for key in ("season", "episode")}
    for key, number in numbers.items():
        if number is not None and number < 1:
            # Apple: "a non-zero integer (1, 2, 3, etc.)"; unnumbered episodes leave it out.
            fail("must be 1 or more (Apple counts from 1), or left out", key)
    media = MediaInfo(
        duration=get("duration", float, 0.0),
        length=get("length", int, 0),
        mime_type=get("mime_type", str, ""),
        sha256=get("sha256", str, ""),
        is_video=str(data.get("mime_type")).startswith("video/"),
    )
    if fine("length") and (media.length < 0 or (media.length == 0 and not remote)):
        fail("must be positive", "length")
    if fine("duration") and (media.duration < 0 or (media.duration == 0 and not remote)):
        fail("must be positive", "duration")
    transcript_status = get("transcript_status", str)
    if transcript_status not in (None, *TRANSCRIPT_STATUSES):
        fail(f"must be one of {', '.join(TRANSCRIPT_STATUSES)}", "transcript_status")
    elif transcript_status and not data.get("transcript"):
        fail("needs a transcript file: set transcript", "transcript_status")
    urls = {key: get(key, str) for key in URL_FIELDS}
    for key, url in urls.items():
        if url and not re.fullmatch(r"https?://[!-~]+", url):
            fail(f"{url!r} must be an http(s) URL in ASCII", key)
    published, audio = data.get("published"), get("audio", str)
    fields = {
        "published": attempt("published", published_at, published, timezone)
        if published is not None
        else None,
        "audio": attempt("audio", relative_path, audio, default="") if audio else "",
        "image": attempt("image", relative_path, get("image", str)),
        "persons": tuple(attempt("persons", person, item) for item in get("persons", list, [])),
        "chapters": attempt("chapters", chapters, get("chapters", list, []), default=()),
        "transcript": attempt("transcript", relative_path, get("transcript", str)),
        "location": attempt("location", parse_location, data.get("location")),
        **episode_reach_fields(data, media.duration, parse_timestamp, fail),
        **episode_loudness_fields(data, fail),
        # Read before the problems are counted: a draft written as "yes" is an error, not
        # a published episode.
        "title": get("title", str, "").strip(),
        "guid": str(get("guid", (str, int))),
        "summary": get("summary", str),
        **numbers,
        "season_name": get("season_name", str),
        "episode_display": get("episode_display", str),
        "explicit": get("explicit", bool),
        "transcript_model": get("transcript_model", str),
        "transcript_type": get("transcript_type", str),
        "keywords": tuple(str(k) for k in get("keywords", list, [])),
        "draft": get("draft", bool, False),
        "block": get("block", bool, False),
        "unpublished": get("unpublished", bool, False),
    }
    if len(problems) == 1:
        raise problems[0]
    if problems:
        message = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in problems)
        raise EpisodeError(message, path=path)
    return Episode(
        slug=path.stem,
        source_file=str(path),
        media=media,
        notes=notes,
        episode_type=episode_type,
        transcript_status=transcript_status,
        revision=revision,
        **urls,
        **fields,
    )


def render_episode_file(fields: dict[str, Any], notes: str) -> str:
    """The episode file: the fields in the fixed writing order, empty ones left out."""
    data = {key: fields[key] for key in FIELD_ORDER if fields.get(key) not in (None, [], ())}
    if isinstance(data.get("published"), dt.datetime):
        data["published"] = data["published"].isoformat()
    import yaml

    # libyaml's emitter also escapes line breaks such as U+0085 that PyYAML's folds into
    # spaces.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{body}---\n\n{notes.strip()}\n" if notes.strip() else f"---\n{body}---\n"


def write_text_atomic(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write a producer's file whole and on disk, never half of it."""
    try:
        write_atomic(path, text.encode("utf-8"), exclusive=exclusive, durable=True)
    except FileExistsError:
        raise EpisodeError("already exists; choose another slug", path=path) from None


def episode_fields(ep: Episode) -> dict[str, Any]:
    """The front matter of an episode, for rewriting a file after an edit."""
    fields = {key: _plain(getattr(ep, key)) for key in FIELD_ORDER if hasattr(ep, key)}
    place = ep.location
    if place and place.geo is None and place.osm is None:
        fields["location"] = place.name  # a place that is only a name is written as one
    return fields | {
        **{flag: getattr(ep, flag) or None for flag in ("draft", "block", "unpublished")},
        "episode_type": None if ep.episode_type == "full" else ep.episode_type,
        "audio": ep.audio or None,
        "duration": round(ep.media.duration, 3) or None,
        "length": ep.media.length,
        "mime_type": ep.media.mime_type,
        "sha256": ep.media.sha256 or None,
    }


def _plain(value: Any) -> Any:
    """A field as YAML writes it: the model's objects as mappings of the parts they have."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value):
        return {k: v for k, v in vars(value).items() if v is not None}
    return value
