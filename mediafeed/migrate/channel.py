"""The show's settings from an imported feed's channel, each guess named in the report."""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

from mediafeed.migrate import feedxml as x
from mediafeed.migrate import reachtags
from mediafeed.rules import PLACEHOLDERS

MEDIUMS = ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog")


def show_settings(
    parsed: dict[str, Any], channel: Element, base: str, report: list[str]
) -> dict[str, Any]:
    """mediafeed.toml values; required ones the feed lacks get a placeholder and a line in
    `report`. `parsed`: podcastparser's reading of the channel; `base`: the feed's URL."""
    title = (parsed.get("title") or x.text(channel, "title")).strip()
    if not title:
        report.append("channel: no <title>; named 'Imported podcast'")
        title = "Imported podcast"
    owner = {key: x.itunes(channel, f"owner/{{{x.ITUNES}}}{key}") for key in ("name", "email")}
    author = x.itunes(channel, "author") or owner["name"]
    if not author:
        report.append("channel: no itunes:author; the title is the author")
        author = title
    language = (parsed.get("language") or "").strip().lower().replace("_", "-")
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z]{2,4})?", language):
        report.append("channel: no usable <language>; set to 'en', correct it in mediafeed.toml")
        language = "en"
    elif "-" in language:  # en-us -> en-US, as the config writes region codes
        language = f"{language.split('-')[0]}-{language.split('-')[1].upper()}"
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", owner["email"]):
        report.append("channel: no itunes:owner email; set a placeholder in mediafeed.toml")
        owner["email"] = PLACEHOLDERS["owner.email"]  # init's, so check names it
    categories = _categories(channel, report)
    if not categories:
        report.append("channel: no itunes:category; set to 'Society & Culture'")
        categories = [["Society & Culture"]]
    if parsed.get("new_url"):
        report.append(f"channel: the feed says it moved to {parsed['new_url']}")
    show_type = x.itunes(channel, "type").lower()
    if show_type not in ("episodic", "serial"):
        if show_type:
            report.append(f"channel: itunes:type {show_type!r} unknown; set to 'episodic'")
        show_type = "episodic"
    link = x.absolute(x.text(channel, "link"), base)
    if not link:
        report.append("channel: no website <link>; set to the feed's address")
    locked = x.podcast_text(channel, "locked").lower()
    if locked not in ("yes", "no"):
        report.append("channel: no podcast:locked; set to yes (no other host may import it)")
    medium = x.podcast_text(channel, "medium").lower()
    description = (parsed.get("description") or x.itunes(channel, "summary")).strip()
    if not description:
        report.append("channel: no description; the title is the description")
    return {
        "title": title,
        "description": description or title,
        "author": author,
        "language": language,
        "categories": categories,
        "explicit": x.EXPLICIT.get(x.itunes(channel, "explicit").lower(), False),
        "type": show_type,
        "link": link or (base if base.startswith("http") else "https://example.org/"),
        "copyright": x.text(channel, "copyright") or None,
        # podcast:guid stays with the show across hosts: keep it.
        "guid": x.podcast_text(channel, "guid") or None,
        "locked": locked != "no",
        "keywords": x.keywords(channel),
        "medium": medium if medium in MEDIUMS and medium != "podcast" else None,
        "funding": [
            {"url": url, "text": (element.text or "").strip() or url}
            for element in x.podcast(channel, "funding")
            if (url := x.absolute(element.get("url") or "", base))
        ],
        "persons": x.persons(channel),
        "owner": {"name": owner["name"] or author, "email": owner["email"]},
        **reachtags.show_fields(channel, report),
    }


def _categories(channel: Element, report: list[str]) -> list[list[str]]:
    """[category] or [category, subcategory] per Apple category; empty ones are dropped."""
    found: list[list[str]] = []
    empty = 0
    for category in channel.findall(f"{{{x.ITUNES}}}category"):
        name = (category.get("text") or "").strip()
        if not name:
            empty += 1
            continue
        subs = [
            (sub.get("text") or "").strip() for sub in category.findall(f"{{{x.ITUNES}}}category")
        ]
        empty += subs.count("")
        found.extend([[name, sub] for sub in subs if sub] or [[name]])
    if empty:
        report.append(f"channel: {empty} itunes:category without text dropped")
    return found
