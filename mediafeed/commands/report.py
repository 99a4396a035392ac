"""What the commands tell the producer: publish reports and episode listings, as lines or
as data for --json."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from mediafeed.cache import Cache
from mediafeed.catalog import load_show_episodes
from mediafeed.model import Episode, Show, Status

if TYPE_CHECKING:  # boto3 loads only for commands that talk to a store
    from mediafeed.build import BuildResult
    from mediafeed.store.record import PublishReport

LIVE = "live"  # the cache's record of the episodes the last finished publish put in the feed
READY = "ready"  # due, but no publish has put it in the feed yet


def counted(count: int, noun: str) -> str:
    """`1 episode`, `2 episodes`: the noun as the count takes it."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def status_word(ep: Episode, moment: dt.datetime, live: frozenset[str]) -> str:
    """What `list` calls the episode: its file's status, except that a due episode is
    `published` only once a publish has put it in the feed, and `ready` until then."""
    status = ep.status(moment)
    if status is Status.PUBLISHED and ep.guid not in live:
        return READY
    return status.value


def clock(seconds: float) -> str:
    """A duration as H:MM:SS."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def episode_row(ep: Episode, moment: dt.datetime, live: frozenset[str]) -> dict[str, Any]:
    """One line of `mediafeed list`."""
    return {
        "slug": ep.slug,
        "title": ep.title,
        "guid": ep.guid,
        "status": status_word(ep, moment, live),
        "file_status": ep.status(moment).value,  # what the episode file alone says
        "in_feed": ep.guid in live,
        "published": ep.published.isoformat(),
        "duration": clock(ep.media.duration),
        "duration_seconds": ep.media.duration,
        "length": ep.media.length,
        "size_mb": ep.media.length / 1e6,
        "mime_type": ep.media.mime_type,
    }


def listing(show: Show, moment: dt.datetime) -> list[dict[str, Any]]:
    """`mediafeed list`'s rows: every episode, newest first, with what it is at `moment`."""
    with Cache(show.root) as cache:
        episodes = load_show_episodes(show, cache)
        live = live_guids(show, cache)
    return [episode_row(ep, moment, live) for ep in episodes]


def live_guids(show: Show, cache: Cache) -> frozenset[str]:
    """The guids of the episodes the last finished publish from this folder put in the
    feed; none when it never published (a publish from elsewhere is not known here)."""
    found = cache.get(LIVE, str(show.root))
    return frozenset(str(g) for g in found) if isinstance(found, list) else frozenset()


def listing_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    """`mediafeed list` as aligned columns, widths from the rows (no terminal needed, so a
    pipe gets the same); the title comes last and is never cut."""
    head = ("STATUS", "DATE", "DURATION", "SIZE", "SLUG", "TITLE")
    cells = [head] + [
        (
            r["status"],
            r["published"][:16].replace("T", " "),
            r["duration"],
            f"{r['size_mb']:.1f} MB",
            r["slug"],
            r["title"],
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head) - 1)]

    def line(row: tuple[str, ...]) -> str:  # numbers line up on their last digit
        aligned = zip(row, "<<>><", widths, strict=False)
        padded = [f"{cell:{align}{width}}" for cell, align, width in aligned]
        return "  ".join([*padded, row[-1]]).rstrip()

    return [line(row) for row in cells]


def build_line(result: BuildResult) -> str:
    """What a build made: the episodes in the feed, then those held back, by why."""
    count = result.statuses
    line = f"Built {result.output_dir}: {counted(count[Status.PUBLISHED], 'episode')} in the feed"
    held = [counted(count[Status.DRAFT], "draft")] if count[Status.DRAFT] else []
    held += [f"{count[Status.SCHEDULED]} scheduled"] if count[Status.SCHEDULED] else []
    if held:
        line += f"; not public yet: {' and '.join(held)}"
    if count[Status.UNPUBLISHED]:
        line += f"; {count[Status.UNPUBLISHED]} unpublished (a notice page each)"
    return line


def publish_summary(report: PublishReport) -> dict[str, Any]:
    """The report of a publish for scripts (`--json`)."""
    return {
        "dry_run": report.dry_run,
        "feed_url": report.feed_url,
        "uploaded": list(report.uploaded),
        "unchanged": list(report.unchanged),
        "deleted": list(report.deleted),
        "bytes_sent": report.bytes_sent,
        "plan": [asdict(step) for step in report.steps],
    }


def publish_lines(report: PublishReport, *, in_feed: int, streamed: bool = False) -> list[str]:
    """The report of a publish for the producer: what was sent (unless `streamed`: told
    as it landed), then the feed's URL."""
    dry_run = report.dry_run
    verb = "Would upload" if dry_run else "Uploaded"
    lines = []
    sent = report.bytes_sent  # a publish makes no step of each object it leaves alone
    if dry_run:
        sent = sum(s.size or 0 for s in report.steps if s.action in ("new", "changed"))
        for step in report.steps:
            if step.action != "unchanged":
                size = "" if step.size is None else f"{step.size / 1e6:.2f} MB"
                lines.append(f"{step.action:<9} {size:>11}  {step.key}")
    else:
        lines += [] if streamed else [f"{verb} {key}" for key in report.uploaded]
        lines += [f"Deleted {key}" for key in report.deleted]
    deleted = ""
    if report.deleted:
        deleted = f", {'would delete' if dry_run else 'deleted'} {len(report.deleted)}"
    lines.append(
        f"{verb} {counted(len(report.uploaded), 'object')} ({sent / 1e6:.1f} MB), "
        f"{len(report.unchanged)} unchanged{deleted}; {counted(in_feed, 'episode')} in the feed."
    )
    lines.append(f"Feed: {report.feed_url}")
    lines += [f"Note: {note}" for note in report.notes]
    return lines
