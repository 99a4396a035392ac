"""The check of a publish in a forked process, while the build runs in this one.

Both read every episode of a large show; on two cores they take the time of the longer
instead of the sum. Only where forking is safe: on Linux, with no other thread in this
process that could hold a lock at the moment of the fork. Elsewhere the caller checks
first, as before.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sys
import threading
from functools import partial
from pathlib import Path

from mediafeed.forked import Beside


def forking_is_safe() -> bool:
    """On Linux, and no other thread that could hold a lock at the moment of the fork."""
    return (sys.platform == "linux" and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods())  # fmt: skip


class CheckBeside:
    """`require_publishable` for the show at `root`, running in a forked child (see
    `forked.Beside`) from `start()` until `wait()`, which raises what the check raised."""

    def __init__(self, child: Beside[None]) -> None:
        self.child = child

    @classmethod
    def start(cls, root: Path, *, now: dt.datetime) -> CheckBeside | None:
        if not forking_is_safe():
            return None
        return cls(Beside(partial(_check, root, now)))

    def wait(self) -> None:
        """Return when the check passed; raise its error when it refused the show. A child
        that stopped any other way has the check run here, which says what is wrong with
        the file and field it concerns."""
        self.child.result()


def _check(root: Path, now: dt.datetime) -> None:
    from mediafeed.check import require_publishable

    require_publishable(root, now=now)
