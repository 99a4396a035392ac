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

from mediafeed import build, catalog, check, cli  # noqa: E402
from mediafeed.commands import show  # noqa: E402
from mediafeed.store import publish, target  # noqa: E402

# Patched where they are looked up: the modules that call them import them by name.
STEPS: list[tuple[Any, str]] = [
    (show, "input_contents"), (show, "_require_publishable"), (catalog, "read_show_episodes"),
    (build, "load_show_episodes"), (build, "unchanged"), (build, "place"), (build, "own_files"),
    (build, "feed_page"), (build, "list_rows"), (build, "verify_media"),
    (check, "check_show"), (target, "make_client"),
    (publish, "plan"), (publish, "publish"), (build, "build"),
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


def report() -> None:
    print(f"{'imports':<32} {IMPORTED - STARTED:6.3f} s", file=sys.stderr)
    for label, seconds in spent.items():
        print(f"{label:<32} {seconds:6.3f} s", file=sys.stderr)
    print(f"{'total':<32} {time.perf_counter() - STARTED:6.3f} s", file=sys.stderr)


for owner, name in STEPS:
    timed(owner, name)

if __name__ == "__main__":
    try:
        cli.cli.main(sys.argv[1:], prog_name="mediafeed")
    finally:
        report()
