"""The plan of a publish: the build's manifest against the store's record, by content hash,
and reading that record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mediafeed.errors import PermalinkError, StoreError
from mediafeed.model import Manifest, OutputObject
from mediafeed.store import transfer
from mediafeed.store.record import (
    CLAIMS_KEY,
    RECORD_KEY,
    Record,
    Step,
    claims_from_json,
    entry,
    record_from_json,
)
from mediafeed.store.target import Target
from mediafeed.store.transfer import store_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any


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
    """Compare the build with the store, by sha256, never by ETag.

    With a consistent record this costs one GET and one listing, whatever the show's
    size; only names the record does not vouch for are asked about by HEAD. With
    `trust_record`, a record left complete by the last run stands in for the listing:
    one GET, however large the show (a run that finds the store unchanged lists it,
    and repairs whatever went missing behind the record's back).

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
        found = transfer.remote_sha256s(client, target.bucket, asked)
    for obj in unsure:
        (unchanged if found[target.key(obj.key)] == obj.sha256 else uploads).append(obj)
    # A pending name is ours only if it carries the hash our uploads attach.
    stale = [n for n in stale if n in record.objects or found[target.key(n)] is not None]
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
