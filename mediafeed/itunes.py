"""Apple Podcasts tags as Apple documents them today, on top of feedgen's podcast extension.

feedgen 1.0.0 writes itunes:explicit only as yes/no/clean and always writes an owner email;
Apple documents true/false, and a producer may hide the email. These subclasses keep
feedgen's tag writing and correct just those values, plus the channel itunes:title.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def _set_explicit(parent: Any, explicit: bool | None) -> None:
    if explicit is None:
        return
    element = parent.find(f"{{{ITUNES_NS}}}explicit")
    if element is None:
        element = xml_elem(f"{{{ITUNES_NS}}}explicit", parent)
    element.text = "true" if explicit else "false"


class AppleExtension(PodcastExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None
        self._title: str | None = None
        self._owner_email_hidden = False

    def apple_explicit(self, explicit: bool) -> None:
        self._explicit = explicit

    def apple_title(self, title: str) -> None:
        self._title = title

    def apple_hide_owner_email(self, hidden: bool = True) -> None:
        self._owner_email_hidden = hidden

    def extend_rss(self, rss_feed: Any) -> Any:
        rss_feed = super().extend_rss(rss_feed)
        channel = rss_feed[0]
        _set_explicit(channel, self._explicit)
        if self._title:
            xml_elem(f"{{{ITUNES_NS}}}title", channel).text = self._title
        owner = channel.find(f"{{{ITUNES_NS}}}owner")
        if owner is not None and self._owner_email_hidden:
            email = owner.find(f"{{{ITUNES_NS}}}email")
            if email is not None:
                owner.remove(email)
        return rss_feed


class AppleEntryExtension(PodcastEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None

    def apple_explicit(self, explicit: bool | None) -> None:
        self._explicit = explicit

    def extend_rss(self, entry: Any) -> Any:
        entry = super().extend_rss(entry)
        _set_explicit(entry, self._explicit)
        return entry
