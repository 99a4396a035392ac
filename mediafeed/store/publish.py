"""Publish a build to S3-compatible storage: a plan by content hash, then a safe order.

Media and pages go first, each checked after it lands, feed.xml last, deletions after the
new feed is live. A record object in the store says what this project put there, so a
run killed at any point is finished by the next one without sending anything twice.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mediafeed.errors import PermalinkError, StoreError
from mediafeed.links import FEED_KEY
from mediafeed.manifest import upload_rank
from mediafeed.model import Manifest, OutputObject, Progress
from mediafeed.store import transfer
from mediafeed.store.record import (
    CLAIMS_KEY,
    RECORD_KEY,
    Record,
    claims_body,
    claims_from_json,
    entry,
    landed,
    record_from_json,
)
from mediafeed.store.target import Target, store_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

__all__ = ["Plan", "Progress", "PublishReport", "Step", "blind_report", "plan", "publish",
           "published_pages", "still_published"]  # fmt: skip

# Objects per upload batch; the record is brought up to date between batches.
BATCH = 500
# How often a long publish saves its progress to the record, so a rerun after a kill
# checks few objects by HEAD.
CHECKPOINT_SECONDS = 10.0


@dataclass(frozen=True)
class Step:
    """One line of a plan, as --dry-run and --json show it."""

    key: str
    action: str  # new, changed, unchanged, delete (--prune) or keep (stale, not pruned)
    size: int | None
    sha256: str | None = None
    content_type: str | None = None
    cache_control: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "action": self.action,
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.content_type,
            "cache_control": self.cache_control,
        }


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


@dataclass(frozen=True)
class PublishReport:
    uploaded: tuple[str, ...]
    unchanged: tuple[str, ...]
    deleted: tuple[str, ...]
    bytes_sent: int
    feed_url: str
    dry_run: bool = False
    notes: tuple[str, ...] = ()  # what else the producer should know, a line each
    # Made on first use (--dry-run, --json): a large show's 20,000 steps are not worth
    # making for every publish.
    make_steps: Callable[[], tuple[Step, ...]] = field(default=tuple, repr=False, compare=False)

    @functools.cached_property
    def steps(self) -> tuple[Step, ...]:
        """What each object came to: new, changed, unchanged, delete or keep."""
        return self.make_steps()


def plan(
    manifest: Manifest,
    client: S3Client,
    target: Target,
    *,
    prune: bool = False,
    trust_record: bool = False,
    owner: str | None = None,
    elsewhere: str = "choose another folder",
) -> Plan:
    """Compare the build with the store, by sha256, never by ETag.

    With a consistent record this costs one GET and one listing, whatever the show's
    size; only names the record does not vouch for are asked about by HEAD. With
    `trust_record`, a record left complete by the last run stands in for the listing:
    one GET, however large the show (a run that finds the store unchanged lists it,
    and repairs whatever went missing behind the record's back).

    `owner`, the show's podcast:guid: a folder whose record names another show is refused
    (`elsewhere` says how to choose another), so one show never replaces another's feed.
    """
    for obj in manifest.objects:
        target.key(obj.key)
        if obj.key.startswith(".mediafeed/"):
            raise StoreError("key is reserved for the publish record", path=obj.key, field="key")
    with store_errors(target):
        record = _read_record(client, target)
    if owner and record.owner and record.owner != owner:
        folder = "/".join(part for part in (target.bucket, target.prefix) if part)
        raise StoreError(
            f"the store's folder '{folder}' holds another show (podcast:guid "
            f"{record.owner}, this one is {owner}); {elsewhere}"
        )
    permalinks = dict(manifest.permalinks)
    _keep_permalinks(record.permalinks, permalinks)
    with store_errors(target):
        trusted = trust_record and record.objects and not record.pending
        sizes = _record_sizes(record) if trusted else _list_sizes(client, target, record)
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
        built = {obj.key for obj in manifest.objects}
        stale = [
            n for n in sorted(set(record.objects) | record.pending) if n not in built and n in sizes
        ]
        guesses = [n for n in stale if n not in record.objects]
        asked = [target.key(n) for n in [o.key for o in unsure] + guesses]
        found = transfer.remote_sha256s(client, target.bucket, asked)
    for obj in unsure:
        (unchanged if found[target.key(obj.key)] == obj.sha256 else uploads).append(obj)
    # A pending name is ours only if it carries the hash our uploads attach.
    stale = [n for n in stale if n in record.objects or found[target.key(n)] is not None]
    order = {obj.key: index for index, obj in enumerate(manifest.objects)}
    return Plan(
        uploads=tuple(sorted(uploads, key=lambda o: order[o.key])),
        unchanged=tuple(sorted(unchanged, key=lambda o: order[o.key])),
        deletions=tuple(stale) if prune else (),
        retained=() if prune else tuple(stale),
        record=record,
        new=frozenset(o.key for o in uploads if o.key not in sizes),
        stale_sizes={n: sizes[n] for n in stale},
        permalinks=permalinks,
    )


def _record_sizes(record: Record) -> dict[str, int]:
    """The sizes the record says the store holds: what the last complete run verified."""
    return {
        name: held["size"]
        for name, held in record.objects.items()
        if isinstance(held.get("size"), int)
    }


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
) -> PublishReport:
    """Upload what changed: media and pages, then the feed, then prune, then the record.
    `owner` and `elsewhere`: see `plan`."""
    feed_url = f"{target.base_url()}/{manifest.feed_key}"
    with store_errors(target):
        client.head_bucket(Bucket=target.bucket)
    the_plan = plan(manifest, client, target, prune=prune, trust_record=trust_record,
                    owner=owner, elsewhere=elsewhere)  # fmt: skip
    report = PublishReport(
        uploaded=tuple(o.key for o in the_plan.uploads),
        unchanged=tuple(o.key for o in the_plan.unchanged),
        deleted=the_plan.deletions,
        bytes_sent=0,
        feed_url=feed_url,
        dry_run=dry_run,
        make_steps=the_plan.steps,
    )
    if dry_run:
        return report
    for obj in the_plan.uploads:
        if not os.path.isfile(obj.path) or os.stat(obj.path).st_size != obj.size:
            raise StoreError("file is missing or changed since the build", path=obj.path)
    sink = transfer.Sink(progress)
    sink.start(sum(o.size for o in the_plan.uploads), len(the_plan.uploads))
    with store_errors(target):
        record = the_plan.start_record(owner)
        saved = the_plan.record
        claims = the_plan.record.claimed
        if not record.pending <= claims:
            # Claim the names first: a run killed mid-way leaves them owned, never orphaned.
            claims = _write_claims(client, target, record.pending | claims)
        if the_plan.record.pending:
            # The run that left names pending may also have left multipart uploads open.
            transfer.abort_unfinished(
                client,
                target.bucket,
                _folder(target),
                {target.key(n) for n in the_plan.record.pending},
            )
        last_save = time.monotonic()
        if the_plan.uploads:
            with transfer.transfers(client) as manager:
                for batch in _batches(the_plan.uploads, manifest.feed_key):
                    items = [(target.key(o.key), o) for o in batch]
                    transfer.upload(manager, target.bucket, items, sink)
                    transfer.verify(client, target.bucket, items)
                    record = landed(record, batch)
                    if time.monotonic() - last_save > CHECKPOINT_SECONDS:
                        saved, last_save = _write_record(client, target, record), time.monotonic()
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
            _write_record(client, target, record)
        if claims:
            # The record now holds all of it; a run stopped before this line leaves the
            # claims, which the next run reads as pending.
            client.delete_object(Bucket=target.bucket, Key=target.key(CLAIMS_KEY))
    sink.done()
    return replace(report, bytes_sent=sink.sent)


def still_published(
    client: S3Client, target: Target, feed_key: str = FEED_KEY
) -> PublishReport | None:
    """The report of a publish with nothing to send, if the store still holds everything the
    record says it does; None if anything is missing, resized or left pending."""
    with store_errors(target):
        client.head_bucket(Bucket=target.bucket)
        record = _read_record(client, target)
        if not record.objects or record.pending or feed_key not in record.objects:
            return None
        sizes = _list_sizes(client, target, record)
    for name, held in record.objects.items():
        if sizes.get(name) != held.get("size"):
            return None
    names = tuple(sorted(record.objects))

    def steps() -> tuple[Step, ...]:
        return tuple(Step(n, "unchanged", sizes[n], record.objects[n].get("sha256")) for n in names)

    return PublishReport(
        uploaded=(),
        unchanged=names,
        deleted=(),
        bytes_sent=0,
        feed_url=f"{target.base_url()}/{feed_key}",
        make_steps=steps,
    )


def blind_report(manifest: Manifest, feed_url: str, note: str) -> PublishReport:
    """The dry-run report for a store that cannot be asked: every object would be new."""
    names = frozenset(o.key for o in manifest.objects)
    seen = Plan(manifest.objects, (), (), (), Record(), new=names)
    uploaded = tuple(o.key for o in manifest.objects)
    return PublishReport(uploaded, (), (), 0, feed_url, True, (note,), seen.steps)


def published_pages(client: S3Client, target: Target) -> set[str]:
    """The slugs of every episode page the record says was ever published here."""
    with store_errors(target):
        record = _read_record(client, target)
    return {PurePosixPath(page).parent.name for page in record.permalinks.values()}


def _batches(objects: tuple[OutputObject, ...], feed_key: str) -> Iterator[list[OutputObject]]:
    """Waves by upload rank (what others point at first, the feed last), cut into batches."""
    ranks: dict[int, list[OutputObject]] = {}
    for obj in objects:
        rank = sys.maxsize if obj.key == feed_key else upload_rank(obj.key)
        ranks.setdefault(rank, []).append(obj)
    for rank in sorted(ranks):
        wave = ranks[rank]
        for start in range(0, len(wave), BATCH):
            yield wave[start : start + BATCH]


def _write_record(client: S3Client, target: Target, record: Record) -> Record:
    _put_json(client, target, RECORD_KEY, record.body())
    return record


def _write_claims(client: S3Client, target: Target, names: frozenset[str]) -> frozenset[str]:
    _put_json(client, target, CLAIMS_KEY, claims_body(names))
    return names


def _put_json(client: S3Client, target: Target, name: str, body: bytes) -> None:
    client.put_object(
        Bucket=target.bucket,
        Key=target.key(name),
        Body=body,
        ContentType="application/json",
        CacheControl="no-cache",
    )


def _get_json(client: S3Client, target: Target, name: str) -> Any:
    """The JSON object stored under `name` in the prefix; None if missing or unreadable."""
    try:
        answer = client.get_object(Bucket=target.bucket, Key=target.key(name))
    except ClientError as exc:
        if _code(exc) in {"NoSuchKey", "404", "NotFound"}:
            return None
        raise
    try:
        return json.loads(answer["Body"].read())
    except (ValueError, AttributeError):
        return None


def _read_record(client: S3Client, target: Target) -> Record:
    claimed = claims_from_json(_get_json(client, target, CLAIMS_KEY))
    record = record_from_json(_get_json(client, target, RECORD_KEY))
    return replace(record, pending=record.pending | claimed, claimed=claimed)


def _list_sizes(client: S3Client, target: Target, record: Record | None = None) -> dict[str, int]:
    """Size of every object under the prefix, by name relative to the prefix; the record's
    names tell how to split the listing into ranges listed at once."""
    head = _folder(target)
    sample = [head + name for name in record.objects] if record else []
    cut = len(head)
    listed = transfer.list_sizes(client, target.bucket, head, sample)
    return {key[cut:]: size for key, size in listed.items()}


def _folder(target: Target) -> str:
    return f"{target.prefix}/" if target.prefix else ""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
