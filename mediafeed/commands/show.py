"""Orchestration for the commands: find the show, decide where it goes, build, publish."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mediafeed.beside import CheckBeside
from mediafeed.build import BuildResult, build
from mediafeed.config import find_root, load_show
from mediafeed.episodes import episode_path, load_episodes
from mediafeed.errors import EpisodeError
from mediafeed.journal import Journal, input_fingerprint, read_journal, write_journal
from mediafeed.links import Links
from mediafeed.model import Show, Status
from mediafeed.render.newsletter import newest_public, newsletter_block

if TYPE_CHECKING:  # boto3 is imported only by commands that talk to a store
    from mediafeed.store.publish import Progress, PublishReport, Target

LOCAL_BUCKET = "podcast"


@dataclass(frozen=True)
class Destination:
    target: Target
    credentials: tuple[str, str] | None  # only for the embedded store

    @property
    def links(self) -> Links:
        return Links(self.target.base_url())


def open_show(start: Path) -> Show:
    return load_show(find_root(start))


def local_prefix(show: Show) -> str:
    from slugify import slugify  # here: 4 ms of start-up that only the local store needs

    return slugify(show.title, max_length=60) or "show"


def preview_links(show: Show) -> Links:
    """URLs for a build without publishing: the configured public URL, else the local store."""
    if show.publish.public_url:
        return Links(show.publish.public_url)
    from mediafeed.store import (
        local as localstore,  # the embedded store's module only where it is used
    )

    local_base = f"http://{localstore.HOST}:{localstore.DEFAULT_S3_PORT}/{LOCAL_BUCKET}"
    return Links(f"{local_base}/{local_prefix(show)}")


def public_links(show: Show, *, state_dir: Path | None = None) -> Links:
    """Where listeners find the show now: the public URL, or the running local store's."""
    if show.publish.public_url:
        return Links(show.publish.public_url)
    from mediafeed.store import local as localstore

    endpoint = localstore.recorded_endpoint(state_dir or localstore.default_state_dir())
    if endpoint:
        return Links(f"{endpoint}/{LOCAL_BUCKET}/{local_prefix(show)}")
    return preview_links(show)


def destination(show: Show, *, state_dir: Path | None = None) -> Destination:
    """The configured S3 target, or the embedded store (started if it is not running)."""
    if show.publish.target:
        from mediafeed.store.publish import Target

        return Destination(Target.from_settings(show.publish), None)
    from mediafeed.store import local as localstore

    store = localstore.ensure_running(state_dir or localstore.default_state_dir(),
                                      bucket=LOCAL_BUCKET)  # fmt: skip
    from mediafeed.store.publish import local_target

    target, credentials = local_target(store, local_prefix(show))
    return Destination(target, credentials)


def build_show(show: Show, *, now: dt.datetime, links: Links | None = None) -> BuildResult:
    return build(show, links=links or public_links(show), now=now)


def publish_show(
    show: Show,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    prune: bool = False,
    force: bool = False,
    verify: bool = False,
    progress: Progress | None = None,
    state_dir: Path | None = None,
) -> tuple[int, PublishReport]:
    """Check, build and upload; returns the number of episodes in the feed and the report.

    When nothing changed since the last publish to this destination and the store still
    holds it all, the check and the build are skipped (a publish from cron costs little).
    A change is compared with the store's record of the last publish; the store itself is
    listed when `verify` asks, or when an unchanged run finds something missing.
    """
    from mediafeed.store.publish import make_client, publish, still_published

    journal = read_journal(show.root)
    # Taken before the build reads anything: an edit made while it runs counts next time.
    inputs_before = input_fingerprint(show.root, journal.referenced) if journal else None
    unchanged = (journal is not None and inputs_before is not None and not dry_run
                 and not prune and journal.inputs_current(inputs_before, now))  # fmt: skip
    checked = force or not unchanged
    beside = None
    if not force and not unchanged:
        # A show published before to a store of its own: the check runs beside the build,
        # and nothing reaches the store before it passed. A first publish reads every
        # media file in the check, which the build then need not; the embedded store
        # must not start for a show the check refuses.
        if journal is not None and show.publish.target:
            beside = CheckBeside.start(show.root, now=now)
        if beside is None:
            _require_publishable(show.root, now=now)  # before any store is started or touched
    try:
        where = destination(show, state_dir=state_dir)
        client = make_client(where.target, credentials=where.credentials)
        destination_id = repr((where.target, where.links.base_url))
        if unchanged and journal is not None and journal.destination == destination_id:
            report = still_published(client, where.target)
            if report is not None:
                return journal.episodes, report
            verify = True  # the store lost something behind the record's back: list, repair
        if not checked:
            _require_publishable(show.root, now=now)
        result = build(show, links=where.links, now=now)
    finally:
        if beside is not None:
            beside.wait()  # a refusal outranks anything else found wrong meanwhile
    referenced = _referenced(show, result)
    inputs = (inputs_before if journal and inputs_before and referenced == journal.referenced
              else input_fingerprint(show.root, referenced))  # fmt: skip
    if not dry_run:
        write_journal(show.root, None)  # a publish cut short leaves no stale record behind
    report = publish(result.manifest, client, where.target, dry_run=dry_run, prune=prune,
                     progress=progress, trust_record=not verify)  # fmt: skip
    if not dry_run:
        due = [ep.published for ep in result.episodes if ep.status(now) is Status.SCHEDULED]
        next_due = min(due).isoformat() if due else None
        write_journal(show.root, Journal(inputs, referenced, next_due, len(result.public),
                                         destination_id))  # fmt: skip
    return len(result.public), report


def _require_publishable(root: Path, *, now: dt.datetime) -> None:
    # Pillow and the rules load only where the check runs in this process.
    from mediafeed.check import require_publishable

    require_publishable(root, now=now)


def _referenced(show: Show, result: BuildResult) -> tuple[str, ...]:
    names = {show.artwork}
    for ep in (*result.public, *result.unpublished):
        names.update(n for n in (ep.audio, ep.image, ep.transcript) if n)
    return tuple(sorted(names))


def newsletter_for(show: Show, slug: str | None, *, fmt: str, image: bool, now: dt.datetime
                   ) -> str:  # fmt: skip
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
            raise EpisodeError(f"is {episode.status(now).value}: its link would not work yet",
                               path=episode.source)  # fmt: skip
    return newsletter_block(show, episode, links=public_links(show), fmt=fmt,  # type: ignore[arg-type]
                            image=image)  # fmt: skip
