"""Show notes: Markdown rendered to the sanitized HTML podcast apps accept, and plain text."""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path

import markdown
import nh3

from mediafeed import localcache

# What Apple Podcasts and the big apps render in show notes; anything else is stripped.
ALLOWED_TAGS = {
    "p", "br", "a", "ul", "ol", "li", "strong", "b", "em", "i", "blockquote", "code",
    "h2", "h3", "h4",
}  # fmt: skip
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
        converter = markdown.Markdown(extensions=["sane_lists"], output_format="html")
        _converters.converter = converter
    result: str = converter.reset().convert(source)
    return result


# Markdown output by the hash of the source and of the rules below, kept between runs
# by `remembered`, so a rebuild of a large show renders only the notes that changed.
_RULES = repr((sorted(ALLOWED_TAGS), sorted(ALLOWED_ATTRIBUTES["a"]), sorted(URL_SCHEMES),
               markdown.__version__))  # fmt: skip
_known: dict[str, str] = {}  # Markdown output, before sanitizing
_clean: dict[str, str] = {}  # sanitized, this process only
_recorders: list[dict[str, str]] = []


def _key(source: str) -> str:
    text = f"{_RULES}\0{source}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(text).hexdigest()


@contextmanager
def collected() -> Iterator[dict[str, str]]:
    """The Markdown output of every note rendered or reused in this block, by cache key:
    what `remembered` stores, and what a forked process hands back for its parent to
    `adopt`."""
    used: dict[str, str] = {}
    _recorders.append(used)
    try:
        yield used
    finally:
        # By identity: two recorders can hold equal dicts, and list.remove compares.
        _recorders[:] = [other for other in _recorders if other is not used]


@contextmanager
def remembered(path: Path) -> Iterator[None]:
    """Reuse the notes rendered by earlier runs, stored at `path`, and store this run's."""
    before: dict[str, str] = localcache.load_dict(path, _FORMAT)
    _known.update(before)
    with collected() as used:
        try:
            yield
        finally:
            if used != before:
                _save(path, before, used)


_FORMAT = 1  # of the file `remembered` keeps
NOTES_CACHE = ".mediafeed/notes.pickle"  # in the show folder, for build and check alike


def _save(path: Path, before: dict[str, str], data: dict[str, str]) -> None:
    """Appended to a signed journaled dict (see `localcache.save_dict`); a cache that
    cannot be written costs a render next time."""
    with suppress(OSError):
        localcache.save_dict(path, _FORMAT, before, data)


def keep_remembered(sources: Iterable[str]) -> None:
    """Keep the remembered Markdown of these notes for later runs even when this run
    renders none of them (their feed items, pages and check findings came from caches),
    so the command that needs them next renders no Markdown either. A command that
    reads every episode says so, and the file holds every episode's notes whichever
    command wrote it last."""
    for source in sources:
        key = _key(source)
        raw = _known.get(key)
        if raw is not None:
            for used in _recorders:
                used[key] = raw


def adopt(rendered: dict[str, str]) -> None:
    """Take Markdown output a forked child rendered (see `collected`) as if rendered here:
    it is remembered for later runs and not rendered again. Sanitizing still runs here,
    as for a cache."""
    _known.update(rendered)
    for used in _recorders:
        used.update(rendered)


def render_notes(source: str) -> str:
    """Markdown to sanitized HTML: scripts, styles, event handlers and javascript: links go.

    Only the Markdown step is remembered between runs; sanitizing runs in every process,
    so nothing from a cache file reaches the feed unsanitized.
    """
    key = _key(source)
    raw = _known.get(key)
    if raw is None:
        raw = _known[key] = _markdown(xml_safe(source))
    for used in _recorders:
        used[key] = raw
    html = _clean.get(key)
    if html is None:
        html = _clean[key] = _sanitize(raw)
    return html


def _sanitize(rendered: str) -> str:
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return xml_safe(cleaned).strip()


@lru_cache(maxsize=32768)
def plain_text(source: str) -> str:
    """The notes as plain text, for apps and fields that show no HTML."""
    cleaned = nh3.clean(render_notes(source), tags={"p", "li", "br"}, attributes={})
    cleaned = re.sub(r"<br\s*/?>", "\n", cleaned)
    cleaned = re.sub(r"</(p|li)>", "\n", cleaned)
    text = html.unescape(re.sub(r"<[^>]+>", "", cleaned))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return xml_safe("\n".join(line for line in lines if line)).strip()
