"""The check of a publish in a forked process, while the build runs in this one.

Both read every episode of a large show; on two cores they take the time of the longer
instead of the sum. Only where forking is safe: on Linux, with no other thread in this
process that could hold a lock at the moment of the fork. Elsewhere the caller checks
first, as before.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pickle
import sys
import threading
from pathlib import Path


def forking_is_safe() -> bool:
    """On Linux, and no other thread that could hold a lock at the moment of the fork."""
    return (sys.platform == "linux" and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods())  # fmt: skip


class CheckBeside:
    """`require_publishable` for the show at `root`, running in a child from `start()`
    until `wait()`, which raises what the check raised."""

    def __init__(self, pid: int, answers: int, root: Path, now: dt.datetime):
        self.pid = pid
        self.answers = answers
        self.root = root
        self.now = now

    @classmethod
    def start(cls, root: Path, *, now: dt.datetime) -> CheckBeside | None:
        if not forking_is_safe():
            return None
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: check, answer, and leave without running any cleanup
            try:
                os.close(read_end)
                _answer(write_end, root, now)
            finally:
                os._exit(0)
        os.close(write_end)
        return cls(pid, read_end, root, now)

    def wait(self) -> None:
        """Return when the check passed; raise its error when it refused the show."""
        with os.fdopen(self.answers, "rb") as answers:
            data = answers.read()
        os.waitpid(self.pid, 0)
        try:
            kind, message = pickle.loads(data)  # noqa: S301 (our own child, through a pipe)
        except Exception:
            kind, message = "lost", ""
        from mediafeed.check import CheckFailed, require_publishable

        if kind == "refused":
            raise CheckFailed(message)
        if kind != "passed":
            # The child stopped some other way: check here, which says what is wrong
            # with the file and field it concerns.
            require_publishable(self.root, now=self.now)


def _answer(write_end: int, root: Path, now: dt.datetime) -> None:
    from mediafeed.check import CheckFailed, require_publishable

    try:
        require_publishable(root, now=now)
        answer = ("passed", "")
    except CheckFailed as exc:
        answer = ("refused", str(exc))
    except BaseException as exc:  # anything at all: the parent checks again itself
        answer = ("failed", repr(exc))
    with os.fdopen(write_end, "wb") as out:
        out.write(pickle.dumps(answer))
