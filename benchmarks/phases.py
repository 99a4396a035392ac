"""Where one mediafeed command spends its time: wall-clock timers around its main steps.

Usage: python benchmarks/phases.py -C SHOW publish   (any mediafeed command and options)

Runs the command in this process, as `python -m mediafeed` would, and prints to stderr the
seconds spent in each step (a step called twice counts twice), then exits as the command
does. No profiler: the figures are the steps' own wall time.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STARTED = time.perf_counter()

from mediafeed import beside, build, check, cli, episodes, forked  # noqa: E402
from mediafeed.commands import show as site  # noqa: E402
from mediafeed.store import publish  # noqa: E402

STEPS: list[tuple[Any, str]] = [
    (site, "input_fingerprint"), (check, "require_publishable"),
    (beside.CheckBeside, "wait"), (episodes, "read_episodes"), (build, "_build"),
    (build, "_last_build"), (build, "verify_media"), (build, "fresh_outputs"),
    (build, "_episode_outputs"), (build, "make_listings"), (forked.Beside, "result"),
    (build, "_save_last_build"),
    (publish, "make_client"), (publish, "plan"), (publish, "_write_record"),
    (publish, "publish"),
]  # fmt: skip
IMPORTED = time.perf_counter()
spent: dict[str, float] = {}


def timed(owner: Any, name: str) -> None:
    real: Callable[..., Any] = getattr(owner, name)

    def step(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            label = f"{getattr(owner, '__name__', '?').split('.')[-1]}.{name}"
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - began

    setattr(owner, name, step)


def report(code: int) -> None:
    print(f"{'imports':<32} {IMPORTED - STARTED:6.3f} s", file=sys.stderr)
    for label, seconds in spent.items():
        print(f"{label:<32} {seconds:6.3f} s", file=sys.stderr)
    print(f"{'total':<32} {time.perf_counter() - STARTED:6.3f} s", file=sys.stderr)
    leave(code)


for owner, name in STEPS:
    timed(owner, name)
leave = cli._leave
cli._leave = report  # type: ignore[assignment]

if __name__ == "__main__":
    cli.main(sys.argv[1:])
