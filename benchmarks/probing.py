"""How many times a mediafeed command opens a media file, counted with strace through the
CLI (under a pseudo-terminal, as every mediafeed run of the benchmark)."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.tools import run


def media_opens(args: list[str], *, env: dict[str, str], show: Path, trace: Path,
                cwd: Path) -> int | None:  # fmt: skip
    """How many times the command opens a file in the show's media/ or feed/media/; None
    where the command failed."""
    try:
        run(["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", str(trace), *args],
            env=env, cwd=cwd, terminal=True)  # fmt: skip
    except RuntimeError:
        return None
    media = re.compile(re.escape(str(show)) + r"/(feed/)?media/")
    with trace.open(encoding="utf-8", errors="replace") as handle:
        return sum(1 for line in handle if media.search(line) and "ENOENT" not in line)
