"""Speed of mediafeed next to s5cmd, rclone, the AWS CLI and bare feedgen, in one run.

Usage: python benchmarks/run.py [--quick] [--keep]

Starts its own SeaweedFS store on free loopback ports, runs every scenario against it
(one bucket per tool), stops it, prints a table and writes benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import probing, showgen, tools  # noqa: E402
from benchmarks.tools import Run, run  # noqa: E402
from mediafeed.store import local as localstore  # noqa: E402
from mediafeed.store.target import local_target, make_client  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
FULL = {"media_files": 10, "media_mb_each": 100, "episodes": 10_000, "probe_files": 1_000}
QUICK = {"media_files": 5, "media_mb_each": 20, "episodes": 1_000, "probe_files": 100}
RSS_LIMIT_MB = 300


class Bench:
    """The rows of the table, and the peak memory of every mediafeed process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.rows: list[dict[str, Any]] = []
        self.peak_rss_mb = 0.0

    def time(self, scenario: str, label: str, args: list[str], *, cwd: Path | None = None,
             mediafeed: bool = False) -> Run:  # fmt: skip
        result = run(args, env=self.env, cwd=cwd)
        if mediafeed:
            self.peak_rss_mb = max(self.peak_rss_mb, result.max_rss_mb)
        # What mediafeed says it sent, so a row that uploaded nothing cannot pass unseen.
        said = [line for line in result.output.splitlines() if " objects (" in line]
        self.rows.append({"scenario": scenario, "tool": label, "seconds": result.seconds,
                          "cpu_seconds": result.cpu_seconds,
                          "max_rss_mb": round(result.max_rss_mb, 1),
                          "note": said[-1] if said else ""})  # fmt: skip
        print(f"  {scenario:<26} {label:<38} {result.seconds:8.2f} s {result.cpu_seconds:7.2f} "
              f"s CPU {result.max_rss_mb:5.0f} MB  {self.rows[-1]['note'][:60]}",
              flush=True)  # fmt: skip
        return result

    def seconds(self, scenario: str, label: str) -> float:
        return next(r["seconds"] for r in self.rows
                    if r["scenario"] == scenario and r["tool"] == label)  # fmt: skip


def make_buckets(store: localstore.LocalStore, names: list[str]) -> None:
    target, credentials = local_target(store)
    client = make_client(target, credentials=credentials)
    for name in names:
        client.create_bucket(Bucket=name)


def first_publish(bench: Bench, work: Path, store: localstore.LocalStore, size: dict[str, int]
                  ) -> dict[str, Any]:  # fmt: skip
    """(a) the first publish of a show with large media, next to plain copy tools."""
    name = "a: first publish"
    make_buckets(store, ["mf-a", "mf-a-force", "s5-a", "rc-a", "awscp-a", "awssync-a"])
    show = work / "show-a"
    total = showgen.large_media_show(show, work / "encode", files=size["media_files"],
                                     megabytes_each=size["media_mb_each"], bucket="mf-a",
                                     endpoint=store.endpoint_url)  # fmt: skip
    # The same show again for a --force run: other paths, so no hash is cached for it.
    forced = work / "show-a-force"
    shutil.copytree(show, forced, copy_function=os.link)
    config = forced / "mediafeed.toml"
    text = config.read_text().replace("mf-a", "mf-a-force")
    config.unlink()  # a hard link to the first show's config: write a file of its own
    config.write_text(text)
    media, url = str(show / "media"), store.endpoint_url
    bench.time(name, "mediafeed publish", tools.mediafeed(show, "publish"), mediafeed=True)
    bench.time(name, "mediafeed publish --force (no check)",
               tools.mediafeed(forced, "publish", "--force"), mediafeed=True)  # fmt: skip
    bench.time(name, "s5cmd cp", tools.s5cmd(url, "cp", f"{media}/*", "s3://s5-a/show/media/"))
    bench.time(name, "rclone copy", tools.rclone("copy", media, "store:rc-a/show/media"))
    bench.time(
        name,
        "aws s3 cp --recursive",
        tools.aws(url, "s3", "cp", "--recursive", media, "s3://awscp-a/show/media"),
    )
    bench.time(
        name, "aws s3 sync", tools.aws(url, "s3", "sync", media, "s3://awssync-a/show/media")
    )
    others = ["s5cmd cp", "rclone copy", "aws s3 cp --recursive", "aws s3 sync"]
    fastest = min(others, key=lambda label: bench.seconds(name, label))
    mine = bench.seconds(name, "mediafeed publish")
    return {
        "bytes": total,
        "fastest_other": fastest,
        "mediafeed_mb_s": total / 1e6 / mine,
        "fastest_mb_s": total / 1e6 / bench.seconds(name, fastest),
        "ratio_throughput": bench.seconds(name, fastest) / mine,
        "target": ">= 0.8",
    }


def large_show(bench: Bench, work: Path, store: localstore.LocalStore, size: dict[str, int]
               ) -> dict[str, Any]:  # fmt: skip
    """(b), (c), (d): a show of many episodes: build, unchanged re-publish, one added."""
    count = size["episodes"]
    make_buckets(store, ["mf-b", "s5-b", "rc-b"])
    show = work / "show-b"
    items = showgen.many_episode_show(show, work / "encode", count=count, bucket="mf-b",
                                      endpoint=store.endpoint_url)  # fmt: skip
    items_json = work / "items.json"
    showgen.write_items(items_json, items)
    raw = [sys.executable, str(Path(__file__).parent / "rawfeed.py"), str(items_json),
           str(work / "raw-feed.xml")]  # fmt: skip
    build = tools.mediafeed(show, "build")
    out = str(show / "feed")
    url = store.endpoint_url
    rclone_sync = tools.rclone("sync", "--checksum", out, "store:rc-b/show")

    d = "d: build"
    bench.time(d, f"mediafeed build (full, {count})", build, mediafeed=True)
    bench.time(d, f"feedgen feed alone ({count})", raw)
    floor = [sys.executable, str(Path(__file__).parent / "writefloor.py"), out,
             str(work / "floor")]  # fmt: skip
    bench.time(d, "bare writes of the same files", floor)
    bench.time(d, "mediafeed build (unchanged)", build, mediafeed=True)

    b = "b: re-publish unchanged"
    bench.time(b, "mediafeed publish (first, setup)", tools.mediafeed(show, "publish"),
               mediafeed=True)  # fmt: skip
    bench.time(b, "rclone sync --checksum (first, setup)", rclone_sync)
    bench.time(
        b, "s5cmd sync (first, setup)", tools.s5cmd(url, "sync", f"{out}/", "s3://s5-b/show/")
    )
    probe_opens = probing.media_opens(tools.mediafeed(show, "publish", "--dry-run"), env=bench.env,
                                      show=show, trace=work / "publish.strace")  # fmt: skip
    bench.time(b, "mediafeed publish", tools.mediafeed(show, "publish"), mediafeed=True)
    bench.time(b, "mediafeed publish --force (no check)",
               tools.mediafeed(show, "publish", "--force"), mediafeed=True)  # fmt: skip
    bench.time(b, "rclone sync --checksum", rclone_sync)
    bench.time(b, "s5cmd sync", tools.s5cmd(url, "sync", f"{out}/", "s3://s5-b/show/"))

    c = "c: re-publish, one added"
    source = work / "encode" / "short.mp3"
    first = items[0]
    added = showgen.add_episode(show, source, count + 1, first.duration, first.length,
                                _sha(show, first.slug), endpoint=url, bucket="mf-b")  # fmt: skip
    bench.time(c, "mediafeed publish", tools.mediafeed(show, "publish"), mediafeed=True)
    bench.time(c, "rclone sync --checksum", rclone_sync)
    bench.time(c, "s5cmd sync", tools.s5cmd(url, "sync", f"{out}/", "s3://s5-b/show/"))

    # (d) continued: one more episode, then an incremental build against bare feedgen.
    showgen.add_episode(show, source, count + 2, first.duration, first.length,
                        _sha(show, first.slug), endpoint=url, bucket="mf-b")  # fmt: skip
    bench.time(d, "mediafeed build (one added)", build, mediafeed=True)
    showgen.write_items(items_json, [added, *items])
    bench.time(d, f"feedgen feed alone ({count + 1})", raw)
    build_opens = probing.media_opens(build, env=bench.env, show=show,
                                      trace=work / "build.strace")  # fmt: skip

    def faster(scenario: str) -> dict[str, Any]:
        mine = bench.seconds(scenario, "mediafeed publish")
        best = min(bench.seconds(scenario, t) for t in ("rclone sync --checksum", "s5cmd sync"))
        return {"ratio_time": mine / best, "target": "< 1 (faster than both)"}

    return {
        "episodes": count,
        "b": faster(b),
        "c": faster(c),
        "d_full_ratio": bench.seconds(d, f"mediafeed build (full, {count})")
        / bench.seconds(d, f"feedgen feed alone ({count})"),
        "d_incremental_ratio": bench.seconds(d, "mediafeed build (one added)")
        / bench.seconds(d, f"feedgen feed alone ({count + 1})"),
        "d_targets": "full <= 3, incremental <= 1.5",
        # The full build writes 10,000 pages that feedgen alone does not: next to feedgen
        # plus the bare writing of the same files, what rendering itself costs.
        "d_full_ratio_to_feedgen_plus_writes": bench.seconds(d, f"mediafeed build (full, {count})")
        / (bench.seconds(d, f"feedgen feed alone ({count})")
           + bench.seconds(d, "bare writes of the same files")),
        "media_opens_rebuild": build_opens,
        "media_opens_publish_dry_run": probe_opens,
    }


def _sha(show: Path, slug: str) -> str:
    text = (show / "episodes" / f"{slug}.md").read_text()
    return text.split("sha256: ", 1)[1].split("\n", 1)[0]


def print_table(bench: Bench, summary: dict[str, Any]) -> None:
    print("\n| scenario | tool | seconds | CPU seconds | max RSS MB |\n|---|---|---:|---:|---:|")
    for row in bench.rows:
        print(f"| {row['scenario']} | {row['tool']} | {row['seconds']:.2f} | "
              f"{row['cpu_seconds']:.2f} | {row['max_rss_mb']:.0f} |")  # fmt: skip
    print("\n" + json.dumps(summary, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a sanity check")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    options = parser.parse_args()
    size = QUICK if options.quick else FULL
    work = Path(tempfile.mkdtemp(prefix="mediafeed-bench-"))
    state = work / "store"
    started = time.perf_counter()
    tools.compile_mediafeed()
    store = localstore.ensure_running(state, preferred_s3_port=None)
    try:
        env = tools.tool_env(store, work / "home")
        bench = Bench(env)
        summary: dict[str, Any] = {
            "mode": "quick" if options.quick else "full",
            "sizes": size,
            "machine": tools.machine(),
            "versions": tools.versions(env),
        }
        summary["load_average_start"] = os.getloadavg()
        print(json.dumps(summary["machine"]), flush=True)
        summary["a"] = first_publish(bench, work, store, size)
        summary["bcd"] = large_show(bench, work, store, size)
        files = probing.probe_files(work / "encode", size["probe_files"])
        summary["e"] = probing.time_probes(files, work / "probe-cache.json")
        summary["peak_rss_mb"] = round(bench.peak_rss_mb, 1)
        summary["rss_target_mb"] = RSS_LIMIT_MB
        summary["load_average_end"] = os.getloadavg()
        summary["total_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        localstore.stop(state)
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(bench, summary)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "rows": bench.rows}, indent=2) + "\n")
    print(f"\nWrote {RESULTS}")


if __name__ == "__main__":
    main()
