"""What the commands tell the producer: publish reports and episode listings, as lines or
as data for --json."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mediafeed.model import Episode

if TYPE_CHECKING:  # boto3 loads only for commands that talk to a store
    from mediafeed.store.publish import PublishReport


def clock(seconds: float) -> str:
    """A duration as H:MM:SS."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def episode_row(ep: Episode, moment: dt.datetime) -> dict[str, Any]:
    """One line of `mediafeed list`."""
    return {
        "slug": ep.slug,
        "title": ep.title,
        "guid": ep.guid,
        "status": ep.status(moment).value,
        "published": ep.published.isoformat(),
        "duration": clock(ep.media.duration),
        "duration_seconds": ep.media.duration,
        "length": ep.media.length,
        "size_mb": ep.media.length / 1e6,
        "mime_type": ep.media.mime_type,
    }


def publish_summary(report: PublishReport) -> dict[str, Any]:
    """The report of a publish for scripts (`--json`)."""
    return {
        "dry_run": report.dry_run,
        "feed_url": report.feed_url,
        "uploaded": list(report.uploaded),
        "unchanged": list(report.unchanged),
        "deleted": list(report.deleted),
        "bytes_sent": report.bytes_sent,
        "plan": [step.as_dict() for step in report.steps],
    }


def publish_lines(report: PublishReport, *, in_feed: int) -> list[str]:
    """The report of a publish for the producer: what was sent, then the feed's URL."""
    dry_run = report.dry_run
    verb = "Would upload" if dry_run else "Uploaded"
    lines = []
    if dry_run:
        for step in report.steps:
            if step.action != "unchanged":
                size = "" if step.size is None else f"{step.size / 1e6:.2f} MB"
                lines.append(f"{step.action:<9} {size:>11}  {step.key}")
    else:
        lines += [f"{verb} {key}" for key in report.uploaded]
        lines += [f"Deleted {key}" for key in report.deleted]
    planned = sum(s.size or 0 for s in report.steps if s.action in ("new", "changed"))
    sent = planned if dry_run else report.bytes_sent
    deleted = ""
    if report.deleted:
        deleted = f", {'would delete' if dry_run else 'deleted'} {len(report.deleted)}"
    lines.append(
        f"{verb} {len(report.uploaded)} objects ({sent / 1e6:.1f} MB), "
        f"{len(report.unchanged)} unchanged{deleted}; {in_feed} episodes in the feed."
    )
    lines.append(f"Feed: {report.feed_url}")
    return lines
