"""Units of a large build made in other processes: a full build of thousands of episodes
renders and writes their pages on every core. The processes are spawned, never forked, so
this works the same at a terminal (where a progress bar's thread runs), on macOS and on
Windows. Each is handed whole units and hands back what it wrote: each file's path, size
and SHA-256, and each unit's line in the build's record."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# Units a process is handed at once. A build with fewer to make makes them itself: starting
# a process costs more than a few hundred pages.
CHUNK = 500
# At most this many processes: a show's thousands of pages keep a few busy, and Windows
# refuses a pool of more than 61.
PROCESSES = 8

Made = tuple[dict[str, Any], dict[str, str]]  # the files placed, and each unit's record


class Apart:
    """Collects units to make; once a chunk is full, sends it to a process of its own."""

    def __init__(self, make: Callable[[list[Any]], Made]) -> None:
        self.make = make  # a module's function (with its arguments), so that it pickles
        self.jobs: list[Any] = []
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[Made]] = []

    def add(self, job: Any) -> None:
        self.jobs.append(job)
        if len(self.jobs) >= CHUNK and (os.cpu_count() or 1) > 1:
            self._send()

    def results(self) -> list[Made]:
        """What every unit made, once all are done (the rest made here if no process ran)."""
        try:
            if self.pool is not None and self.jobs:
                self._send()
            done = [future.result() for future in self.futures]
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
        return [*done, self.make(self.jobs)] if self.jobs else done

    def _send(self) -> None:
        if self.pool is None:
            # Loaded here: most builds start no process, and loading the pool costs an
            # added episode's build more than the episode's pages.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            spawn = multiprocessing.get_context("spawn")
            processes = min(os.cpu_count() or 1, PROCESSES)
            self.pool = ProcessPoolExecutor(max_workers=processes, mp_context=spawn)
        self.futures.append(self.pool.submit(self.make, self.jobs))
        self.jobs = []
