"""The Podcasting 2.0 fields that help a show travel: license, podroll, socialInteract and
soundbites, read from mediafeed.toml and episode files alike. Each reader raises
ValueError with what is wrong; the config and episode readers name the field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from mediafeed.licenses import spdx_id
from mediafeed.links import url_problem
from mediafeed.model import Episode, License, RemoteItem, Show, SocialInteract, Soundbite

# The namespace's list of protocols (socialprotocols.txt of the Podcast Index), with
# atproto, its newer name for bluesky, and lemmy, which mediafeed accepted before.
SOCIAL_PROTOCOLS = tuple(
    "activitypub atproto bluesky disabled hive lemmy lightning matrix nostr twitter".split()
)
_BITE_KEYS = {"start", "duration", "title"}
_SOCIAL_KEYS = {"uri", "protocol", "account_id", "account_url", "priority"}
_URI_SCHEMES = {"atproto": ("at://", "https://"), "bluesky": ("at://", "https://"),
                "nostr": ("nostr:", "https://")}  # fmt: skip
MAX_LICENSE_NAME = 128  # the namespace's limit for a license name
SOUNDBITE_SECONDS = (15.0, 120.0)  # the length the namespace recommends


def http_url(value: object, what: str) -> str:
    """An absolute http(s) URL, the only kind a feed or page may link."""
    problem = url_problem(value) if isinstance(value, str) else f"{value!r} is not a web address"
    if problem:
        raise ValueError(f"{what}: {problem}")
    return str(value)


def parse_license(value: Any) -> License | None:
    """`license = "CC-BY-4.0"` (an SPDX identifier) or `{ name = "...", url = "..." }`."""
    if value is None:
        return None
    table = {"name": value} if isinstance(value, str) else value
    if not isinstance(table, dict) or set(table) - {"name", "url"} or "name" not in table:
        raise ValueError("an SPDX identifier like 'CC-BY-4.0', or a table with name and url")
    name = str(table["name"]).strip()
    if not name or len(name) > MAX_LICENSE_NAME:
        raise ValueError(f"the name must be 1 to {MAX_LICENSE_NAME} characters")
    url = table.get("url")
    return License(name=name, url=None if url is None else http_url(url, "url"))


def parse_podroll(value: Any) -> tuple[RemoteItem, ...]:
    """Feeds the show recommends: each a podcast:guid, a feed URL, or a table with
    feed_guid, feed_url and title."""
    if not isinstance(value, list):
        raise ValueError("a list of feed GUIDs, feed URLs or tables")
    items = []
    for index, entry in enumerate(value):
        table = entry if isinstance(entry, dict) else {}
        if isinstance(entry, str):
            table = {"feed_guid" if is_uuid(entry) else "feed_url": entry}
        if not table or set(table) - {"feed_guid", "feed_url", "title"}:
            raise ValueError(f"[{index}]: a feed GUID, a feed URL, or feed_guid/feed_url/title")
        guid, url = table.get("feed_guid"), table.get("feed_url")
        if guid is not None and not is_uuid(str(guid)):
            raise ValueError(f"[{index}].feed_guid: {guid!r} is not a podcast:guid (a UUID)")
        if guid is None and url is None:
            raise ValueError(f"[{index}]: needs feed_guid or feed_url")
        items.append(
            RemoteItem(
                feed_guid=None if guid is None else str(guid).lower(),
                feed_url=None if url is None else http_url(url, f"[{index}].feed_url"),
                title=None if table.get("title") is None else str(table["title"]),
            )
        )
    return tuple(items)


def parse_social_interact(value: Any) -> tuple[SocialInteract, ...]:
    """Where an episode is discussed: a post's URL (ActivityPub, e.g. Mastodon), or tables
    with uri, protocol, account_id, account_url and priority; one or a list."""
    entries = value if isinstance(value, list) else [value]
    found = []
    for index, entry in enumerate(entries):
        table = {"uri": entry} if isinstance(entry, str) else entry
        where = f"[{index}]" if isinstance(value, list) else ""
        if not isinstance(table, dict) or set(table) - _SOCIAL_KEYS:
            keys = ", ".join(sorted(_SOCIAL_KEYS))
            raise ValueError(f"{where}: a URL, or a table with {keys}".lstrip(":"))
        protocol = str(table.get("protocol", "activitypub"))
        if protocol not in SOCIAL_PROTOCOLS:
            raise ValueError(f"{where}protocol: must be one of {', '.join(SOCIAL_PROTOCOLS)}")
        uri = str(table.get("uri", "")).strip()
        schemes = _URI_SCHEMES.get(protocol, ("https://", "http://"))
        if protocol != "disabled" and not uri.startswith(schemes):
            raise ValueError(f"{where}uri: {uri!r} is not a {protocol} post's address")
        priority = table.get("priority")
        if priority is not None and (type(priority) is not int or priority < 1):
            raise ValueError(f"{where}priority: must be a whole number from 1")
        account_url = table.get("account_url")
        found.append(
            SocialInteract(
                uri=uri,
                protocol=protocol,
                account_id=None if table.get("account_id") is None else str(table["account_id"]),
                account_url=None if account_url is None else http_url(account_url, "account_url"),
                priority=priority,
            )
        )
    return tuple(found)


def episode_reach_fields(
    data: dict[str, Any],
    episode_seconds: float,
    seconds: Callable[[Any], float],
    fail: Callable[[str, str], None],
) -> dict[str, Any]:
    """An episode file's license, social_interact and soundbites; `fail(message, field)`
    hears of each one that is wrong."""
    readers: dict[str, Callable[[Any], Any]] = {
        "license": parse_license,
        "social_interact": parse_social_interact,
        "soundbites": partial(parse_soundbites, episode_seconds=episode_seconds, seconds=seconds),
    }
    fields = {}
    for key, read in readers.items():
        if data.get(key) is not None:
            try:
                fields[key] = read(data[key])
            except ValueError as exc:  # also a time `seconds` cannot read
                fail(str(exc).lstrip(": "), key)
    return fields


def parse_soundbites(
    value: Any, *, episode_seconds: float, seconds: Callable[[Any], float]
) -> tuple[Soundbite, ...]:
    """Extracts by start and duration (`seconds` reads a time like 90 or "1:30"), each
    inside the episode: an app plays exactly that part."""
    if not isinstance(value, list):
        raise ValueError("a list of tables with start, duration and an optional title")
    bites = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict) or not {"start", "duration"} <= entry.keys() <= _BITE_KEYS:
            raise ValueError(f"[{index}]: needs start and duration (title optional)")
        start, length = seconds(entry["start"]), seconds(entry["duration"])
        if length <= 0:
            raise ValueError(f"[{index}].duration: must be more than 0 seconds")
        if episode_seconds and start + length > episode_seconds + 0.5:
            raise ValueError(
                f"[{index}]: ends at {start + length:g} s, after the episode's end "
                f"({episode_seconds:g} s)"
            )
        title = entry.get("title")
        bites.append(Soundbite(start, length, None if title is None else str(title)))
    return tuple(bites)


def is_uuid(value: str) -> bool:
    """A UUID in its usual 8-4-4-4-12 spelling, as podcast:guid and episode GUIDs are."""
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value))


def reach_problems(show: Show, episodes: Iterable[Episode]) -> Iterator[tuple[str, str, str, str]]:
    """What `check` says of these fields beyond their form: rule, path, field, message."""
    where = [("mediafeed.toml", show.license)]
    where += [(ep.source_file, ep.license) for ep in episodes]
    for path, license in where:
        if license is not None and license.url is None and spdx_id(license.name) is None:
            message = f"{license.name!r} is not an SPDX identifier and has no url"
            yield "license", path, "license", message
    for index, item in enumerate(show.podroll):
        if item.feed_guid is None:
            message = "only a feed URL: apps match the feed by a GUID derived from it"
            yield "podroll-guid", "mediafeed.toml", f"podroll[{index}]", message
    low, high = SOUNDBITE_SECONDS
    for ep in episodes:
        for index, bite in enumerate(ep.soundbites):
            if not low <= bite.duration <= high:
                message = f"{bite.duration:g} s long; apps expect {low:g} to {high:g} s"
                yield "soundbite-length", ep.source_file, f"soundbites[{index}]", message
