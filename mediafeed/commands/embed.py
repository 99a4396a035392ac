"""`mediafeed embed`: the <iframe> snippet that plays an episode on another site."""

from __future__ import annotations

import datetime as dt

from mediafeed.commands.show import public_links
from mediafeed.commands.unpublish import find_episode
from mediafeed.errors import EpisodeError
from mediafeed.model import Show, Status
from mediafeed.render.sharing import embed_snippet


def embed_for(show: Show, slug: str, *, now: dt.datetime) -> tuple[str, str | None]:
    """The snippet for episode SLUG, and a note when its player is not live yet."""
    episode = find_episode(show, slug)
    status = episode.status(now)
    if status in (Status.DRAFT, Status.UNPUBLISHED):
        raise EpisodeError(f"is {status.value}: it has no player to embed", path=episode.source)
    note = None
    if status is Status.SCHEDULED:
        note = f"The player works from {episode.published.isoformat()}, once it is published."
    return embed_snippet(show, episode, links=public_links(show)), note
