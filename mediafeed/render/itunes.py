"""Apple Podcasts tags as Apple documents them today, on top of feedgen's podcast extension.

feedgen 1.0.0 writes itunes:explicit only as yes/no/clean, always writes an owner email,
drops a channel image whose URL ends in .jpeg, looks categories up with an XPath built from
the name (a quote in it breaks the build) and leaves out season or episode 0. These
subclasses keep feedgen's writing of the plain tags (author, owner, summary, type,
new-feed-url, duration, title, episodeType) and write the others as Apple documents them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def _tag(name: str) -> str:
    return f"{{{ITUNES_NS}}}{name}"


def _set_text(parent: Any, name: str, text: str) -> None:
    element = parent.find(_tag(name))
    if element is None:
        element = xml_elem(_tag(name), parent)
    element.text = text


class _Keywords:
    """itunes:keywords, which Apple no longer reads but other directories still search."""

    _keywords: Sequence[str] = ()

    def apple_keywords(self, keywords: Sequence[str]) -> None:
        self._keywords = tuple(keywords)

    def _write_keywords(self, parent: Any) -> None:
        if self._keywords:
            _set_text(parent, "keywords", ",".join(self._keywords))


def _write_common(parent: Any, *, explicit: bool | None, image: str | None, block: bool) -> None:
    if image:
        xml_elem(_tag("image"), parent).attrib["href"] = image
    if explicit is not None:
        # Apple documents true/false; yes/no/clean is the retired vocabulary.
        _set_text(parent, "explicit", "true" if explicit else "false")
    if block:
        _set_text(parent, "block", "Yes")


class AppleExtension(_Keywords, PodcastExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None
        self._title: str | None = None
        self._image: str | None = None
        self._categories: list[tuple[str, list[str]]] = []
        self._block = False
        self._complete = False
        self._owner_email_hidden = False

    def apple_explicit(self, explicit: bool) -> None:
        self._explicit = explicit

    def apple_title(self, title: str) -> None:
        self._title = title

    def apple_image(self, url: str) -> None:
        self._image = url

    def apple_categories(self, categories: Sequence[tuple[str, ...]]) -> None:
        """(category,) or (category, subcategory); subcategories of one category share
        one parent element, as Apple's examples show."""
        for parts in categories:
            entry = next((c for c in self._categories if c[0] == parts[0]), None)
            if entry is None:
                entry = (parts[0], [])
                self._categories.append(entry)
            entry[1].extend(sub for sub in parts[1:] if sub not in entry[1])

    def apple_block(self, block: bool) -> None:
        self._block = block

    def apple_complete(self, complete: bool) -> None:
        self._complete = complete

    def apple_hide_owner_email(self, hidden: bool = True) -> None:
        self._owner_email_hidden = hidden

    def extend_rss(self, rss_feed: Any) -> Any:
        rss_feed = super().extend_rss(rss_feed)
        channel = rss_feed[0]
        for name, subs in self._categories:
            category = xml_elem(_tag("category"), channel)
            category.attrib["text"] = name
            for sub in subs:
                xml_elem(_tag("category"), category).attrib["text"] = sub
        _write_common(channel, explicit=self._explicit, image=self._image, block=self._block)
        if self._title:
            _set_text(channel, "title", self._title)
        if self._complete:
            _set_text(channel, "complete", "Yes")
        self._write_keywords(channel)
        owner = channel.find(_tag("owner"))
        if owner is not None and self._owner_email_hidden:
            email = owner.find(_tag("email"))
            if email is not None:
                owner.remove(email)
        return rss_feed


class AppleEntryExtension(_Keywords, PodcastEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None
        self._image: str | None = None
        self._block = False
        self._numbers: list[tuple[str, int]] = []

    def apple_explicit(self, explicit: bool | None) -> None:
        self._explicit = explicit

    def apple_image(self, url: str) -> None:
        self._image = url

    def apple_block(self, block: bool) -> None:
        self._block = block

    def apple_season(self, number: int) -> None:
        self._numbers.append(("season", number))

    def apple_episode(self, number: int) -> None:
        self._numbers.append(("episode", number))

    def extend_rss(self, entry: Any) -> Any:
        entry = super().extend_rss(entry)
        for name, number in self._numbers:
            _set_text(entry, name, str(number))
        _write_common(entry, explicit=self._explicit, image=self._image, block=self._block)
        self._write_keywords(entry)
        return entry
