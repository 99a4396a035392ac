"""Reading a feed's raw XML safely: the screen against XML bombs, and the namespaced look-ups.

The feed is parsed with defusedxml first (no entity declarations, no external entities),
so neither a billion-laughs bomb nor a file-stealing entity reaches any parser. The tags
podcastparser does not expose (keywords, funding, persons, podcast:guid, item links,
categories with empty text) are read from this tree.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from mediafeed.errors import FeedError

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
PSC = "http://podlove.org/simple-chapters"
# itunes:explicit as Apple documents it, and as older feeds still spell it
EXPLICIT = dict.fromkeys(("yes", "true", "explicit"), True)
EXPLICIT.update(dict.fromkeys(("no", "false", "clean"), False))
PODCAST = (
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)


def screen(data: bytes, source: str) -> Element:
    """The RSS <channel>, from a parse that refuses entity declarations and external
    references; HTML pages and other XML get an error that says what they are."""
    if not data.strip():
        raise FeedError("is empty, not a feed", path=source)
    root: Element | None
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden:
        raise FeedError(
            "declares XML entities (a possible 'XML bomb'); refused", path=source
        ) from None
    except (defusedxml.ExternalReferenceForbidden, defusedxml.NotSupportedError):
        raise FeedError("refers to external XML entities; refused", path=source) from None
    except ParseError as exc:
        if b"<html" not in data[:4096].lower():
            raise FeedError(f"not XML: {exc}", path=source) from None
        root = None  # a web page that is not even well-formed XML
    if root is None or root.tag == "html" or root.tag.endswith("}html"):
        raise FeedError("is a web page, not a feed: use the address of the RSS feed", path=source)
    channel: Element | None = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise FeedError(f"not an RSS podcast feed (its root element is <{root.tag}>)", path=source)
    return channel


def text(element: Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def itunes(element: Element, name: str) -> str:
    return text(element, f"{{{ITUNES}}}{name}")


def podcast(element: Element, name: str) -> list[Element]:
    """podcast: elements in the namespace's URI, or the one early feeds used."""
    return [found for ns in PODCAST for found in element.findall(f"{{{ns}}}{name}")]


def podcast_text(element: Element, name: str) -> str:
    found = podcast(element, name)
    return (found[0].text or "").strip() if found else ""


def podcast_attr(element: Element, name: str, attr: str) -> str | None:
    found = podcast(element, name)
    return (found[0].get(attr) or "").strip() or None if found else None


def keywords(element: Element) -> list[str]:
    return [word.strip() for word in itunes(element, "keywords").split(",") if word.strip()]


def persons(element: Element) -> list[dict[str, str]]:
    """podcast:person elements as episode files and mediafeed.toml write them."""
    found = []
    for person in podcast(element, "person"):
        name = (person.text or "").strip()
        if name:
            extra = {k: (person.get(k) or "").strip() for k in ("role", "group")}
            # Links as episode files take them: a javascript: href is left behind.
            extra |= {k: absolute(person.get(k) or "", "") or "" for k in ("href", "img")}
            found.append({"name": name, **{k: v for k, v in extra.items() if v}})
    return found


def absolute(url: str, base: str) -> str | None:
    """An http(s) URL, relative ones resolved against `base`, non-ASCII characters
    percent-encoded (as browsers send them); None for anything else."""
    url = url.strip()
    if not url:
        return None
    resolved = urljoin(base, url) if base else url
    if urlsplit(resolved).scheme.lower() not in {"http", "https"} or not urlsplit(resolved).netloc:
        return None
    return quote(resolved, safe="!#$%&'()*+,/:;=?@[]~")
