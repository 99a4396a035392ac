"""Publish a build to S3-compatible storage: a plan by content hash, then a safe order.

Media and pages go first, each checked after it lands, feed.xml last, deletions after the
new feed is live. A record object in the store says what this project put there, so a
run killed at any point is finished by the next one without sending anything twice.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from mediafeed.errors import PermalinkError, StoreError
from mediafeed.manifest import upload_rank
from mediafeed.model import Manifest, OutputObject, Progress
from mediafeed.store import transfer, upload
from mediafeed.store.record import (
    CLAIMS_KEY,
    RECORD_KEY,
    PublishReport,
    Record,
    Step,
    claims_body,
    claims_from_json,
    entry,
    landed,
    record_from_json,
)
from mediafeed.store.target import Target
from mediafeed.store.transfer import store_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# How often a long publish saves its progress to the record, so a rerun after a kill
# checks few objects by HEAD.
CHECKPOINT_SECONDS = 10.0


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a publish; `feed_going`: whether the new feed may be live."""

    def __init__(self, feed_going: bool) -> None:
        super().__init__()
        self.feed_going = feed_going


@dataclass(frozen=True)
class Plan:
    """What a publish would do, decided by our own content hashes."""

    uploads: tuple[OutputObject, ...]
    unchanged: tuple[OutputObject, ...]
    deletions: tuple[str, ...]  # names we published before and the build dropped (--prune)
    retained: tuple[str, ...]  # such names kept because pruning was not asked for
    record: Record  # the record as read from the store
    new: frozenset[str] = frozenset()  # uploads the store holds no object for at all
    stale_sizes: Mapping[str, int] = field(default_factory=dict)
    permalinks: Mapping[str, str] = field(default_factory=dict)  # this build's

    def steps(self) -> tuple[Step, ...]:
        def step(obj: OutputObject, action: str) -> Step:
            return Step(obj.key, action, obj.size, obj.sha256, obj.content_type, obj.cache_control)

        rows = [step(o, "new" if o.key in self.new else "changed") for o in self.uploads]
        rows += [step(o, "unchanged") for o in self.unchanged]
        rows += [Step(n, "delete", self.stale_sizes.get(n)) for n in self.deletions]
        rows += [Step(n, "keep", self.stale_sizes.get(n)) for n in self.retained]
        return tuple(rows)

    def start_record(self, owner: str | None = None) -> Record:
        """The record before the first upload: every name about to be sent is pending."""
        keep = {o.key for o in (*self.uploads, *self.unchanged)}
        keep.update(self.deletions, self.retained)
        objects = {n: e for n, e in self.record.objects.items() if n in keep}
        objects.update({o.key: entry(o) for o in self.unchanged})
        confirmed = {o.key for o in self.unchanged}
        pending = {n for n in self.record.pending if n in keep and n not in confirmed}
        return Record(
            objects,
            frozenset(pending | {o.key for o in self.uploads}),
            {**self.record.permalinks, **self.permalinks},
            owner=owner or self.record.owner,
        )


def plan(
    manifest: Manifest,
    client: S3Client,
    target: Target,
    *,
    prune: bool = False,
    trust_record: bool = False,
    owner: str | None = None,
    elsewhere: str = "choose another folder",
    record: Record | None = None,
) -> Plan:
    """Compare the build with the store, by sha256, never by ETag: one GET and one
    listing, and a HEAD for each name the record does not vouch for. With `trust_record`,
    a record left complete by the last run stands in for the listing.

    `owner`, the show's podcast:guid: a folder whose record names another show is refused
    (`elsewhere` says how to choose another), so one show never replaces another's feed.
    `record`: the store's record, when this publish read it already (`stored_record`).
    """
    names = [obj.key for obj in manifest.objects]
    target.check_names(names)
    for name in names:
        if name.startswith(".mediafeed/"):
            raise StoreError("key is reserved for the publish record", path=name, field="key")
    if record is None:
        record = stored_record(client, target)
    if owner and record.owner and record.owner != owner:
        folder = "/".join(part for part in (target.bucket, target.prefix) if part)
        raise StoreError(
            f"the store's folder '{folder}' holds another show (podcast:guid "
            f"{record.owner}, this one is {owner}); {elsewhere}"
        )
    permalinks = dict(manifest.permalinks)
    _keep_permalinks(record.permalinks, permalinks)
    with store_errors(target):
        if trust_record and record.objects and not record.pending:
            # The sizes the last complete run verified.
            sizes = {
                n: h["size"] for n, h in record.objects.items() if isinstance(h.get("size"), int)
            }
        else:
            sizes = transfer.list_sizes(client, target.bucket, target.folder, record.objects)
        uploads: list[OutputObject] = []
        unchanged: list[OutputObject] = []
        unsure: list[OutputObject] = []
        for obj in manifest.objects:
            if sizes.get(obj.key) != obj.size:
                uploads.append(obj)
            elif obj.key not in record.pending and entry(obj) == record.objects.get(obj.key):
                unchanged.append(obj)
            else:
                # Sent by a run stopped before its record was written, or not ours.
                unsure.append(obj)
        built = set(names)
        stale = sorted(n for n in {*record.objects, *record.pending} - built if n in sizes)
        guesses = [n for n in stale if n not in record.objects]
        asked = [target.key(n) for n in [o.key for o in unsure] + guesses]
        found = transfer.remote_heads(client, target.bucket, asked)
    for obj in unsure:  # the same bytes, served as this build would serve them
        same = found[target.key(obj.key)] == (obj.sha256, obj.content_type, obj.cache_control)
        (unchanged if same else uploads).append(obj)
    # A pending name is ours only if it carries the hash our uploads attach.
    ours = {n for n in guesses if (head := found[target.key(n)]) is not None and head[0]}
    stale = [n for n in stale if n in record.objects or n in ours]
    if unsure:  # each list is in the manifest's order but for what HEAD decided
        order = {name: index for index, name in enumerate(names)}
        uploads.sort(key=lambda o: order[o.key])
        unchanged.sort(key=lambda o: order[o.key])
    return Plan(
        uploads=tuple(uploads),
        unchanged=tuple(unchanged),
        deletions=tuple(stale) if prune else (),
        retained=() if prune else tuple(stale),
        record=record,
        new=frozenset(o.key for o in uploads if o.key not in sizes),
        stale_sizes={n: sizes[n] for n in stale},
        permalinks=permalinks,
    )


def _keep_permalinks(published: Mapping[str, str], built: Mapping[str, str]) -> None:
    """Refuse to move a published episode page: sent newsletters link to it forever."""
    for guid, page in sorted(built.items()):
        before = published.get(guid)
        if before and before != page:
            old, new = (PurePosixPath(p).parent.name for p in (before, page))
            raise PermalinkError(
                f"this episode (guid {guid}) was published as '{old}', and its page "
                f"{before} is linked from newsletters; rename the file back to {old}.md",
                path=f"episodes/{new}.md",
                field="slug",
            )


def stored_record(client: S3Client, target: Target) -> Record:
    """The store's record of what was published here, with the claims of a run under way."""
    with store_errors(target):
        claimed = claims_from_json(transfer.get_json(client, target, CLAIMS_KEY))
        record = record_from_json(transfer.get_json(client, target, RECORD_KEY))
    return replace(record, pending=record.pending | claimed, claimed=claimed)


def published_pages(record: Record) -> set[str]:
    """The slugs of every episode page the record says was ever published here."""
    # Page keys are checked names ("episodes/SLUG/index.html"): no Path needed per page.
    return {page.rpartition("/")[0].rpartition("/")[2] for page in record.permalinks.values()}


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
    """Upload what changed: media and pages, then the feed, then prune, then the record."""
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
