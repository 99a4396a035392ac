"""What other sites take from an episode: its embeddable player page, the <iframe> snippet
that shows it, a static oEmbed document, and JSON-LD for search engines."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from mediafeed.licenses import license_url
from mediafeed.links import (
    ARTWORK_WIDTHS,
    Links,
    artwork_variant_key,
    embed_page_key,
    episode_page_key,
    image_key,
    media_key,
    relative_link,
    transcript_key,
)
from mediafeed.model import Episode, License, Show
from mediafeed.render.i18n import Locale, iso_duration, writes_right_to_left
from mediafeed.render.templating import render_template

# The player's size in an <iframe> 100 % wide: what the snippet and oEmbed state. The
# audio player fits cover, title, player, the chapter list's heading and the links.
EMBED_WIDTH = 640
AUDIO_HEIGHT = 220
VIDEO_HEIGHT = 520
THUMBNAIL_WIDTH = 300


def embed_height(episode: Episode) -> int:
    return VIDEO_HEIGHT if episode.media.is_video else AUDIO_HEIGHT


def embed_snippet(show: Show, episode: Episode, *, links: Links) -> str:
    """The <iframe> a newsletter's web version or a CMS pastes to play the episode."""
    title = escape(f"{episode.title} · {show.title}", quote=True)
    src = escape(links.url(embed_page_key(episode.slug)), quote=True)
    return (
        f'<iframe src="{src}" title="{title}" width="100%" height="{embed_height(episode)}" '
        f'style="border:0;max-width:{EMBED_WIDTH}px" loading="lazy"></iframe>'
    )


def render_embed_page(show: Show, episode: Episode, *, links: Links) -> str:
    """The episode's player alone, for an <iframe>: every link relative to the show's own
    objects, so it asks nothing of any other origin."""
    key = embed_page_key(episode.slug)
    loc = Locale.for_show(show)
    image = image_key(episode.image) if episode.image else artwork_variant_key(150)
    context = {
        "show": show,
        "episode": episode,
        "loc": loc,
        "lang": show.language or loc.code,
        "rtl": writes_right_to_left(show.language),
        "canonical": links.episode_page(episode.slug),
        "page": relative_link(key, episode_page_key(episode.slug)),
        "image": relative_link(key, image),
        "media": episode.enclosure_url or relative_link(key, media_key(episode)),
        "chapters": episode.chapters,
        "soundbites": episode.soundbites,
        **transcript_links(key, episode),
    }
    return render_template(show, "embed.html", context)


def transcript_links(page_key: str, episode: Episode) -> dict[str, object]:
    """The episode's transcript file as the page at `page_key` links it, and whether it is
    WebVTT, which a video player takes as its captions."""
    name = episode.transcript
    return {
        "transcript_file": relative_link(page_key, transcript_key(episode)) if name else None,
        "transcript_is_vtt": bool(name and name.lower().endswith(".vtt")),
    }


def oembed_document(show: Show, episode: Episode, *, links: Links) -> bytes:
    """oEmbed 1.0, type rich, as a static file the episode page links to."""
    document = {
        "version": "1.0",
        "type": "rich",
        "title": episode.title,
        "author_name": show.author,
        "author_url": show.link or links.show_page,
        "provider_name": show.title,
        "provider_url": links.show_page,
        "html": embed_snippet(show, episode, links=links),
        "width": EMBED_WIDTH,
        "height": embed_height(episode),
        "thumbnail_url": links.url(artwork_variant_key(THUMBNAIL_WIDTH)),
        "thumbnail_width": THUMBNAIL_WIDTH,
        "thumbnail_height": THUMBNAIL_WIDTH,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def series_json_ld(show: Show, *, links: Links) -> dict[str, Any]:
    """schema.org PodcastSeries: the show as search engines read it."""
    found: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastSeries",
        "name": show.title,
        "description": " ".join(show.description.split()),
        "url": links.show_page,
        "webFeed": links.feed,
        "image": links.url(artwork_variant_key(ARTWORK_WIDTHS[0])),
        "inLanguage": show.language,
    }
    return _licensed(found, show.license)


def episode_json_ld(
    show: Show, episode: Episode, *, links: Links, description: str
) -> dict[str, Any]:
    """schema.org PodcastEpisode, part of the show's PodcastSeries."""
    found: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        "url": links.episode_page(episode.slug),
        "datePublished": episode.published.isoformat(),
        "description": description,
        "associatedMedia": {
            "@type": "VideoObject" if episode.media.is_video else "AudioObject",
            "contentUrl": links.media(episode),
            "encodingFormat": episode.media.mime_type,
        },
        "partOfSeries": {"@type": "PodcastSeries", "name": show.title, "url": links.show_page},
        "inLanguage": show.language,
    }
    if episode.media.duration:  # unknown for some imported episodes: no claim of zero
        found["associatedMedia"]["duration"] = iso_duration(episode.media.duration)
    if episode.episode is not None:
        found["episodeNumber"] = episode.episode
    return _licensed(found, episode.license or show.license)


def _licensed(found: dict[str, Any], chosen: License | None) -> dict[str, Any]:
    """The JSON-LD with the URL of its license's text, where one is known."""
    url = license_url(chosen.name, chosen.url) if chosen else None
    if url:
        found["license"] = url
    return found
