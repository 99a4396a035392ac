"""The Podcasting 2.0 `podcast:` namespace as a feedgen extension.

feedgen's own `podcast` extension is the iTunes namespace; this one writes the Podcast
Index tags (https://podcastindex.org/namespace/1.0) for the channel and for each item.
Each tag is recorded as it is added and written by extend_rss in that order, so the same
calls give the same feed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

PODCAST_NS = "https://podcastindex.org/namespace/1.0"

# name, attributes, text, and the children of a container such as podcast:podroll
Element = tuple[str, dict[str, str], str | None, tuple["Element", ...]]


def element(
    name: str, text: str | None = None, /, *, children: Iterable[Element] = (), **attrs: object
) -> Element:
    """One tag: attributes in the order given, those that are None left out; a trailing
    underscore is dropped from a name (`type_`), which Python would otherwise refuse."""
    values = {key.rstrip("_"): str(value) for key, value in attrs.items() if value is not None}
    return name, values, text, tuple(children)


class Elements:
    """The tags of one namespace, in the order they were added."""

    namespace, prefix = PODCAST_NS, "podcast"

    def __init__(self) -> None:
        super().__init__()
        self._elements: list[Element] = []

    def add(
        self,
        name: str,
        text: str | None = None,
        /,
        *,
        children: Iterable[Element] = (),
        **attrs: object,
    ) -> None:
        """Add the tag `element` makes of these."""
        self._elements.append(element(name, text, children=children, **attrs))

    def extend_ns(self) -> dict[str, str]:
        return {self.prefix: self.namespace}

    def write(self, parent: Any, elements: Iterable[Element] | None = None) -> None:
        for name, attrs, text, children in self._elements if elements is None else elements:
            made = xml_elem(f"{{{self.namespace}}}{name}", parent)
            for key, value in attrs.items():
                made.attrib[key] = value
            if text is not None:
                made.text = text
            self.write(made, children)


class Podcast20Extension(Elements, BaseExtension):  # type: ignore[misc]
    def extend_rss(self, rss_feed: Any) -> Any:
        self.write(rss_feed[0])
        return rss_feed


class Podcast20EntryExtension(Elements, BaseEntryExtension):  # type: ignore[misc]
    def extend_rss(self, entry: Any) -> Any:
        self.write(entry)
        return entry
