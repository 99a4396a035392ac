"""Show notes: Markdown rendered to the sanitized HTML podcast apps accept, and plain text."""

from __future__ import annotations

import html
import re
import threading
from functools import cache, lru_cache

import nh3

# What Apple Podcasts and the big apps render in show notes; anything else is stripped.
ALLOWED_TAGS = set("p br a ul ol li strong b em i blockquote code h2 h3 h4".split())
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

# XML 1.0 forbids these code points; hostile or pasted text must never break the feed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """Remove characters that XML 1.0 cannot carry."""
    return _XML_INVALID.sub("", text)


# Building a Markdown converter costs more than converting a short note with it: one per
# thread, reset between documents.
_converters = threading.local()


def _markdown(source: str) -> str:
    converter = getattr(_converters, "converter", None)
    if converter is None:
        # Loaded here: importing a feed needs the allowed tags, not Markdown.
        import markdown
        from markdown.extensions.sane_lists import SaneListExtension

        # The extension itself, not its name: a name is looked up in every installed
        # package's entry points, which costs more than the converter.
        converter = markdown.Markdown(extensions=[SaneListExtension()], output_format="html")
        _converters.converter = converter
    result: str = converter.reset().convert(source)
    return result


@cache
def render_notes(source: str) -> str:
    """Markdown to sanitized HTML: scripts, styles, event handlers and javascript: links go.
    Remembered for the rest of the command: the feed item, the page and the check of an
    episode render the same notes."""
    cleaned = nh3.clean(
        _markdown(xml_safe(source)),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return xml_safe(cleaned).strip()


_HEADING = re.compile(r"<(/?)h([1-6])>")


@lru_cache(maxsize=32768)
def page_notes(source: str, *, top: int = 3) -> str:
    """The notes for a page that puts them under a heading of level `top - 1`: their
    headings shifted so the highest becomes `h<top>` and deeper ones keep their steps (down
    to h6), so the page's outline stays whole. The feed keeps the notes as written: apps
    show them on their own, with no heading of ours above them."""
    html = render_notes(source)
    levels = [int(level) for level in re.findall(r"<h([1-6])>", html)]
    if not levels:
        return html
    shift = top - min(levels)
    return _HEADING.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + shift)}>", html)


@lru_cache(maxsize=32768)
def plain_text(source: str) -> str:
    """The notes as plain text, for apps and fields that show no HTML."""
    cleaned = nh3.clean(render_notes(source), tags={"p", "li", "br"}, attributes={})
    cleaned = re.sub(r"<br\s*/?>", "\n", cleaned)
    cleaned = re.sub(r"</(p|li)>", "\n", cleaned)
    text = html.unescape(re.sub(r"<[^>]+>", "", cleaned))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return xml_safe("\n".join(line for line in lines if line)).strip()
