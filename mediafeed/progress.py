"""A rich progress bar for uploads that stays silent when output is not a terminal, and
what a publish says when Ctrl-C stops it."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # rich loads when a bar is first drawn: a publish with nothing to send draws none
    from rich.console import Console
    from rich.progress import Progress, TaskID


class UploadBar:
    """Implements model.Progress on top of a rich bar (bytes, rate, ETA), made by `opens`
    on first use; without a bar, `say` hears a line for each object as it lands."""

    def __init__(
        self, opens: Callable[[], Progress | None], say: Callable[[str], None] | None = None
    ):
        self._opens = opens
        self._task: TaskID | None = None
        self._say = say

    @functools.cached_property
    def _progress(self) -> Progress | None:
        return self._opens()

    @property
    def streamed(self) -> bool:
        """Whether each landed object was told as it landed."""
        return self._say is not None

    def landed(self, name: str) -> None:
        if self._say is not None:
            self._say(f"Uploaded {name}")

    def start(self, total_bytes: int, total_files: int) -> None:
        if total_bytes and self._progress is not None:
            self._task = self._progress.add_task(
                f"Uploading {total_files} file{'s' * (total_files != 1)}", total=total_bytes
            )

    def advance(self, nbytes: int) -> None:
        # Negative when a retried request rewinds: the bar goes back rather than lie.
        if self._task is not None and self._progress is not None:
            self._progress.advance(self._task, nbytes)

    def done(self) -> None:
        if self._task is not None and self._progress is not None:
            self._progress.update(self._task, visible=False)

    def encoding(self, description: str) -> AbstractContextManager[Callable[[float], None]]:
        """A line of its own on the same bar while a build encodes, before the uploads."""
        return _seconds_line(self._progress, description)


@contextmanager
def _seconds_line(bar: Progress | None, description: str) -> Iterator[Callable[[float], None]]:
    """A line on `bar` that hears seconds of media done; silent without a bar."""
    if bar is None:
        yield lambda seconds: None
        return
    task = bar.add_task(description, total=None)
    bar.refresh()  # drawn at once: a short encode may end before the next tick
    try:
        yield lambda seconds: bar.update(task, completed=seconds)
    finally:
        bar.update(task, visible=False)


@contextmanager
def _terminal_bar(
    *columns: Any, console: Console | None = None, enabled: bool = True
) -> Iterator[Progress | None]:
    """A transient bar of `columns` on `console` (standard error), or None off a terminal."""
    from rich.console import Console
    from rich.progress import Progress

    console = console or Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None
        return
    with Progress(*columns, console=console, transient=True) as bar:
        yield bar


@contextmanager
def progress_bar(
    *,
    enabled: bool = True,
    console: Console | None = None,
    say: Callable[[str], None] | None = None,
) -> Iterator[UploadBar]:
    """A bar on standard error, so `--json` output on standard output stays clean; none at
    all when standard error is a file, a pipe or a CI log. When standard output is not a
    terminal (cron, a pipe), `say` (if given) hears each object as it lands."""
    stream = say if enabled and not sys.stdout.isatty() else None
    with ExitStack() as stack:

        def opens() -> Progress | None:
            from rich import progress

            columns = (
                progress.TextColumn("[progress.description]{task.description}"),
                progress.BarColumn(),
                progress.DownloadColumn(),
                progress.TransferSpeedColumn(),
                progress.TimeRemainingColumn(),
            )
            return stack.enter_context(_terminal_bar(*columns, console=console, enabled=enabled))

        yield UploadBar(opens, stream)


def _stopped(line: str) -> NoReturn:
    """Tell why and how to go on, then exit 130, as a shell does for Ctrl-C."""
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(line, style="yellow", markup=False)
    raise SystemExit(130) from None


@contextmanager
def publish_interruptible() -> Iterator[None]:
    """Ctrl-C during a publish: one line on what listeners get now and how to finish."""
    try:
        yield
    except KeyboardInterrupt as exc:
        if getattr(exc, "feed_going", False):  # see store.publish.Interrupted
            state = "the new feed was on its way, so listeners get it or the old one, whole"
        else:
            state = "the old feed is still live"
        _stopped(f"Stopped: {state}; run the same command again to finish the job.")


@contextmanager
def seconds_bar() -> Iterator[Callable[[float, float], None]]:
    """A bar of seconds of media done, for `transcribe`; silent off a terminal."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s of audio"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with _terminal_bar(*columns) as bar:
        tasks: list[TaskID] = []

        def show(done: float, total: float) -> None:
            if bar is None:
                return
            if not tasks:  # made once the length is known: a bar needs its total
                tasks.append(bar.add_task("Transcribing", total=total))
            bar.update(tasks[0], completed=done, total=total)

        yield show


@contextmanager
def stopped_says(line: str) -> Iterator[None]:
    """Ctrl-C: `line`, what was kept and how to carry on, in place of click's "Aborted!"."""
    try:
        yield
    except KeyboardInterrupt:
        _stopped(line)


@contextmanager
def encode_bar(description: str, *, enabled: bool = True) -> Iterator[Callable[[float], None]]:
    """A bar of the seconds of media a long encode did, and the time taken; silent off a
    terminal."""
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn(description), BarColumn(), TimeElapsedColumn())
    with _terminal_bar(*columns, enabled=enabled) as bar, _seconds_line(bar, description) as tick:
        yield tick
