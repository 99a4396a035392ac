"""The large steps of a first build made in other processes: reading thousands of episode
files, and rendering and writing their pages, on every core. The processes are spawned,
never forked, so this works the same at a terminal (where a progress bar's thread runs), on
macOS and on Windows. Each is handed whole chunks of work and hands back plain results: the
episodes read, or each file written with its size and SHA-256, each unit's line in the
build's record, and the feed items and list rows of its episodes."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# Jobs a process is handed at once. A step with fewer does them itself: starting a process
# costs more than a few hundred pages.
CHUNK = 500
# At most this many processes: a show's thousands of pages keep a few busy, and Windows
# refuses a pool of more than 61.
PROCESSES = 8

Result = TypeVar("Result")


class Processes:
    """The processes one build's steps share, started when the first chunk is ready and
    stopped when the build ends: each costs an interpreter's start and its imports."""

    def __init__(self) -> None:
        self.pool: ProcessPoolExecutor | None = None

    def submit(self, make: Callable[[list[Any]], Result], jobs: list[Any]) -> Future[Result]:
        if self.pool is None:
            # Loaded here: most builds start no process, and loading the pool costs an
            # added episode's build more than the episode's pages.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            spawn = multiprocessing.get_context("spawn")
            processes = min(os.cpu_count() or 1, PROCESSES)
            self.pool = ProcessPoolExecutor(max_workers=processes, mp_context=spawn)
        return self.pool.submit(make, jobs)

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


class Apart(Generic[Result]):
    """Collects jobs; once a chunk is full, sends it to the processes (with none, or on one
    core, makes every job here)."""

    def __init__(self, make: Callable[[list[Any]], Result], processes: Processes | None) -> None:
        self.make = make  # a module's function (with its arguments), so that it pickles
        self.processes = processes if (os.cpu_count() or 1) > 1 else None
        self.jobs: list[Any] = []
        self.futures: list[Future[Result]] = []

    def add(self, job: Any) -> None:
        self.jobs.append(job)
        if len(self.jobs) >= CHUNK and self.processes is not None:
            self._send()

    def results(self) -> list[Result]:
        """What each chunk made, in the order of its jobs, once all are done."""
        if self.futures and self.jobs:
            self._send()
        done = [future.result() for future in self.futures]
        return [*done, self.make(self.jobs)] if self.jobs else done

    def _send(self) -> None:
        assert self.processes is not None
        self.futures.append(self.processes.submit(self.make, self.jobs))
        self.jobs = []
