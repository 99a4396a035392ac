"""Scenario (e): what probing costs per file, and proof that a rebuild opens no media file."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import mutagen

from benchmarks.showgen import encode_mp3
from mediafeed.media.probe import ProbeCache, probe


def probe_files(work: Path, count: int, *, seconds: float = 30) -> list[Path]:
    """`count` copies of one real MP3 (separate files, so each is opened and read)."""
    source = encode_mp3(work, "probe-source", frequency=500, seconds=seconds)
    folder = work / "probe"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for number in range(count):
        target = folder / f"file-{number:05d}.mp3"
        shutil.copyfile(source, target)
        files.append(target)
    return files


def time_probes(files: list[Path], cache_path: Path) -> dict[str, float]:
    """Seconds per file: bare mutagen.File, mediafeed's probe, and a warm ProbeCache."""
    started = time.perf_counter()
    for path in files:
        mutagen.File(path)
    bare = time.perf_counter() - started

    started = time.perf_counter()
    for path in files:
        probe(path)
    full = time.perf_counter() - started

    cache = ProbeCache(cache_path)
    for path in files:
        cache.probe(path)
    cache.save()
    started = time.perf_counter()
    warm = ProbeCache(cache_path)
    for path in files:
        warm.probe(path)
    cached = time.perf_counter() - started
    count = len(files)
    return {
        "files": count,
        "bytes_each": files[0].stat().st_size if files else 0,
        "mutagen_file_ms": 1000 * bare / count,
        "probe_ms": 1000 * full / count,
        "probe_cache_warm_ms": 1000 * cached / count,
    }


def media_opens(args: list[str], *, env: dict[str, str], show: Path, trace: Path) -> int:
    """How many times the command opens a file in the show's media/ or feed/media/."""
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", str(trace),
                    *args], env=env, check=True, capture_output=True)  # fmt: skip
    media = re.compile(re.escape(str(show)) + r"/(feed/)?media/")
    with trace.open(encoding="utf-8", errors="replace") as handle:
        return sum(1 for line in handle if media.search(line) and "ENOENT" not in line)
