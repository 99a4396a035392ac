"""Publish a build to S3-compatible storage: a plan by content hash, then a safe order.

Media and pages go first, each checked after it lands, feed.xml last, deletions after the
new feed is live. A record object in the store says what this project put there, so a
run killed at any point is finished by the next one without sending anything twice.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mediafeed.errors import StoreError
from mediafeed.manifest import upload_rank
from mediafeed.model import Manifest, OutputObject, Progress
from mediafeed.store import transfer, upload
from mediafeed.store.plan import Plan, plan
from mediafeed.store.record import (
    CLAIMS_KEY,
    RECORD_KEY,
    PublishReport,
    Record,
    claims_body,
    landed,
)
from mediafeed.store.target import Target
from mediafeed.store.transfer import store_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

# How often a long publish saves its progress to the record, so a rerun after a kill
# checks few objects by HEAD.
CHECKPOINT_SECONDS = 10.0


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a publish; `feed_going`: whether the new feed had been sent by then
    (before that, listeners still get the old feed, whole)."""

    def __init__(self, feed_going: bool) -> None:
        super().__init__()
        self.feed_going = feed_going


def publish(
    manifest: Manifest,
    client: S3Client,
    target: Target,
    *,
    dry_run: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    trust_record: bool = False,
    owner: str | None = None,
    elsewhere: str = "choose another folder",
    record: Record | None = None,
) -> PublishReport:
    """Upload what changed: media and pages, then the feed, then prune, then the record.
    `owner`, `elsewhere` and `record`: see `plan`."""
    with store_errors(target):
        client.head_bucket(Bucket=target.bucket)
    the_plan = plan(
        manifest,
        client,
        target,
        prune=prune,
        trust_record=trust_record,
        owner=owner,
        elsewhere=elsewhere,
        record=record,
    )
    report = PublishReport(
        uploaded=tuple(o.key for o in the_plan.uploads),
        unchanged=tuple(o.key for o in the_plan.unchanged),
        deleted=the_plan.deletions,
        bytes_sent=0,
        feed_url=f"{target.base_url()}/{manifest.feed_key}",
        dry_run=dry_run,
        make_steps=the_plan.steps,
    )
    if dry_run:
        return report
    for obj in the_plan.uploads:
        if not os.path.isfile(obj.path) or os.stat(obj.path).st_size != obj.size:
            raise StoreError("file is missing or changed since the build", path=obj.path)
    checksum = target.checksums == "when_supported"

    def put_json(name: str, body: bytes) -> None:
        client.put_object(
            Bucket=target.bucket,
            Key=target.key(name),
            Body=body,
            ContentType="application/json",
            CacheControl="no-cache",
            **upload.digests(body, checksum=checksum),
        )

    if progress:
        progress.start(sum(o.size for o in the_plan.uploads), len(the_plan.uploads))
    feed_going = False  # once the new feed is on its way, it may be live
    try:
        with store_errors(target):
            record, saved = the_plan.start_record(owner), the_plan.record
            claims = saved.claimed
            if not record.pending <= claims:
                # Claim the names first: a run killed mid-way leaves them owned, never orphaned.
                claims = record.pending | claims
                put_json(CLAIMS_KEY, claims_body(claims))
            if saved.pending:
                # The run that left names pending may also have left multipart uploads open.
                keys = {target.key(n) for n in saved.pending}
                transfer.abort_unfinished(client, target.bucket, target.folder, keys)
            last_save, done = time.monotonic(), []
            ranked = sorted(the_plan.uploads, key=_rank)
            with upload.Uploads(client, target.bucket, progress, checksum=checksum) as uploads:
                # By upload rank: what others point at first, the feed last of all.
                for _, group in itertools.groupby(ranked, key=_rank):
                    wave = list(group)
                    feed_going = feed_going or wave[-1].key == manifest.feed_key
                    for obj in uploads.send([(target.key(o.key), o) for o in wave]):
                        done.append(obj)
                        if time.monotonic() - last_save > CHECKPOINT_SECONDS:
                            record, done = landed(record, done), []
                            put_json(RECORD_KEY, record.body())
                            saved, last_save = record, time.monotonic()
                    # The next wave may point at this one: it waits until all of it landed.
                    record, done = landed(record, done), []
            if the_plan.deletions:
                # Only now is the new feed live, so nothing it or the old one links is deleted
                # while a listener may still follow the link.
                transfer.delete(client, target.bucket, [target.key(n) for n in the_plan.deletions])
                gone = set(the_plan.deletions)
                record = replace(
                    record,
                    objects={n: e for n, e in record.objects.items() if n not in gone},
                    pending=record.pending - gone,
                )
            if record != saved:
                put_json(RECORD_KEY, record.body())
            if claims:
                # The record now holds all of it; a run stopped before this line leaves the
                # claims, which the next run reads as pending.
                client.delete_object(Bucket=target.bucket, Key=target.key(CLAIMS_KEY))
    except KeyboardInterrupt:
        raise Interrupted(feed_going) from None
    if progress:
        progress.done()
    return replace(report, bytes_sent=uploads.sent)


def blind_report(manifest: Manifest, feed_url: str, note: str) -> PublishReport:
    """The dry-run report for a store that cannot be asked: every object would be new."""
    names = tuple(o.key for o in manifest.objects)
    steps = Plan(manifest.objects, (), (), (), Record(), new=frozenset(names)).steps
    return PublishReport(names, (), (), 0, feed_url, True, (note,), steps)


def _rank(obj: OutputObject) -> int:
    return upload_rank(obj.key)
