"""Adding episodes and re-applying their tags: the producer's edits to the show folder.

`add` is all or nothing: the media copy is probed and tagged under a temporary name, the
episode file is written last, and any failure removes everything this call created.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from slugify import slugify

from mediafeed.episodes import (
    SLUG,
    episode_fields,
    episode_path,
    load_episode,
    render_episode_file,
    write_text_atomic,
)
from mediafeed.errors import EpisodeError, MediaError, MediafeedError
from mediafeed.links import Links
from mediafeed.media.probe import extension_for, extension_matches, probe
from mediafeed.media.tags import EpisodeTags, read_tags, write_tags
from mediafeed.model import Episode, MediaInfo, Show
from mediafeed.render.notes import plain_text


@dataclass(frozen=True)
class NewEpisode:
    """What the producer said on the command line; None means 'work it out'."""

    media: Path
    title: str | None = None
    slug: str | None = None
    published: dt.datetime | None = None
    notes: str = ""
    summary: str | None = None
    season: int | None = None
    episode: int | None = None
    episode_type: str = "full"
    explicit: bool | None = None
    draft: bool = False


def add_episode(show: Show, request: NewEpisode, *, now: dt.datetime, links: Links) -> Episode:
    source = request.media
    if not source.is_file():
        raise MediaError("file not found", path=source)
    info = probe(source)
    title = (request.title or _title_in(source) or source.stem.replace("_", " ")).strip()
    if not title:
        raise EpisodeError("an episode needs a title (use --title)", path=source, field="title")
    slug = request.slug or slugify(title, max_length=80, word_boundary=True)
    if not SLUG.match(slug):
        raise EpisodeError(f"{slug!r} is not a slug (lower-case ASCII letters, digits and "
                           "hyphens)", path=source, field="slug")  # fmt: skip
    target_file = episode_path(show.episodes_dir, slug)
    if target_file.exists():
        raise EpisodeError("an episode with this slug exists; pass --slug to choose another",
                           path=target_file)  # fmt: skip
    # An honest name keeps its ending (an audiobook stays .m4b); a lying one is corrected.
    suffix = source.suffix.lower() if extension_matches(source, info) else extension_for(info)
    media_name = f"{slug}{suffix}"
    media_target = show.media_dir / media_name
    if media_target.exists():
        raise MediaError("already exists; pass --slug to choose another", path=media_target)

    show.media_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{slug}.", suffix=".part", dir=show.media_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    placed = False
    try:
        shutil.copyfile(source, tmp)
        published = request.published or now.replace(microsecond=0)
        episode = Episode(
            slug=slug, source_file=str(target_file), title=title, guid=str(uuid.uuid4()),
            published=published, audio=f"media/{media_name}", media=info, notes=request.notes,
            summary=request.summary, season=request.season, episode=request.episode,
            episode_type=request.episode_type, explicit=request.explicit, draft=request.draft,
        )  # fmt: skip
        write_tags(tmp, episode_tags(show, episode, links=links))
        episode = replace(episode, media=_refreshed(tmp, info))
        os.replace(tmp, media_target)
        placed = True
        write_text_atomic(target_file, render_episode_file(episode_fields(episode), request.notes),
                          exclusive=True)  # fmt: skip
        return episode
    except BaseException:
        tmp.unlink(missing_ok=True)
        if placed:
            media_target.unlink(missing_ok=True)
        raise


def retag_episode(show: Show, slug: str, *, links: Links) -> Episode:
    """Write the episode file's facts into its media, then record the new size and hash."""
    path = episode_path(show.episodes_dir, slug)
    if not path.is_file():
        raise EpisodeError("no such episode", path=path)
    episode = load_episode(path)
    media = show.root / episode.audio
    if not media.is_file():
        raise MediaError("media file not found", path=media)
    write_tags(media, episode_tags(show, episode, links=links))
    refreshed = replace(episode, media=_refreshed(media, episode.media))
    if refreshed.media != episode.media:
        write_text_atomic(path, render_episode_file(episode_fields(refreshed), episode.notes))
    return refreshed


def _title_in(source: Path) -> str:
    """The title the producer's editor already wrote into the file, if any."""
    try:
        return read_tags(source).title
    except MediaError:
        return ""


def _refreshed(path: Path, before: MediaInfo) -> MediaInfo:
    """Tags change the size and hash, never the audio: keep the probed audio facts."""
    after = probe(path)
    return replace(before, length=after.length, sha256=after.sha256)


def episode_tags(show: Show, episode: Episode, *, links: Links) -> EpisodeTags:
    cover_path = show.root / (episode.image or show.artwork)
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
