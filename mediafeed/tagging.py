"""What `add` and `tag` write into an episode's media, and which of it a file no longer
carries (a title edited since, a feed that moved)."""

from __future__ import annotations

import hashlib

from mediafeed.errors import MediafeedError
from mediafeed.links import Links
from mediafeed.media.frames import EpisodeTags
from mediafeed.model import Episode, Show
from mediafeed.render.notes import plain_text

# The tags compared with the episode file and the show; chapters, genre, category and
# language follow from them or from code, and every format stores those differently.
_COMPARED = {
    "title": "title",
    "show": "show name",
    "author": "author",
    "date": "date",
    "description": "description",
    "season": "season",
    "episode": "episode number",
    "guid": "guid",
}
_URLS = {"comment": "episode page URL", "feed_url": "feed URL"}


def episode_tags(
    show: Show, episode: Episode, *, links: Links, cover: bytes | None = None
) -> EpisodeTags:
    """The tags of an episode's media; `cover`, when given, is the picture's bytes."""
    cover_path = show.root / (episode.image or show.artwork)
    if cover is None:
        try:
            cover = cover_path.read_bytes() if cover_path.is_file() else None
        except OSError as exc:
            raise MediafeedError(exc.strerror or "cannot read", path=cover_path) from None
    return EpisodeTags(
        title=episode.title,
        show=show.title,
        author=show.author,
        date=episode.published,
        description=episode.summary or plain_text(episode.notes),
        comment=links.episode_page(episode.slug),
        season=episode.season,
        episode=episode.episode,
        cover=cover,
        cover_mime="image/png" if cover_path.suffix.lower() == ".png" else "image/jpeg",
        feed_url=links.feed,
        guid=episode.guid,
        category=show.categories[0][0] if show.categories else None,
        chapters=episode.chapters,
        language=show.language,
    )


def stale_tags(found: EpisodeTags, expected: EpisodeTags, *, urls: bool = True) -> list[str]:
    """What of the tags `found` in a file differs from what `tag` would write now, named
    for the producer. A tag the format has no room for (a guid in Vorbis comments) reads
    back empty and is not counted."""
    stale = []
    for name, label in (_COMPARED | (_URLS if urls else {})).items():
        have, want = getattr(found, name), getattr(expected, name)
        if name == "date" and have is not None and want is not None:
            have, want = int(have.timestamp()), int(want.timestamp())
        if have in (None, "") and name in ("guid", "feed_url"):
            continue
        if (have or None) != (want or None):
            stale.append(label)
    if _digest(found.cover) != _digest(expected.cover):
        stale.append("cover")
    return stale


def _digest(data: bytes | None) -> str:
    return hashlib.sha256(data).hexdigest() if data else ""
