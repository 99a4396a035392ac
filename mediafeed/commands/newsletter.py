"""`mediafeed newsletter`: the ready-to-paste block that links an episode's permanent page."""

from __future__ import annotations

import datetime as dt

from mediafeed.commands.show import public_links
from mediafeed.episodes import episode_path, load_episodes
from mediafeed.errors import EpisodeError
from mediafeed.model import Show
from mediafeed.render.newsletter import newest_public, newsletter_block


def newsletter_for(show: Show, slug: str | None, *, fmt: str, image: bool, now: dt.datetime) -> str:
    """The newsletter block for SLUG, or for the newest published episode."""
    episodes = load_episodes(show.episodes_dir)
    if slug is None:
        episode = newest_public(episodes, now)
        if episode is None:
            raise EpisodeError("no published episode to announce yet", path=show.episodes_dir)
    else:
        found = [ep for ep in episodes if ep.slug == slug]
        if not found:
            raise EpisodeError("no such episode", path=episode_path(show.episodes_dir, slug))
        episode = found[0]
        if not episode.is_public(now):
            raise EpisodeError(
                f"is {episode.status(now).value}: its link would not work yet", path=episode.source
            )
    return newsletter_block(
        show,
        episode,
        links=public_links(show),
        fmt=fmt,  # type: ignore[arg-type]
        image=image,
    )
