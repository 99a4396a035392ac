"""Apple Podcasts tags as Apple documents them today, on top of feedgen's podcast extension.

feedgen 1.0.0 writes itunes:explicit only as yes/no/clean, always writes an owner email,
drops a channel image whose URL ends in .jpeg, looks categories up with an XPath built from
the name (a quote in it breaks the build) and leaves out season or episode 0. These
subclasses keep feedgen's writing of the plain tags (author, owner, summary, type,
new-feed-url, duration, title, episodeType) and write the others, added as the feed's own
tags are (`add`), after feedgen's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension

from mediafeed.render.podcast20 import Elements, element

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


class _Apple(Elements):
    namespace, prefix = ITUNES_NS, "itunes"

    def apple_tags(self, *, image: str | None, explicit: bool, block: bool) -> None:
        """itunes:image, itunes:explicit and itunes:block, which the channel and items share."""
        if image:
            self.add("image", href=image)
        # Apple documents true/false; yes/no/clean is the retired vocabulary.
        self.add("explicit", "true" if explicit else "false")
        if block:
            self.add("block", "Yes")

    def keywords(self, words: Sequence[str]) -> None:
        """itunes:keywords, which Apple no longer reads but other directories still search."""
        if words:
            self.add("keywords", ",".join(words))


class AppleExtension(_Apple, PodcastExtension):  # type: ignore[misc]
    # feedgen writes the owner's email unasked: Spotify reads it, and a show may hide it.
    hide_owner_email = False

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = super().extend_rss(rss_feed)[0]
        self.write(channel)
        owner = channel.find(f"{{{ITUNES_NS}}}owner")
        email = None if owner is None else owner.find(f"{{{ITUNES_NS}}}email")
        if email is not None and self.hide_owner_email:
            owner.remove(email)
        return rss_feed

    def categories(self, categories: Sequence[Sequence[str]]) -> None:
        """(category,) or (category, subcategory); subcategories of one category share
        one parent element, as Apple's examples show."""
        grouped: dict[str, list[str]] = {}
        for name, *subs in categories:
            known = grouped.setdefault(name, [])
            known.extend(sub for sub in subs if sub not in known)
        for name, subs in grouped.items():  # a category's name is its text attribute
            self.add(
                "category", children=[element("category", text=sub) for sub in subs], text=name
            )


class AppleEntryExtension(_Apple, PodcastEntryExtension):  # type: ignore[misc]
    def extend_rss(self, entry: Any) -> Any:
        self.write(super().extend_rss(entry))
        return entry
