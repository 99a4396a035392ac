"""An episode's life after `add`: found by its slug, taken down again while its URL keeps
answering."""

from __future__ import annotations

import datetime as dt

from mediafeed.cache import Cache
from mediafeed.commands.report import live_guids
from mediafeed.episodes import (
    SLUG,
    episode_path,
    load_episode,
    render_episode_file,
    split_front_matter,
    write_text_atomic,
)
from mediafeed.errors import EpisodeError
from mediafeed.model import Episode, Show


def find_episode(show: Show, slug: str) -> Episode:
    """The episode SLUG names, read from its own file alone: others may be mid-edit."""
    path = episode_path(show.episodes_dir, slug)
    if not SLUG.match(slug) or not path.is_file():
        raise EpisodeError("no such episode", path=path)
    return load_episode(path, show.timezone)


def here_first(episode: Episode) -> Episode:
    """The episode, if its media is in the show folder: an imported one may still link the
    old host's, which nothing here can read or change."""
    if episode.enclosure_url:
        raise EpisodeError(
            "its media is still on the old host: move it first with "
            "'mediafeed import FEED --download-media'",
            path=episode.source,
        )
    return episode


def unpublish_episode(show: Show, slug: str, now: dt.datetime) -> tuple[Episode, bool]:
    """Mark the episode unpublished in its file: the next publish drops it from the feed and
    replaces its page with a notice; GUID, slug and media stay so it can come back. Says
    whether the file changed: an episode unpublished already stays as it is."""
    episode = find_episode(show, slug)
    path = episode.source
    if episode.unpublished:
        return episode, False
    if episode.draft:
        # A notice page would appear at a URL no listener was ever given.
        raise EpisodeError(
            "is a draft, not public: nothing to take down, nothing changed (if it was "
            "published before, remove 'draft' first)",
            path=path,
        )
    if episode.published > now and not was_live(show, episode):
        raise EpisodeError(
            f"is scheduled for {episode.published:%Y-%m-%d %H:%M %z}, not public yet: nothing "
            "to take down, nothing changed (to hold it back, set 'draft: true')",
            path=path,
        )
    # Rewrite from the file's own fields, so the producer's spelling of every other value
    # (chapter times, dates) survives untouched.
    fields, _ = split_front_matter(path.read_text(encoding="utf-8"), path)
    fields["unpublished"] = True
    write_text_atomic(path, render_episode_file(fields, episode.notes))
    return load_episode(path, show.timezone), True


def was_live(show: Show, episode: Episode) -> bool:
    """Whether the last publish from this folder put the episode in the feed."""
    with Cache(show.root) as cache:
        return episode.guid in live_guids(show, cache)
