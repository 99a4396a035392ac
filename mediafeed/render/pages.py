"""The show page and one permanent page per episode, rendered with Jinja2 into object bytes."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from markupsafe import Markup

from mediafeed.licenses import license_url, spdx_id
from mediafeed.links import (
    ACCESSIBILITY_KEY,
    SHOW_PAGE_KEY,
    STYLESHEET_KEY,
    Links,
    artwork_variant_key,
    episode_page_key,
    image_key,
    media_key,
    oembed_key,
    year_page_key,
)
from mediafeed.links import relative_link as _relative
from mediafeed.model import Episode, License, Show
from mediafeed.render.i18n import Locale, writes_right_to_left
from mediafeed.render.notes import page_notes, plain_text
from mediafeed.render.sharing import episode_json_ld, series_json_ld, transcript_links
from mediafeed.render.templating import find_template, render_template
from mediafeed.render.transcripts import read_transcript

ROW_TEMPLATE = "_episode_row.html"
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# Names listeners know the formats by, for the download link.
_MEDIA_KINDS = {
    "audio/mpeg": "MP3",
    "audio/mp4": "M4A",
    "audio/x-m4a": "M4A",
    "audio/aac": "AAC",
    "audio/ogg": "Ogg",
    "audio/opus": "Opus",
    "audio/flac": "FLAC",
    "audio/wav": "WAV",
    "video/mp4": "MP4",
    "video/webm": "WebM",
    "video/quicktime": "MOV",
}

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
# Titles and abbreviations that end in a full stop without ending the sentence.
_ABBREVIATIONS = frozenset(
    "prof dr drs mr mevr dhr ir ing st mrs ms jr sr vs bijv bv ca resp nr etc e.g i.e o.a".split()
)


def safe_url(url: str | None) -> str | None:
    """A link target users typed, or None when its scheme could run code (`javascript:`)."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in SAFE_SCHEMES else None


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph, not cut after `Prof.`, `dr.` or an initial."""
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(text):
        last_word = sentences[-1].rsplit(" ", 1)[-1].rstrip(".").lower() if sentences else ""
        if sentences and (last_word in _ABBREVIATIONS or len(last_word) == 1):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def summary_text(episode: Episode, *, sentences: int = 3, max_chars: int = 320) -> str:
    """The episode's summary, else the first sentences of its notes, for previews."""
    source = episode.summary.strip() if episode.summary else ""
    text = " ".join((source or plain_text(episode.notes)).split())
    chosen: list[str] = []
    for sentence in split_sentences(text):
        if chosen and (len(chosen) >= sentences or len(" ".join([*chosen, sentence])) > max_chars):
            break
        chosen.append(sentence)
    result = " ".join(chosen)
    return result if len(result) <= max_chars else result[: max_chars - 1].rstrip() + "…"


# <source> types with their codecs, so a browser passes over what it cannot play unfetched.
_SOURCE_TYPES = {
    "audio/ogg": 'audio/ogg; codecs="opus"',
    "audio/mp4": 'audio/mp4; codecs="mp4a.40.2"',
}


def _files(page_key: str, episode: Episode, media: str) -> list[dict[str, object]]:
    """The episode's files for the player and the download links, smallest first: a
    browser plays the first `<source>` it can."""
    mime_type = episode.media.mime_type
    main = {
        "src": media,
        "type": mime_type,
        "length": episode.media.length,
        "kind": _MEDIA_KINDS.get(mime_type.lower(), mime_type.split("/")[-1].upper()),
    }
    extra = [
        {
            "src": _relative(page_key, item.key),
            "length": item.length,
            "kind": item.title,
            "type": _SOURCE_TYPES.get(item.mime_type, item.mime_type),
        }
        for item in episode.renditions
    ]
    return sorted([main, *extra], key=lambda file: int(str(file["length"])))


def _episode_label(loc: Locale, episode: Episode) -> str:
    parts = []
    if episode.episode_type in {"trailer", "bonus"}:
        parts.append(loc.text(episode.episode_type))
    if episode.season is not None and episode.episode is not None:
        parts.append(loc.text("season_episode", season=episode.season, episode=episode.episode))
    elif episode.episode is not None:
        parts.append(loc.text("episode_number", episode=episode.episode))
    return " · ".join(parts)


# The artwork sizes the build makes that pages pick from for their 160 and 240 px pictures
# (on screens of two and three pixels a point too); link previews get the largest.
PICTURE_WIDTHS = (150, 300, 600)
PREVIEW_WIDTH = 1400


def common_context(show: Show, links: Links, page_key: str) -> dict[str, object]:
    """What every page's template is given, with links relative to the page at `page_key`."""
    loc = Locale.for_show(show)

    def sized(width: int) -> str:
        return _relative(page_key, artwork_variant_key(width))

    return {
        "show": show,
        "loc": loc,
        "lang": show.language or loc.code,
        "rtl": writes_right_to_left(show.language),
        "stylesheet": _relative(page_key, STYLESHEET_KEY),
        "home": _relative(page_key, SHOW_PAGE_KEY),
        "accessibility": _relative(page_key, ACCESSIBILITY_KEY),
        # The sized copies, never the original: that may be a 3000 px JPEG of megabytes.
        "artwork": sized(300),
        "artwork_srcset": ", ".join(f"{sized(width)} {width}w" for width in PICTURE_WIDTHS),
        "icon": sized(150),
        "og_image": links.url(artwork_variant_key(PREVIEW_WIDTH)),
        "og_image_width": PREVIEW_WIDTH,
        "feed_url": links.feed,
        "website": safe_url(show.link),
        "subscribe": [(label, url) for label, url in show.subscribe if safe_url(url)],
        "license": _license(show.license),
        "json_ld": None,
    }


# Makes the rows of a page's list of episodes: given the episodes, the page's key and the
# heading level, each row's HTML. The build hands one in that remembers rows it made.
RowMaker = Callable[[Sequence[Episode], str, int], Sequence[str]]


def render_rows(show: Show, episodes: Sequence[Episode], page_key: str, level: int) -> list[str]:
    """Each episode's `<li>` in the list of episodes on the page at `page_key`."""
    loc = Locale.for_show(show)
    template = find_template(show, ROW_TEMPLATE)

    def render(episode: Episode) -> str:
        row = {
            "episode": episode,
            "href": _relative(page_key, episode_page_key(episode.slug)),
            "label": _episode_label(loc, episode),
            "summary": summary_text(episode, sentences=2, max_chars=240),
        }
        return render_template(
            show, ROW_TEMPLATE, {"row": row, "loc": loc, "level": level}, template=template
        )

    return [render(episode) for episode in episodes]


def row_level(page_key: str) -> int:
    """The heading level of a row in the page's list: below the show page's section heading
    (an h2), or below a year page's own (its h1)."""
    return 3 if page_key == SHOW_PAGE_KEY else 2


def _rows(
    show: Show, episodes: Sequence[Episode], page_key: str, rows: RowMaker | None
) -> list[Markup]:
    made = (rows or partial(render_rows, show))(episodes, page_key, row_level(page_key))
    return [Markup(row) for row in made]  # noqa: S704 (rendered autoescaped)


@dataclass(frozen=True)
class YearLink:
    year: int
    href: str
    current: bool = False


def year_links(years: Sequence[int], page_key: str, current: int | None = None) -> list[YearLink]:
    return [
        YearLink(year, _relative(page_key, year_page_key(year)), year == current) for year in years
    ]


def render_show_page(
    show: Show,
    episodes: Sequence[Episode],
    *,
    links: Links,
    years: Sequence[int] = (),
    rows: RowMaker | None = None,
) -> str:
    """The show's home page: artwork, description, subscribe links and the given episodes;
    with `years` (newest first), links to the pages listing each year."""
    context = common_context(show, links, SHOW_PAGE_KEY)
    context.update(
        canonical=links.show_page,
        description=" ".join(show.description.split()),
        rows=_rows(show, episodes, SHOW_PAGE_KEY, rows),
        years=year_links(years, SHOW_PAGE_KEY),
        json_ld=series_json_ld(show, links=links),
    )
    return render_template(show, "show.html", context)


def render_year_page(
    show: Show,
    year: int,
    episodes: Sequence[Episode],
    *,
    links: Links,
    years: Sequence[int],
    rows: RowMaker | None = None,
) -> str:
    """One year of a long show's episodes, newest first: the show page lists only the latest."""
    page_key = year_page_key(year)
    context = common_context(show, links, page_key)
    heading = Locale.for_show(show).text("year_title", year=year)
    context.update(
        canonical=links.url(page_key),
        heading=heading,
        description=f"{heading}: {' '.join(show.description.split())}",
        rows=_rows(show, episodes, page_key, rows),
        years=year_links(years, page_key, current=year),
    )
    return render_template(show, "year.html", context)


def render_episode_page(show: Show, episode: Episode, *, links: Links) -> str:
    """One episode's permanent page, found forever at `episodes/<slug>/index.html`."""
    page_key = episode_page_key(episode.slug)
    context = common_context(show, links, page_key)
    loc = Locale.for_show(show)
    media = episode.enclosure_url or _relative(page_key, media_key(episode))
    chapters = [
        {"start": c.start, "title": c.title, "url": safe_url(c.url)} for c in episode.chapters
    ]
    people = [
        {"name": p.name, "role": loc.role(p.role), "href": safe_url(p.href)}
        for p in episode.persons
    ]
    description = summary_text(episode, max_chars=300)
    context.update(
        episode=episode,
        canonical=links.episode_page(episode.slug),
        description=description,
        label=_episode_label(loc, episode),
        poster=_relative(page_key, artwork_variant_key(600)),  # a video is up to 736 px wide
        media=media,
        media_url=links.media(episode),
        files=_files(page_key, episode, media),
        notes=Markup(page_notes(episode.notes)),  # noqa: S704 - sanitized by nh3
        chapters=chapters,
        people=people,
        transcript=read_transcript(show, episode),
        **transcript_links(page_key, episode),
        transcript_draft=episode.transcript_status == "draft",
        soundbites=episode.soundbites,
        oembed=links.url(oembed_key(episode.slug)),
        json_ld=episode_json_ld(show, episode, links=links, description=description),
        license=_license(episode.license or show.license),
        discuss=next(
            (
                safe_url(item.uri)
                for item in sorted(episode.social_interact, key=lambda item: item.priority or 0)
                if item.protocol != "disabled"
            ),
            None,
        ),
    )
    if episode.image:  # an episode's own image is not sized by the build: shown as it is
        own = _relative(page_key, image_key(episode.image))
        context.update(
            artwork=own,
            artwork_srcset=None,
            poster=own,
            og_image=links.image(episode.image),
            og_image_width=None,
        )
    return render_template(show, "episode.html", context)


def _license(chosen: License | None) -> dict[str, str | None] | None:
    """The license line of a page: its name, linked to its text where known."""
    if chosen is None:
        return None
    return {
        "name": spdx_id(chosen.name) or chosen.name,
        "url": license_url(chosen.name, chosen.url),
    }


def render_gone_page(show: Show, slug: str, *, links: Links, page_key: str) -> str:
    """What an unpublished episode's permanent URL (`page_key`: its page, or its embedded
    player) shows, so old links still land somewhere useful: a short notice in the show's
    language and a link to the show."""
    context = common_context(show, links, page_key)
    context.update(
        canonical=links.episode_page(slug),
        description=" ".join(show.description.split()),
    )
    return render_template(show, "gone.html", context)
