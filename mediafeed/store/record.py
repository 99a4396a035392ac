"""The record a publish keeps in the store: what this project put there (RECORD_KEY) and
what a run set out to send (CLAIMS_KEY); and the report of what a publish did or would do,
a step for each object. Publish reads and writes them; this module says what they hold.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mediafeed import __version__
from mediafeed.model import OutputObject

RECORD_KEY = ".mediafeed/manifest.json"
# Names a run claims before sending them: a small object beside the record, so a publish
# writes the (for a large show, megabytes of) record once, at the end, not twice.
CLAIMS_KEY = ".mediafeed/pending.json"


@dataclass(frozen=True)
class Record:
    """What this project put in the store: `objects` confirmed, with hash and size; `pending`,
    names a run set out to send and may have sent. Both are ours to prune; a pending name's
    content is confirmed by HEAD before it is trusted."""

    objects: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    pending: frozenset[str] = frozenset()
    # Episode guid -> page name, for every page ever published: links in sent newsletters
    # must keep working, so a page never moves.
    permalinks: Mapping[str, str] = field(default_factory=dict)
    # The names found in CLAIMS_KEY (also in `pending`): a run that stopped left them.
    claimed: frozenset[str] = frozenset()
    # The podcast:guid of the show that publishes here: no other show may write into it.
    owner: str | None = None

    def body(self) -> bytes:
        # Sorted, so the same record gives the same bytes; compact, so json uses its C
        # encoder, several times faster on the megabytes of a large show's record.
        return json.dumps(
            {
                "generator": f"mediafeed {__version__}",
                "objects": dict(self.objects),
                "pending": sorted(self.pending),
                "permalinks": dict(self.permalinks),
                "show": self.owner,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()


def record_from_json(data: Any) -> Record:
    """The record as stored; an unreadable one owns nothing, so prune then deletes
    nothing, which is safe."""
    if not isinstance(data, dict):
        return Record()
    objects, pending = data.get("objects"), data.get("pending", [])
    if not isinstance(objects, dict) or not isinstance(pending, list):
        return Record()
    permalinks, owner = data.get("permalinks"), data.get("show")
    return Record(
        {str(k): v for k, v in objects.items() if isinstance(v, dict)},
        frozenset(str(n) for n in pending),
        {str(k): str(v) for k, v in permalinks.items()} if isinstance(permalinks, dict) else {},
        owner=owner if isinstance(owner, str) and owner else None,
    )


def claims_body(names: frozenset[str]) -> bytes:
    return json.dumps({"pending": sorted(names)}, separators=(",", ":")).encode()


def claims_from_json(data: Any) -> frozenset[str]:
    """Unreadable claims claim nothing: prune then leaves those names alone, which is safe."""
    names = data.get("pending") if isinstance(data, dict) else None
    return frozenset(str(n) for n in names) if isinstance(names, list) else frozenset()


def entry(obj: OutputObject) -> dict[str, Any]:
    """How the record holds an object: our own hash, never the store's ETag, and what it
    is served with (`_served`), so an object whose content type or cache lifetime changed
    is sent again."""
    return {
        "sha256": obj.sha256,
        "size": obj.size,
        "served": _served(obj.content_type, obj.cache_control),
    }


@functools.cache  # a show has a handful of kinds of object, and a plan asks for every object
def _served(content_type: str, cache_control: str) -> str:
    """A short digest of the two, so a record of thousands of objects stays small."""
    return hashlib.sha256(f"{content_type}\n{cache_control}".encode()).hexdigest()[:12]


def landed(record: Record, objects: tuple[OutputObject, ...] | list[OutputObject]) -> Record:
    """The record once these objects are confirmed in the store."""
    names = {o.key for o in objects}
    return replace(
        record,
        objects={**record.objects, **{o.key: entry(o) for o in objects}},
        pending=record.pending - names,
    )


@dataclass(frozen=True)
class Step:
    """One line of a plan, as --dry-run and --json show it."""

    key: str
    action: str  # new, changed, unchanged, delete (--prune) or keep (stale, not pruned)
    size: int | None
    sha256: str | None = None
    content_type: str | None = None
    cache_control: str | None = None


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
    warnings: tuple[str, ...] = ()  # what went wrong after the feed landed (a hub's ping)

    @functools.cached_property
    def steps(self) -> tuple[Step, ...]:
        """What each object came to: new, changed, unchanged, delete or keep."""
        return self.make_steps()
