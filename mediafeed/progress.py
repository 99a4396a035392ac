"""A rich progress bar for uploads that stays silent when output is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class UploadBar:
    """Implements publish.Progress on top of a rich bar (bytes, rate, ETA)."""

    def __init__(self, progress: Progress | None):
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, total_bytes: int, total_files: int) -> None:
        if self._progress is not None and total_bytes:
            self._task = self._progress.add_task(f"Uploading {total_files} files",
                                                 total=total_bytes)  # fmt: skip

    def advance(self, nbytes: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, nbytes)

    def done(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, visible=False)


@contextmanager
def progress_bar(*, enabled: bool = True) -> Iterator[UploadBar]:
    if not enabled or not sys.stderr.isatty():
        yield UploadBar(None)
        return
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress("[progress.description]{task.description}", *columns, transient=True) as bar:
        yield UploadBar(bar)
