"""The Podcasting 2.0 `podcast:` namespace as a feedgen extension.

feedgen's own `podcast` extension is the iTunes namespace; this one writes the Podcast
Index tags (https://podcastindex.org/namespace/1.0) for the channel and for each item.
Each setter records attribute/text pairs; extend_rss turns them into elements in a fixed
order, so the output is deterministic.
"""

from __future__ import annotations

import base64
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

PODCAST_NS = "https://podcastindex.org/namespace/1.0"

# name, attributes, text, and the children of a container such as podcast:podroll
_Tag = tuple[str, dict[str, str], str | None, tuple["_Tag", ...]]


def _attrs(**values: Any) -> dict[str, str]:
    return {key.rstrip("_"): str(v) for key, v in values.items() if v is not None}


def _seconds(value: float) -> str:
    """Seconds as the namespace writes them: a decimal number, never an exponent."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


class _Tags:
    """Ordered podcast: elements shared by the channel and item extensions."""

    def __init__(self) -> None:
        self._tags: list[_Tag] = []

    def _add(
        self,
        name: str,
        attrs: dict[str, str],
        text: str | None = None,
        children: tuple[_Tag, ...] = (),
    ) -> None:
        self._tags.append((name, attrs, text, children))

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def _write(self, parent: Any, tags: tuple[_Tag, ...] | None = None) -> None:
        for name, attrs, text, children in self._tags if tags is None else tags:
            element = xml_elem(f"{{{PODCAST_NS}}}{name}", parent)
            for key, value in attrs.items():
                element.attrib[key] = value
            if text is not None:
                element.text = text
            self._write(element, children)

    def podcast_person(
        self,
        name: str,
        *,
        role: str | None = None,
        group: str | None = None,
        img: str | None = None,
        href: str | None = None,
    ) -> None:
        self._add("person", _attrs(role=role, group=group, img=img, href=href), name)

    def podcast_location(
        self,
        name: str,
        *,
        geo: str | None = None,
        osm: str | None = None,
        rel: str | None = None,
        country: str | None = None,
    ) -> None:
        self._add("location", _attrs(rel=rel, geo=geo, osm=osm, country=country), name)

    def podcast_images(self, srcset: str) -> None:
        """Image URLs with their widths, HTML srcset style: "url 1400w, url 600w"."""
        self._add("images", _attrs(srcset=srcset))

    def podcast_txt(self, text: str, *, purpose: str | None = None) -> None:
        self._add("txt", _attrs(purpose=purpose or None), text)

    def podcast_license(self, name: str, *, url: str | None = None) -> None:
        self._add("license", _attrs(url=url), name)


class Podcast20Extension(_Tags, BaseExtension):  # type: ignore[misc]
    def podcast_guid(self, guid: str) -> None:
        self._add("guid", {}, guid)

    def podcast_locked(self, locked: bool, *, owner: str | None = None) -> None:
        self._add("locked", _attrs(owner=owner), "yes" if locked else "no")

    def podcast_funding(self, url: str, text: str) -> None:
        self._add("funding", _attrs(url=url), text)

    def podcast_podroll(self, feeds: list[tuple[str, str | None]]) -> None:
        """Recommended shows as (feedGuid, feedUrl) pairs: podcast:remoteItem elements."""
        items = tuple(
            ("remoteItem", _attrs(feedGuid=guid, feedUrl=url), None, ()) for guid, url in feeds
        )
        self._add("podroll", {}, None, items)

    def podcast_medium(self, medium: str) -> None:
        self._add("medium", {}, medium)

    def podcast_update_frequency(
        self,
        text: str,
        *,
        rrule: str | None = None,
        complete: bool | None = None,
        dtstart: str | None = None,
    ) -> None:
        flag = None if complete is None else str(complete).lower()
        self._add("updateFrequency", _attrs(complete=flag, dtstart=dtstart, rrule=rrule), text)

    def podcast_trailer(
        self,
        title: str,
        *,
        url: str,
        pubdate: str,
        length: int | None = None,
        type_: str | None = None,
        season: int | None = None,
    ) -> None:
        self._add(
            "trailer",
            _attrs(url=url, pubdate=pubdate, length=length, type_=type_, season=season),
            title,
        )

    def extend_rss(self, rss_feed: Any) -> Any:
        self._write(rss_feed[0])
        return rss_feed


class Podcast20EntryExtension(_Tags, BaseEntryExtension):  # type: ignore[misc]
    def podcast_transcript(
        self, url: str, *, type_: str, language: str | None = None, rel: str | None = None
    ) -> None:
        self._add("transcript", _attrs(url=url, type_=type_, language=language, rel=rel))

    def podcast_chapters(self, url: str, *, type_: str = "application/json+chapters") -> None:
        self._add("chapters", _attrs(url=url, type_=type_))

    def podcast_social_interact(
        self,
        uri: str,
        *,
        protocol: str,
        account_id: str | None = None,
        account_url: str | None = None,
        priority: int | None = None,
    ) -> None:
        attrs = _attrs(
            uri=uri or None,
            protocol=protocol,
            accountId=account_id,
            accountUrl=account_url,
            priority=priority,
        )
        self._add("socialInteract", attrs)

    def podcast_soundbite(self, start: float, duration: float, title: str | None = None) -> None:
        attrs = _attrs(startTime=_seconds(start), duration=_seconds(duration))
        self._add("soundbite", attrs, title)

    def podcast_alternate_enclosure(
        self,
        uri: str,
        *,
        type_: str,
        length: int,
        bitrate: int,
        sha256: bytes,
        title: str | None = None,
        default: bool = False,
    ) -> None:
        """One file of the episode with where to get it and its hash, as Subresource
        Integrity metadata (`sha256-` and the digest in base64), the namespace's `sri`."""
        attrs = _attrs(
            type_=type_,
            length=length,
            bitrate=bitrate,
            title=title,
            default="true" if default else None,
        )
        integrity = {"type": "sri", "value": "sha256-" + base64.b64encode(sha256).decode()}
        children = (("source", {"uri": uri}, None, ()), ("integrity", integrity, None, ()))
        self._add("alternateEnclosure", attrs, None, children)

    def podcast_season(self, number: int, *, name: str | None = None) -> None:
        self._add("season", _attrs(name=name), str(number))

    def podcast_episode(self, number: int | float, *, display: str | None = None) -> None:
        self._add("episode", _attrs(display=display), f"{number:g}")

    def extend_rss(self, entry: Any) -> Any:
        self._write(entry)
        return entry
