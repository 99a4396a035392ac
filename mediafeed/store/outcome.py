"""What a publish did or would do: the report, and a step for each object."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


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
        return asdict(self)


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
