"""Show notes: Markdown to sanitized HTML that podcast apps and web pages can show safely."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown
import nh3

# What podcast apps render in <description>/<content:encoded>; anything else is stripped
# to its text, and scripts, styles and event handlers never survive.
ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "ul", "ol", "li", "strong", "b", "em", "i", "h2", "h3", "h4"}
    | {"blockquote", "code"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Characters XML 1.0 forbids: one stray control character would make the whole feed
# unparseable for every subscriber.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")

_BLOCKS = frozenset({"p", "li", "h2", "h3", "h4", "blockquote", "ul", "ol", "br"})


def strip_invalid_xml(text: str) -> str:
    """Drop characters that are not allowed anywhere in an XML document."""
    return _XML_INVALID.sub("", text)


def render_notes(markdown_text: str) -> str:
    """Markdown show notes as HTML with only the allow-listed tags and safe links."""
    raw = markdown.markdown(strip_invalid_xml(markdown_text), output_format="html")
    cleaned = nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )
    return strip_invalid_xml(cleaned).strip()


class _TextCollector(HTMLParser):
    """Gathers text, turning block ends into paragraph breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")


def plain_text(markdown_text: str) -> str:
    """Show notes as plain text paragraphs, for summaries, newsletters and previews."""
    collector = _TextCollector()
    collector.feed(render_notes(markdown_text))
    collector.close()
    text = "".join(collector.parts)
    paragraphs = (" ".join(block.split()) for block in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)
