"""Orchestration for the commands: find the show, decide where it goes, build, publish."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediafeed.cache import Cache, memo_key, show_locked
from mediafeed.config import CONFIG_NAME, load_show
from mediafeed.links import Links
from mediafeed.model import Episode, Show, Status
from mediafeed.output import files_under

if TYPE_CHECKING:  # the renderers and boto3 load only for commands that need them
    from mediafeed.build import BuildResult
    from mediafeed.model import Progress
    from mediafeed.renditions import Encoding
    from mediafeed.store.local import LocalStore
    from mediafeed.store.record import PublishReport
    from mediafeed.store.target import Target

LOCAL_BUCKET = "podcast"


@dataclass(frozen=True)
class Destination:
    target: Target
    credentials: tuple[str, str] | None  # only for the embedded store


def local_prefix(show: Show) -> str:
    """The show's folder on the embedded store: `local_prefix` from the config; for a show
    made before `init` wrote one, the folder earlier versions derived from the title (where
    its links were sent), which the first publish writes into the config."""
    if show.local_prefix:
        return show.local_prefix
    from slugify import slugify  # here: only a show without the key needs it

    return slugify(show.title, max_length=60) or "show"


def public_links(show: Show) -> Links:
    """Where listeners find the show now: the public URL, or the local store's where it was
    last started (where it first starts, before that)."""
    if show.publish.public_url:
        return Links(show.publish.public_url)
    from mediafeed.store import local as localstore  # the embedded store's module only here

    endpoint = localstore.recorded_endpoint(localstore.default_state_dir())
    endpoint = endpoint or f"http://{localstore.HOST}:{localstore.DEFAULT_S3_PORT}"
    return Links(f"{endpoint}/{LOCAL_BUCKET}/{local_prefix(show)}")


def destination(show: Show, *, start: bool = True, ask: bool = True) -> Destination | None:
    """The configured S3 target, or the embedded store: started if it is not running;
    without `start` (a dry run changes nothing) only if it runs, and without `ask` either
    as it was last started, running or not (an unchanged publish learns that from its one
    request). None when there is no such store."""
    if show.publish.target:
        from mediafeed.store.target import Target

        return Destination(Target.from_settings(show.publish), None)
    from mediafeed.store import local as localstore
    from mediafeed.store.target import local_target

    folder = localstore.default_state_dir()
    if start:
        store: LocalStore | None = localstore.ensure_running(folder, bucket=LOCAL_BUCKET)
    elif ask:
        store = localstore.running(folder, bucket=LOCAL_BUCKET)
    else:
        store = localstore.recorded(folder, bucket=LOCAL_BUCKET)
    if store is None:
        return None
    target, credentials = local_target(store, local_prefix(show))
    return Destination(target, credentials)


def build_show(
    show: Show, *, now: dt.datetime, links: Links | None = None, encoding: Encoding | None = None
) -> BuildResult:
    """`encoding`: where encodes of renditions report how far they are."""
    from mediafeed.build import build

    with show_locked(show.root), Cache(show.root) as cache:
        return build(
            show, links=links or public_links(show), now=now, cache=cache, encoding=encoding
        )


def preview_show(root: Path, base: str, now: dt.datetime) -> BuildResult:
    """The show as its files say now, built for `base` into its preview folder."""
    show = load_show(root)
    return build_show(replace(show, output=show.preview_dir), now=now, links=Links(base))


def publish_show(
    show: Show,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    prune: bool = False,
    force: bool = False,
    verify: bool = False,
    progress: Progress | None = None,
    encoding: Encoding | None = None,
) -> tuple[int, PublishReport]:
    """Check, build and upload; returns the number of episodes in the feed and the report.

    When nothing changed since the last publish to this destination and the store still
    holds it all, the check and the build are skipped (a publish from cron costs little).
    A change is compared with the store's record of the last publish; the store itself is
    listed when `verify` asks, or when an unchanged run finds something missing.
    """
    create = not dry_run
    with show_locked(show.root, create=create), Cache(show.root, create=create) as cache:
        show, note = (show, None) if dry_run else pinned_local_prefix(show)
        last = _last_publish(cache, show)
        # Taken before the build reads anything: an edit made while it runs counts next time.
        walked = _walked_inputs(show)
        before = input_contents(show, cache, walked | set(last.referenced)) if last else {}
        if dry_run or prune or not (last and last.current(input_digest(before), now)):
            last = None  # from here on, the last publish if this one would change nothing
        # An unchanged publish to the last one's destination starts nothing and makes no
        # client: the embedded store is asked where it was last started, with one listing.
        recorded = destination(show, start=False, ask=False) if last else None
        if last and recorded and _destination_id(recorded.target) == last.destination:
            from mediafeed.store.unchanged import still_there

            confirmed = still_there(recorded.target, recorded.credentials, last.store)
            if confirmed is not None:
                report, kept = confirmed
                if kept != last.store:
                    cache.put(PUBLISHED, str(show.root), asdict(replace(last, store=kept)))
                return last.episodes, report
        # Before any store is started or touched: the embedded store must not start for a
        # show the check refuses. The episodes it reads, the build takes.
        read = None if force else _require_publishable(show, now, cache, before)
        where = destination(show, start=not dry_run)
        if where is None:
            return _plan_blind(show, now=now, cache=cache, encoding=encoding)
        from mediafeed.build import build  # the renderers load only where a build runs
        from mediafeed.store.publish import publish, published_pages, stored_record
        from mediafeed.store.target import make_client

        client = make_client(where.target, credentials=where.credentials)
        destination_id = _destination_id(where.target)
        if last is not None and last.destination == destination_id:
            verify = True  # the store lost something behind the record's back: list, repair
        record = stored_record(client, where.target)  # read once, for the build and the plan
        published = published_pages(record)
        result = build(
            show,
            links=Links(where.target.base_url()),
            now=now,
            cache=cache,
            published=published,
            write=not dry_run,
            encoding=encoding,
            episodes=read,
        )
        referenced = _referenced(show, result)
        inputs = input_digest(input_contents(show, cache, walked | set(referenced), known=before))
        if not dry_run:
            # A publish cut short must leave no record saying it finished.
            cache.put(PUBLISHED, str(show.root), None)
            cache.commit()
        report = publish(
            result.manifest,
            client,
            where.target,
            dry_run=dry_run,
            prune=prune,
            progress=progress,
            trust_record=not verify,
            owner=show.guid or None,
            elsewhere=_elsewhere(show),
            record=record,
        )
        if dry_run:
            cache.forget()  # what the check and the build stored: a dry run leaves no trace
        else:
            due = [ep.published for ep in result.episodes if ep.status(now) is Status.SCHEDULED]
            done = LastPublish(
                inputs,
                referenced,
                min(due).isoformat() if due else None,
                len(result.public),
                destination_id,
            )
            cache.put(PUBLISHED, str(show.root), asdict(done))
            from mediafeed.commands.report import LIVE

            # What listeners now see in the feed: the episodes `list` calls published.
            cache.put(LIVE, str(show.root), sorted(ep.guid for ep in result.public))
        notes = [*([note] if note else []), *_vanished(result, published, report.uploaded)]
        if notes:
            report = replace(report, notes=(*report.notes, *notes))
        if not dry_run and result.manifest.feed_key in report.uploaded and show.publish.websub_hubs:
            from mediafeed.store.websub import ping_hubs

            # feed.xml went last and was verified: a hub that fetches it now gets this one.
            report = replace(
                report, warnings=tuple(ping_hubs(show.publish.websub_hubs, result.feed_url))
            )
        return len(result.public), report


def _destination_id(target: Target) -> str:
    return repr((target, Links(target.base_url()).base_url))


def _plan_blind(
    show: Show, *, now: dt.datetime, cache: Cache, encoding: Encoding | None
) -> tuple[int, PublishReport]:
    """A dry run while the embedded store is not running: it is not started for a look, so
    every object of the build is shown as one to send."""
    from mediafeed.build import build
    from mediafeed.store.publish import blind_report

    links = public_links(show)
    result = build(show, links=links, now=now, cache=cache, write=False, encoding=encoding)
    cache.forget()
    note = "the local store is not running, so every object is shown as new"
    return len(result.public), blind_report(result.manifest, links.feed, note)


def _vanished(result: BuildResult, published: set[str], sent: tuple[str, ...]) -> list[str]:
    """A line for each published episode whose file went away, when its page changes to
    the notice: the page stays, so links in sent newsletters still land."""
    from mediafeed.links import episode_page_key

    files = {ep.slug for ep in result.episodes}
    changed = set(sent)
    return [
        f"episodes/{slug}.md is gone: its page stays, saying the episode is no longer "
        "available (put the file back to restore it)"
        for slug in sorted(published - files)
        if episode_page_key(slug) in changed
    ]


def _elsewhere(show: Show) -> str:
    """How to publish a show whose folder another show holds."""
    if show.publish.target:
        return f"choose another prefix in publish.target in {CONFIG_NAME}"
    from mediafeed.commands.init import new_local_prefix

    free = new_local_prefix(show.title, show.guid or "")
    return f'choose another folder: local_prefix = "{free}" in {CONFIG_NAME}'


def pinned_local_prefix(show: Show) -> tuple[Show, str | None]:
    """The show with its embedded-store folder fixed in its config, for a show made before
    `init` wrote one; and a note for the producer, None when there is nothing to say."""
    if show.publish.target or show.local_prefix:
        return show, None
    from mediafeed.commands.init import pin_local_prefix

    prefix = local_prefix(show)
    config = show.root / CONFIG_NAME
    if pin_local_prefix(config, prefix):
        note = f'wrote local_prefix = "{prefix}" into {CONFIG_NAME}: the feed\'s address '
        note += "no longer follows the title"
    else:
        note = f'add local_prefix = "{prefix}" to {CONFIG_NAME}, or the feed\'s address '
        note += "moves when the title changes"
    return replace(show, local_prefix=prefix), note


def _require_publishable(
    show: Show, now: dt.datetime, cache: Cache, hashes: dict[str, str]
) -> list[Episode]:
    """Refuse a show with errors; return its episodes, newest first, for the build."""
    from mediafeed.catalog import read_show_episodes
    from mediafeed.check import require_publishable  # Pillow and the rules, where they run
    from mediafeed.episodes import ordered_episodes

    read = read_show_episodes(show.episodes_dir, cache, show.timezone)
    require_publishable(show.root, now=now, cache=cache, read=read, hashes=hashes)
    return ordered_episodes(read)  # the check found no broken file and no guid twice


PUBLISHED = "published"  # the cache's record of the last finished publish


@dataclass(frozen=True)
class LastPublish:
    """What the last finished publish was made from and where it went."""

    inputs: str  # see `input_digest`
    referenced: tuple[str, ...]  # files the episodes named, relative to the show folder
    next_due: str | None  # ISO time of the next scheduled episode
    episodes: int  # in the feed
    destination: str  # bucket, prefix, endpoint and public URL
    store: dict[str, Any] | None = None  # the store's record as last seen, see still_there

    def current(self, inputs: str | None, now: dt.datetime) -> bool:
        """Whether a publish now, of inputs with this digest, would change nothing."""
        if self.next_due is not None and now >= dt.datetime.fromisoformat(self.next_due):
            return False
        return self.inputs == inputs


def _last_publish(cache: Cache, show: Show) -> LastPublish | None:
    data = cache.get(PUBLISHED, str(show.root))
    try:
        return LastPublish(
            str(data["inputs"]),
            tuple(str(n) for n in data["referenced"]),
            None if data["next_due"] is None else str(data["next_due"]),
            int(data["episodes"]),
            str(data["destination"]),
            data.get("store"),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _walked_inputs(show: Show) -> set[str]:
    """The files every build reads, besides those the episodes name: the config, the
    episode files and the show's templates, relative to the show folder."""
    names = {CONFIG_NAME}
    for folder in ("episodes", "templates"):
        names.update(files_under(show.root / folder, prefix=folder))
    return names


def input_contents(
    show: Show, cache: Cache, names: set[str], *, known: dict[str, str] | None = None
) -> dict[str, str]:
    """Each input file's content hash (from the cache while its stat holds), "-" for one
    that is missing; `known`: hashes this command took already, kept as they were then."""
    root, known = str(show.root), known or {}

    def content(name: str) -> str:
        try:
            return cache.sha256(os.path.join(root, name))
        except OSError:
            return "-"

    return {name: known.get(name) or content(name) for name in names}


def input_digest(contents: dict[str, str]) -> str:
    """Everything a build reads, by content; with the code, through `memo_key`."""
    return memo_key("inputs", "\n".join(f"{name}\0{contents[name]}" for name in sorted(contents)))


def _referenced(show: Show, result: BuildResult) -> tuple[str, ...]:
    names = {show.artwork}
    for ep in (*result.public, *result.unpublished):
        names.update(ep.named_files)
    return tuple(sorted(names))
