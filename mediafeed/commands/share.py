"""`mediafeed newsletter` and `mediafeed embed`: an episode handed to other places, as the
ready-to-paste block that links its permanent page and the <iframe> snippet that plays it
on another site."""

from __future__ import annotations

import datetime as dt

from mediafeed.commands.show import public_links
from mediafeed.commands.unpublish import find_episode, was_live
from mediafeed.episodes import load_episodes
from mediafeed.errors import EpisodeError
from mediafeed.model import Episode, Show, Status
from mediafeed.render.newsletter import newest_public, newsletter_block
from mediafeed.render.sharing import embed_snippet


def newsletter_for(
    show: Show, slug: str | None, *, fmt: str, image: bool, now: dt.datetime
) -> tuple[str, str | None]:
    """The newsletter block for SLUG, or for the newest published episode, and a note for
    the producer when its link does not lead to the episode yet. A scheduled episode gets
    its block, so the mail can be ready before the release, with a note of when its link
    starts to work; a draft has no date to promise and is refused."""
    if slug is None:
        episode = newest_public(load_episodes(show.episodes_dir, show.timezone), now)
        if episode is None:
            raise EpisodeError("no published episode to announce yet", path=show.episodes_dir)
    else:
        episode = find_episode(show, slug)
        if episode.status(now) is Status.DRAFT:
            raise EpisodeError(
                "is a draft: its link would not work; remove 'draft' and give it a date first",
                path=episode.source,
            )
    block = newsletter_block(
        show,
        episode,
        links=public_links(show),
        fmt=fmt,  # type: ignore[arg-type]
        image=image,
    )
    return block, _note(show, episode, now)


def _note(show: Show, episode: Episode, now: dt.datetime) -> str | None:
    status = episode.status(now)
    if status is Status.SCHEDULED:
        when = episode.published.isoformat(sep=" ", timespec="minutes")
        return (
            f"{episode.slug} is scheduled: its link works from {when}, once 'mediafeed "
            "publish' has run after that time"
        )
    if status is Status.UNPUBLISHED:
        return f"{episode.slug} is unpublished: its link shows the 'no longer available' notice"
    if not was_live(show, episode):  # as `list` says: due, but on no store from here yet
        return (
            f"{episode.slug} is ready: no publish from here has put it in the feed yet, so "
            "its link works after the next 'mediafeed publish'"
        )
    return None


def embed_for(show: Show, slug: str, *, now: dt.datetime) -> tuple[str, str | None]:
    """The snippet for episode SLUG, and a note when its player is not live yet."""
    episode = find_episode(show, slug)
    status = episode.status(now)
    if status in (Status.DRAFT, Status.UNPUBLISHED):
        raise EpisodeError(f"is {status.value}: it has no player to embed", path=episode.source)
    note = None
    if status is Status.SCHEDULED:
        note = f"The player works from {episode.published.isoformat()}, once it is published."
    elif not was_live(show, episode):
        note = "The player works after the next 'mediafeed publish', which puts it in the feed."
    return embed_snippet(show, episode, links=public_links(show)), note
