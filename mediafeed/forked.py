"""Work in forked children that send their result back by pickle: a long list in slices,
one per core, the first in this process (`in_slices`); or one piece of work beside what
this process goes on doing (`Beside`).

Used where each item is independent and costs real CPU (rendering thousands of episode
pages). Only where `beside.forking_is_safe()`; the caller works in-process otherwise.
The result and the error are those of working through the slices in order here: the
error raised is the one of the first slice that failed, and a child that stopped in any
other way than with a MediafeedError or OSError has its slice worked here again.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from mediafeed.errors import MediafeedError

Item = TypeVar("Item")
Result = TypeVar("Result")


def in_slices(work: Callable[[Sequence[Item]], Result], items: Sequence[Item], *,
              processes: int) -> list[Result]:  # fmt: skip
    """`work` of each of `processes` consecutive slices of `items`, in order."""
    size = max(1, -(-len(items) // max(processes, 1)))
    slices = [items[start : start + size] for start in range(0, len(items), size)] or [items]
    children = [_start(work, part) for part in slices[1:]]
    outcomes: list[tuple[str, object]] = []
    try:
        outcomes.append(("done", work(slices[0])))
    except (MediafeedError, OSError) as exc:
        outcomes.append(("error", exc))
    except BaseException:
        for pid, answers in children:  # no child left behind unwaited
            _outcome(pid, answers)
        raise
    outcomes.extend(_outcome(pid, answers) for pid, answers in children)
    results: list[Result] = []
    for part, (kind, value) in zip(slices, outcomes, strict=True):
        if kind == "error":
            assert isinstance(value, BaseException)
            raise value
        # "lost": the child stopped some other way; working the slice here says why.
        results.append(value if kind == "done" else work(part))  # type: ignore[arg-type]
    return results


class Beside(Generic[Result]):
    """`work` running in a forked child from `start` until `result`, which returns what it
    returned or raises its MediafeedError or OSError; a child that stopped any other way
    has the work done here again."""

    def __init__(self, work: Callable[[], Result]) -> None:
        self.work = work
        self.pid, self.answers = _start(lambda _nothing: work(), ())
        self.waited = False

    def result(self) -> Result:
        kind, value = self._wait()
        if kind == "error":
            assert isinstance(value, BaseException)
            raise value
        return value if kind == "done" else self.work()  # type: ignore[return-value]

    def abandon(self) -> None:
        """Wait for the child, if not yet done, and drop what it did: this process is
        failing anyway."""
        if not self.waited:
            self._wait()

    def _wait(self) -> tuple[str, object]:
        self.waited = True
        return _outcome(self.pid, self.answers)


def _start(work: Callable[[Sequence[Item]], object], part: Sequence[Item]) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, answer, and leave without running any cleanup
        try:
            os.close(read_end)
            _answer(write_end, work, part)
        finally:
            os._exit(0)
    os.close(write_end)
    return pid, read_end


def _answer(write_end: int, work: Callable[[Sequence[Item]], object],
            part: Sequence[Item]) -> None:  # fmt: skip
    try:
        answer = pickle.dumps(("done", work(part)), pickle.HIGHEST_PROTOCOL)
    except (MediafeedError, OSError) as exc:
        answer = pickle.dumps(("error", exc), pickle.HIGHEST_PROTOCOL)
    except BaseException:
        answer = b""  # the parent works the slice itself and meets the problem there
    with os.fdopen(write_end, "wb") as out:
        out.write(answer)


def _outcome(pid: int, answers: int) -> tuple[str, object]:
    with os.fdopen(answers, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    try:
        kind, value = pickle.loads(data)  # noqa: S301 (our own child, through a pipe)
    except Exception:
        return "lost", None
    return str(kind), value
