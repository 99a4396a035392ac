"""The rules `mediafeed check` applies, by stable id, and what makes a transcript, a chapters
file or a URL acceptable."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from operator import attrgetter
from urllib.parse import urlsplit

from mediafeed.access import transcript_rules
from mediafeed.errors import MediafeedError
from mediafeed.links import ARTWORK_WIDTHS, artwork_variant_key, image_key
from mediafeed.loudness import loudness_problems
from mediafeed.model import Episode, MediaInfo, Person, Show
from mediafeed.reach import reach_problems

ERROR = "error"
WARNING = "warning"

# rule id -> (severity, how to fix it). Limits are the directories' published ones:
# Apple Podcasts ("A podcaster's guide to RSS", artwork requirements), Spotify's delivery
# specification and the Podcast Index namespace.
RULES: dict[str, tuple[str, str]] = {
    "config": (ERROR, "edit mediafeed.toml"),
    "required": (ERROR, "add the field to mediafeed.toml; Apple requires it"),
    "owner-email": (ERROR, "give an address like name@example.org"),
    "category": (ERROR, "use a name from Apple's list (docs/feed-tags.md), spelled exactly"),
    "artwork-missing": (ERROR, "put the picture there, or correct the file name"),
    "image-name": (ERROR, "give each picture a file name of its own"),
    "artwork-format": (ERROR, "save the picture as JPEG or PNG, named .jpg, .jpeg or .png"),
    "artwork-size": (ERROR, "resize it to between 1400x1400 and 3000x3000 pixels"),
    "artwork-square": (ERROR, "crop it to a square"),
    "artwork-color": (ERROR, "save it in RGB colour without transparency"),
    "episode-file": (ERROR, "correct the episode file's front matter"),
    "duplicate-guid": (ERROR, "give each episode its own guid; never reuse a published one"),
    "duplicate-title": (WARNING, "give each episode its own title"),
    "media-missing": (ERROR, "put the media file back, or correct 'audio'"),
    "media-unreadable": (ERROR, "re-export the media file, then run 'mediafeed tag'"),
    "enclosure-length": (ERROR, "run 'mediafeed tag SLUG' to refresh length and sha256"),
    "enclosure-type": (ERROR, "run 'mediafeed tag SLUG', or set mime_type to the real type"),
    "enclosure-duration": (WARNING, "set duration to the file's; apps show it and seek by it"),
    "enclosure-apple": (WARNING, "Apple Podcasts plays MP3, AAC (M4A) and MP4 video only"),
    "https": (ERROR, "serve the show over HTTPS and use an https:// URL"),
    "https-link": (WARNING, "use an https:// URL"),
    "description-length": (ERROR, "shorten it to 4000 bytes (UTF-8: an accented letter is 2)"),
    "description-missing": (WARNING, "write show notes or a summary"),
    "numbering": (WARNING, "number the episodes of each season 1, 2, 3, ... without gaps"),
    "transcript": (ERROR, "fix the transcript file (WebVTT, SRT, JSON, HTML or text)"),
    "transcript-required": (ERROR, "add one: 'mediafeed transcribe SLUG', then review it"),
    "transcript-missing": (WARNING, "add one: 'mediafeed transcribe SLUG', then review it"),
    "transcript-draft": (WARNING, "correct the draft, then set transcript_status: reviewed"),
    "chapters": (ERROR, "start every chapter within the episode's duration"),
    "podcast-guid": (ERROR, "set guid to a UUID, or remove it to derive one from the feed URL"),
    "no-episodes": (WARNING, "publish at least one episode; directories refuse empty feeds"),
    "owner-verify": (WARNING, 'show the email, or add a [[txt]] purpose = "verify" token'),
    "placeholder": (ERROR, "replace what 'mediafeed init' wrote with the show's own"),
    "placeholder-preview": (WARNING, "replace what 'mediafeed init' wrote before publishing"),
    "url": (ERROR, "give an http:// or https:// address"),
    "tag-length": (ERROR, "shorten it to 255 characters; Apple limits tag values to that"),
    "title-line": (ERROR, "write it on one line; apps show a title on one line"),
    "episode-title": (WARNING, "leave the number and the show's name out of the title"),
    "stale-tags": (WARNING, "run 'mediafeed tag SLUG' to write the episode's tags again"),
    "license": (ERROR, "use an SPDX identifier such as CC-BY-4.0, or add the license's url"),
    "podroll-guid": (WARNING, "add the feed's own podcast:guid as feed_guid"),
    "soundbite-length": (WARNING, "choose an extract of 15 to 120 seconds"),
    "loudness": (WARNING, "run 'mediafeed normalize' with the episode's slug"),
    "page-words": (WARNING, "write them in the show's own words file, from the English ones"),
    "words-file": (ERROR, "correct the show's words file; each key is one of the English file"),
}

# What `mediafeed init` writes for the producer to replace, by field; check recognizes them.
PLACEHOLDERS = {
    "description": "What the show is about, in two or three sentences.",
    "author": "Your name or organisation",
    "link": "https://example.org/",
    "owner.name": "Your name",
    "owner.email": "you@example.org",
}
# The comment in the JPEG cover `init` draws, so check knows it was never replaced.
PLACEHOLDER_COVER = b"mediafeed init: replace this cover"

APPLE_TYPES = set(
    "audio/mpeg audio/x-m4a audio/mp4 audio/aac video/mp4 video/quicktime video/x-m4v "
    "application/pdf".split()
)
MAX_DESCRIPTION = 4000  # bytes of UTF-8, as Apple counts them
MAX_TAG = 255  # characters of a tag value ("A podcaster's guide to RSS")
_VTT_TIME = r"(?:\d+:)?\d{2}:\d{2}\.\d{3}"
_SRT_TIME = r"\d{2}:\d{2}:\d{2},\d{3}"


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    rule: str
    path: str  # relative to the show folder
    field: str | None
    message: str
    fix: str

    def line(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        return f"{self.severity}: {where}: {self.message} [{self.rule}] -> {self.fix}"

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def remembered_findings(items: object) -> list[Finding] | None:
    """Findings as the cache holds them, or None if the entry is not a list of them."""
    if not isinstance(items, list):
        return None
    try:
        return [
            Finding(**{key: item[key] for key in Finding.__dataclass_fields__}) for item in items
        ]
    except (KeyError, TypeError):
        return None


def problems_of(error: MediafeedError) -> list[tuple[str | None, str]]:
    """The (field, message) of each problem one error reports: mediafeed.toml and episode
    files name all of theirs in one error, "field: message" joined by "; "."""
    if error.field:
        return [(error.field, error.message)]
    found: list[tuple[str | None, str]] = []
    for problem in error.message.split("; "):
        field, _, message = problem.partition(": ")
        found.append((field, message) if message and " " not in field else (None, problem))
    return found


def transcript_problem(suffix: str, text: str) -> str | None:
    """Why a transcript does not parse as its format, or None."""
    if suffix == ".vtt":
        if not re.match(r"WEBVTT(?:[ \t].*)?$", text.splitlines()[0] if text else "", re.M):
            return "a WebVTT file must start with 'WEBVTT'"
        if not re.search(rf"^{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}", text, re.M):
            return "no cue with a time like 00:00:01.000 --> 00:00:02.000"
    elif suffix == ".srt":
        if not re.search(rf"^\d+\s*\n{_SRT_TIME} --> {_SRT_TIME}", text, re.M):
            return "no numbered cue with a time like 00:00:01,000 --> 00:00:02,000"
    elif suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return f"not JSON ({exc})"
        if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
            return "a JSON transcript needs a 'segments' list"
    else:
        from mediafeed.render.notes import plain_text  # Markdown, only for a text transcript

        return None if plain_text(text).strip() else "empty"
    return None


def chapters_problem(data: bytes) -> str | None:
    """Why bytes are not a Podcast Index JSON chapters document, or None."""
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"not JSON ({exc})"
    if not isinstance(document, dict) or not isinstance(document.get("version"), str):
        return "needs a 'version' string"
    chapters = document.get("chapters")
    if not isinstance(chapters, list):
        return "needs a 'chapters' list"
    starts = [c.get("startTime") if isinstance(c, dict) else None for c in chapters]
    if not all(isinstance(s, int | float) and not isinstance(s, bool) for s in starts):
        return "every chapter needs a numeric 'startTime'"
    if starts != sorted(starts):  # type: ignore[type-var]
        return "chapters must be in order of startTime"
    return None


def enclosure_problems(ep: Episode, info: MediaInfo) -> Iterator[ShowFinding]:
    """Where the episode file's enclosure facts differ from its media: rule, field, message."""
    if info.length != ep.media.length:
        message = f"says {ep.media.length} bytes, the file has {info.length}"
        yield "enclosure-length", "length", message
    elif info.sha256 != ep.media.sha256:
        yield "enclosure-length", "sha256", "the media file changed"
    if info.mime_type != ep.media.mime_type:
        message = f"says {ep.media.mime_type}, the file is {info.mime_type}"
        yield "enclosure-type", "mime_type", message
    # Beyond rounding (an imported feed's durations are in whole seconds): an edit's typo.
    if abs(info.duration - ep.media.duration) > max(2.0, info.duration / 50):
        message = f"says {ep.media.duration:g} s, the file plays {info.duration:.0f} s"
        yield "enclosure-duration", "duration", message
    if ep.media.mime_type not in APPLE_TYPES:
        yield "enclosure-apple", "mime_type", f"Apple Podcasts does not play {ep.media.mime_type}"


def person_links(persons: Iterable[Person]) -> Iterator[tuple[str, str | None]]:
    for index, person in enumerate(persons):
        yield f"persons[{index}].href", person.href
        yield f"persons[{index}].img", person.img


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# A finding of a rule over all episodes: rule id, path, field and message.
SetFinding = tuple[str, str, str, str]


def duplicates(episodes: Iterable[Episode], *, guids_only: bool = False) -> Iterator[SetFinding]:
    """Episodes sharing a guid (apps merge them) or, unless `guids_only`, a title
    (listeners mix them up)."""
    pairs = (("duplicate-guid", "guid"), ("duplicate-title", "title"))
    for rule, key in pairs[:1] if guids_only else pairs:
        seen: dict[str, Episode] = {}
        for ep in episodes:
            value = getattr(ep, key).strip().casefold()
            if value in seen:
                yield rule, ep.source_file, key, f"same {key} as {seen[value].source.name}"
            else:
                seen[value] = ep


def shared_image_names(show: Show, episodes: Iterable[Episode]) -> Iterator[SetFinding]:
    """Two pictures the build would publish under one name, one over the other: images/
    keeps a picture's file name, not its folder."""
    taken = {artwork_variant_key(width): show.artwork for width in ARTWORK_WIDTHS}
    taken[image_key(show.artwork)] = show.artwork
    for ep in episodes:
        if ep.image and taken.setdefault(image_key(ep.image), ep.image) != ep.image:
            message = f"published as {image_key(ep.image)}, as {taken[image_key(ep.image)]!r} is"
            yield "image-name", ep.source_file, "image", message


def numbering(episodes: Iterable[Episode]) -> Iterator[SetFinding]:
    """Gaps and repeats in each season's episode numbers."""
    seasons: dict[int | None, list[int]] = defaultdict(list)
    for ep in episodes:
        if ep.episode is not None and ep.episode_type == "full" and not ep.unpublished:
            seasons[ep.season].append(ep.episode)
    for season, numbers in sorted(seasons.items(), key=lambda item: item[0] or 0):
        label = f"season {season}" if season is not None else "the show"
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            message = f"{label} has no episode {', '.join(map(str, missing))}"
            yield "numbering", "episodes", "episode", message
        for number in sorted(n for n, times in Counter(numbers).items() if times > 1):
            yield "numbering", "episodes", "episode", f"{label} has episode {number} more than once"


# A finding about mediafeed.toml: rule id, field and message.
ShowFinding = tuple[str, str, str]


def placeholders(show: Show, drawn_cover: bool) -> Iterator[ShowFinding]:
    """What `init` wrote and the producer never replaced: listeners and directories would
    see it, so it stops a publish to a real target; on this computer it is only a reminder."""
    rule = "placeholder" if show.publish.target else "placeholder-preview"
    for field, placeholder in PLACEHOLDERS.items():
        value = attrgetter(field)(show)
        if value.strip() == placeholder:
            yield rule, field, f"still {value!r}, as 'mediafeed init' wrote it"
    if drawn_cover:
        yield rule, "artwork", "still the cover 'mediafeed init' drew"


def description_bytes(text: str) -> int | None:
    """The UTF-8 length of a description over Apple's limit, or None."""
    size = len(text.encode("utf-8"))
    return size if size > MAX_DESCRIPTION else None


def show_lengths(show: Show) -> Iterator[ShowFinding]:
    for field in ("title", "author", "owner.name", "copyright"):
        size = len(attrgetter(field)(show) or "")
        if size > MAX_TAG:
            yield "tag-length", field, f"{size} characters; Apple allows {MAX_TAG}"
    if len(show.title.splitlines()) > 1:
        yield "title-line", "title", "has a line break"


# A number leading the title, or after "episode", "ep.", "aflevering", "afl." or "#".
_NUMBERED = re.compile(r"^\W*(\d+)\b|(?:\b(?:ep|episode|afl|aflevering)|#)\W*(\d+)\b")


def titles(
    episodes: Iterable[Episode], show_title: str | None, *, lengths_only: bool = False
) -> Iterator[SetFinding]:
    """Titles too long for Apple, or (unless `lengths_only`) carrying what apps already
    show beside them: the episode number (itunes:episode) and the show's name."""
    show = (show_title or "").strip().casefold()
    for ep in episodes:
        where = ep.source_file
        if len(ep.title) > MAX_TAG:
            message = f"{len(ep.title)} characters; Apple allows {MAX_TAG}"
            yield "tag-length", where, "title", message
        if len(ep.title.splitlines()) > 1:
            yield "title-line", where, "title", "has a line break"
        if lengths_only:
            continue
        title = ep.title.casefold()
        if show and show in title and ep.episode_type != "trailer":  # a trailer presents it
            yield "episode-title", where, "title", f"repeats the show's name {show_title!r}"
        numbers = {int(n) for match in _NUMBERED.finditer(title) for n in match.groups() if n}
        if ep.episode is not None and ep.episode in numbers:
            yield "episode-title", where, "title", f"carries its episode number {ep.episode}"


def set_findings(
    show: Show | None, episodes: list[Episode], now: dt.datetime, *, errors_only: bool = False
) -> Iterator[SetFinding]:
    """The findings of the rules over all episodes (those of the config only with it).
    `errors_only`: no rule that can only warn; the others may still warn."""
    yield from duplicates(episodes, guids_only=errors_only)
    if not errors_only:
        yield from numbering(episodes)
    yield from titles(episodes, show.title if show else None, lengths_only=errors_only)
    if show is None:
        return
    yield from reach_problems(show, episodes)
    yield from shared_image_names(show, episodes)
    if not errors_only:
        yield from loudness_problems(show, episodes)
    if show.require_transcript or not errors_only:
        yield from transcript_rules(show, episodes, now)
