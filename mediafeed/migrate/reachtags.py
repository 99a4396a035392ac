"""An imported feed's podcast:license, podroll, socialInteract and soundbite tags, as
mediafeed.toml and episode files write them. Each value is read back as the show will
read it; one that would not pass is left out, with a line in the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from mediafeed.migrate import feedxml as x
from mediafeed.reach import parse_license, parse_podroll, parse_social_interact, parse_soundbites


def show_fields(channel: Element, report: list[str]) -> dict[str, Any]:
    """license and podroll of the channel, for mediafeed.toml."""
    feeds = []
    for roll in x.podcast(channel, "podroll"):
        for item in x.podcast(roll, "remoteItem"):
            feed = {"feed_guid": item.get("feedGuid"), "feed_url": item.get("feedUrl")}
            feeds.append({key: value.strip() for key, value in feed.items() if value})
    return {
        "license": _kept("channel", "license", _license(channel), parse_license, report),
        "podroll": _kept("channel", "podroll", feeds, parse_podroll, report),
    }


def episode_fields(item: Element, label: str, seconds: float, report: list[str]) -> dict[str, Any]:
    """license, social_interact and soundbites of an item, for its episode file."""
    social = []
    for element in x.podcast(item, "socialInteract"):
        found = {
            "uri": element.get("uri") or (element.text or "").strip(),
            "protocol": element.get("protocol") or element.get("platform"),
            "account_id": element.get("accountId") or element.get("podcastAccountId"),
            "account_url": element.get("accountUrl") or element.get("podcastAccountUrl"),
            "priority": int(p) if (p := element.get("priority") or "").isdigit() else None,
        }
        social.append({key: value for key, value in found.items() if value})
    bites = []
    for element in x.podcast(item, "soundbite"):
        bite = {
            "start": _seconds(element.get("startTime")),
            "duration": _seconds(element.get("duration")),
            "title": (element.text or "").strip() or None,
        }
        bites.append({key: value for key, value in bite.items() if value is not None})

    def soundbites(value: Any) -> Any:
        return parse_soundbites(value, episode_seconds=seconds, seconds=_number)

    return {
        "license": _kept(label, "license", _license(item), parse_license, report),
        "social_interact": _kept(label, "socialInteract", social, parse_social_interact, report),
        "soundbites": _kept(label, "soundbite", bites, soundbites, report),
    }


def _license(element: Element) -> dict[str, str] | None:
    name, url = x.podcast_text(element, "license"), x.podcast_attr(element, "license", "url")
    if not name:
        return None
    return {"name": name, "url": url} if url else {"name": name}


def _kept(where: str, tag: str, value: Any, parse: Callable[[Any], Any], report: list[str]) -> Any:
    """`value` if the show reads it as it stands; None for none or one it would refuse."""
    if not value:
        return None
    try:
        parse(value)
    except ValueError as exc:
        report.append(f"{where}: podcast:{tag} left out ({str(exc).lstrip(': ')})")
        return None
    return value


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _number(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ValueError(f"{value!r} is not a number of seconds")
