"""Speed of this code next to commit d0b6d18, s5cmd, rclone, the AWS CLI, bare feedgen and
Hugo, in one run.

Usage: python benchmarks/run.py [--quick] [--keep]

Starts its own SeaweedFS store on free loopback ports, runs every scenario against it
(one bucket per tool and per version), stops it, prints a table and writes
benchmarks/results/latest.json. Every mediafeed command runs under a pseudo-terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import hugosite, probing, showgen, store, tools  # noqa: E402
from benchmarks.tools import Code, Run, run  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
BASE_COMMIT = "d0b6d18"
FULL = {"media_files": 10, "media_mb_each": 100, "episodes": 10_000, "add_mb": 500}
QUICK = {"media_files": 3, "media_mb_each": 20, "episodes": 1_000, "add_mb": 50}
RSS_LIMIT_MB = 300
# Room the work folder needs: the shows, their built folders and every bucket's copy.
FREE_GIB, FREE_GIB_QUICK = 20, 2
BUDGET = 1.2  # this code's time over d0b6d18's, in every scenario
BUDGET_FULL_BUILD = 1.5  # the full build, over d0b6d18's own full build without a terminal
# A first publish, over the other tools moving the same files to an empty bucket: faster than
# the AWS CLI's (the same libraries), within 1.5x the faster Go sync (f), within 1/0.95 of
# the fastest copy (a).
BUDGET_FIRST_AWS = 1.0
BUDGET_FIRST_GO = 1.5
BUDGET_FIRST_FASTEST = round(1 / 0.95, 3)
# A re-publish of the large show, unchanged (b) or one added (c), over the faster Go sync of
# the same built folder: a tool that remembers what it sent should not walk it all again.
BUDGET_RESYNC = 0.7
SCENARIO_GROUPS = "abgh"
BUDGET_ADD_METERED = 1.2  # mediafeed add, over cp, sha256sum and ebur128 of the same file
CRON_EPISODES = 200
BUDGET_CRON = 1.0  # an unchanged publish, over s5cmd's sync of the same built folder
START_UP_LIMIT = 0.3  # seconds of --help, list and check of the cron show


class Bench:
    """Every timed run, and the rows that set this code beside d0b6d18."""

    def __init__(self, env: dict[str, str], codes: dict[str, Code], work: Path,
                 store_pid: int) -> None:  # fmt: skip
        self.env = env
        self.store = psutil.Process(store_pid)
        self.codes = codes
        self.work = work
        self.code_env = {tag: tools.code_env(env, code, work / f"home-{tag}")
                         for tag, code in codes.items()}  # fmt: skip
        self.runs: list[dict[str, Any]] = []
        self.comparisons: dict[tuple[str, str, str], float | None] = {}
        self.peak_rss_mb = 0.0
        self.repeats: dict[tuple[str, str], int] = {}
        self.failures: list[dict[str, Any]] = []

    def time(self, scenario: str, label: str, args: list[str], *, code: str | None = None,
             terminal: bool | None = None) -> Run | None:  # fmt: skip
        """One run: of a mediafeed version (`code`, under a terminal unless told otherwise)
        or of another tool (on a pipe, as before). A mediafeed version that fails is
        recorded as failed (None), and the benchmark goes on with the other."""
        terminal = code is not None if terminal is None else terminal
        env = self.code_env[code] if code else self.env
        where = f"{self.codes[code].name}{'' if terminal else ', no terminal'}" if code else ""
        shown = f"{label} [{where}]" if where else label
        row: dict[str, Any] = {"scenario": scenario, "tool": label, "code": where,
                               "terminal": terminal}  # fmt: skip
        self.runs.append(row)
        store_before = self.store_cpu()
        try:
            result = run(args, env=env, cwd=self.work, terminal=terminal)
        except RuntimeError as exc:
            if not code:
                raise
            last = [line for line in str(exc).splitlines() if line.strip()][-1]
            row.update(seconds=None, cpu_seconds=None, store_cpu_seconds=None, max_rss_mb=None,
                       note=f"FAILED: {last}")  # fmt: skip
            self.failures.append({**row, "error": str(exc)[-3000:]})
            print(f"  {scenario:<22} {shown:<52} FAILED: {last[:90]}", flush=True)
            return None
        if code:
            self.peak_rss_mb = max(self.peak_rss_mb, result.max_rss_mb)
        # What mediafeed says it sent, so a row that uploaded nothing cannot pass unseen.
        said = [line.strip() for line in result.output.splitlines() if " objects (" in line]
        store_cpu = self.store_cpu() - store_before
        row.update(seconds=round(result.seconds, 3), cpu_seconds=round(result.cpu_seconds, 3),
                   store_cpu_seconds=round(store_cpu, 3), max_rss_mb=round(result.max_rss_mb, 1),
                   note=said[-1] if said else "")  # fmt: skip
        print(f"  {scenario:<22} {shown:<52} {result.seconds:8.2f} s {result.cpu_seconds:7.2f} "
              f"s CPU {store_cpu:6.2f} s store {result.max_rss_mb:5.0f} MB  {row['note'][:40]}",
              flush=True)  # fmt: skip
        return result

    def store_cpu(self) -> float:
        """CPU seconds the store has used so far: what a run costs on the store's side of
        the same two cores (listing a tree, checksumming what is sent) shows in the
        difference."""
        times = self.store.cpu_times()
        return times.user + times.system + times.children_user + times.children_system

    def pair(self, scenario: str, label: str, args: Callable[[str], list[str]], *,
             budget: float | None = BUDGET) -> None:  # fmt: skip
        """The same command of both versions, one after the other, the one going first
        alternating from repeat to repeat so that the machine's noise (and what the one
        before leaves, such as dirty pages still being written) falls on both. Pairs of the
        same scenario and label are repeats: the comparison takes the median of each."""
        # The first run of each comparison starts with the other version than the last
        # new comparison did; its repeats then alternate.
        done = self.repeats.setdefault((scenario, label), len(self.repeats) % 2)
        self.repeats[scenario, label] = done + 1
        order = ["this", "base"] if done % 2 == 0 else ["base", "this"]
        for tag in order:
            self.time(scenario, label, args(tag), code=tag)
        self.compare(scenario, label, budget=budget)

    def compare(self, scenario: str, label: str, *, budget: float | None,
                against: str = BASE_COMMIT) -> None:  # fmt: skip
        """A row of the comparison: this code's median run next to `against`'s (d0b6d18
        under a terminal, unless told otherwise), the ratio of the two and the budget."""
        key = (scenario, label, against)
        if key not in self.comparisons:
            self.comparisons[key] = budget

    def comparison_rows(self) -> list[dict[str, Any]]:
        rows = []
        for (scenario, label, against), budget in self.comparisons.items():
            # This code's runs, or for a row of two other tools, the first tool's.
            this = self.median(scenario, label, self.codes["this"].name) or self.median(
                scenario, label
            )
            # Against a version (d0b6d18, with or without a terminal), or another tool.
            base = (self.median(scenario, label, against) if against.startswith(BASE_COMMIT)
                    else self.median(scenario, against))  # fmt: skip
            ratio = this["seconds"] / base["seconds"] if this and base else None
            cpu = this["cpu"] / base["cpu"] if this and base and base["cpu"] else None
            rows.append({
                "scenario": scenario, "what": label, "against": against,
                "runs": (this or base or {"runs": 0})["runs"],
                "this_seconds": this and this["seconds"], "this_cpu": this and this["cpu"],
                "base_seconds": base and base["seconds"], "base_cpu": base and base["cpu"],
                "this_store_cpu": this and this["store_cpu"],
                "base_store_cpu": base and base["store_cpu"],
                "ratio": None if ratio is None else round(ratio, 3),
                "cpu_ratio": None if cpu is None else round(cpu, 3), "budget": budget,
                "within": None if budget is None or ratio is None else ratio <= budget,
            })  # fmt: skip
        return rows

    def median(self, scenario: str, label: str, code: str = "") -> dict[str, Any] | None:
        """Median wall and CPU seconds of the runs of one tool or version; None when one of
        them failed (or none ran)."""
        rows = [r for r in self.runs
                if r["scenario"] == scenario and r["tool"] == label and r["code"] == code]  # fmt: skip
        if not rows or any(r["seconds"] is None for r in rows):
            return None
        return {"seconds": round(statistics.median(r["seconds"] for r in rows), 3),
                "cpu": round(statistics.median(r["cpu_seconds"] for r in rows), 3),
                "store_cpu": round(statistics.median(r["store_cpu_seconds"] for r in rows), 3),
                "runs": len(rows)}  # fmt: skip

    def seconds(self, scenario: str, label: str, code: str = "") -> float | None:
        found = self.median(scenario, label, code)
        return found and found["seconds"]


def ratio(top: float | None, bottom: float | None) -> float | None:
    """top / bottom, or None where a run failed."""
    return None if top is None or bottom is None else round(top / bottom, 3)


def extract_base(target: Path) -> Code:
    """Commit d0b6d18's files, once, from this checkout's repository."""
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", BASE_COMMIT],
                               stdout=subprocess.PIPE)  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    assert archive.stdout is not None
    archive.stdout.close()
    if archive.wait() != 0:
        raise SystemExit(f"git archive {BASE_COMMIT} failed")
    return Code(BASE_COMMIT, target)


def first_publish(bench: Bench, work: Path, bucket_store: store.Store, size: dict[str, int],
                  repeat: int) -> dict[str, Any]:  # fmt: skip
    """(a) the first publish of a show with large media, next to plain copy tools."""
    name = "a: first publish"
    url = bucket_store.endpoint_url
    source = work / "show-a"
    total = showgen.large_media_show(source, work / "encode", files=size["media_files"],
                                     megabytes_each=size["media_mb_each"], bucket="unused",
                                     endpoint=url)  # fmt: skip
    # Each run publishes its own copy (media hard-linked) to a bucket of its own.
    shows: dict[str, Path] = {}
    keys = [f"{tag}-{attempt}" for attempt in range(repeat) for tag in bench.codes]
    checks = [f"check-{key}" for key in keys]
    for key in [*keys, *(f"force-{tag}" for tag in bench.codes), *checks]:
        shows[key] = work / f"show-a-{key}"
        showgen.copy_show(source, shows[key], bucket=f"mf-a-{key}", endpoint=url)
    bucket_store.make_buckets([f"mf-a-{key}" for key in shows]
                              + ["s5-a", "rc-a", "awscp-a", "awssync-a"])  # fmt: skip
    media = str(source / "media")
    others = ["s5cmd cp", "rclone copy", "aws s3 cp --recursive", "aws s3 sync"]
    for attempt in range(repeat):
        bench.pair(name, "mediafeed publish",
                   lambda tag, n=attempt: tools.mediafeed(shows[f"{tag}-{n}"], "publish"))  # fmt: skip
        # Each tool's runs go to folders of their own in its bucket, so each finds it empty.
        run = f"run-{attempt}/show/media"
        bench.time(name, others[0], tools.s5cmd(url, "cp", f"{media}/*", f"s3://s5-a/{run}/"))
        bench.time(name, others[1], tools.rclone("copy", media, f"store:rc-a/{run}"))
        bench.time(name, others[2], tools.aws(url, "s3", "cp", "--recursive", media,
                                              f"s3://awscp-a/{run}"))  # fmt: skip
        bench.time(name, others[3], tools.aws(url, "s3", "sync", media, f"s3://awssync-a/{run}"))
    bench.pair(name, "mediafeed publish --force (no check)",
               lambda tag: tools.mediafeed(shows[f"force-{tag}"], "publish", "--force"))  # fmt: skip
    # What the check before a first publish costs, which the copy tools do not do: it
    # probes every media file whole (its hash, and each MPEG frame for the duration).
    for attempt in range(repeat):
        bench.pair(name, "mediafeed check (first)", budget=None,
                   args=lambda tag, n=attempt: tools.mediafeed(shows[f"check-{tag}-{n}"], "check"))  # fmt: skip
    # As a producer starts: `add` of each file (which notes what it wrote), then publish.
    # One show; each run builds feed/ anew and sends it to a bucket of its own.
    added = showgen.new_show(work / "show-a-added", bucket="unused", endpoint=url)
    for number, file in enumerate(sorted((source / "media").iterdir()), start=1):
        subprocess.run(tools.mediafeed(added, "add", str(file), "--title", f"Deel {number}"),
                       env=bench.code_env["this"], check=True, capture_output=True)  # fmt: skip
    after_add = "mediafeed publish, after add"
    bucket_store.make_buckets([f"mf-a-added-{attempt}" for attempt in range(repeat)])
    for attempt in range(repeat):
        showgen.set_target(added, bucket=f"mf-a-added-{attempt}", endpoint=url)
        shutil.rmtree(added / "feed", ignore_errors=True)
        bench.time(name, after_add, tools.mediafeed(added, "publish"), code="this")
    fastest = min(others, key=lambda label: bench.seconds(name, label) or 0)
    bench.comparisons[(name, "mediafeed publish", fastest)] = BUDGET_FIRST_FASTEST
    bench.comparisons[(name, after_add, fastest)] = BUDGET_FIRST_FASTEST
    bench.comparisons[(name, "mediafeed publish --force (no check)", fastest)] = None
    for other in others[2:]:  # the stricter budget where the fastest is one of them
        bench.comparisons[(name, "mediafeed publish", other)] = BUDGET_FIRST_AWS
    best = bench.seconds(name, fastest)
    this = bench.seconds(name, "mediafeed publish", bench.codes["this"].name)
    base = bench.seconds(name, "mediafeed publish", BASE_COMMIT)
    return {
        "bytes": total,
        "fastest_other": fastest,
        "this_mb_s": ratio(total / 1e6, this),
        "base_mb_s": ratio(total / 1e6, base),
        "fastest_mb_s": ratio(total / 1e6, best),
        "this_throughput_to_fastest": ratio(best, this),
        "after_add_throughput_to_fastest": ratio(
            best, bench.seconds(name, after_add, bench.codes["this"].name)
        ),
        "base_throughput_to_fastest": ratio(best, base),
        "this_to_aws": {other: ratio(this, bench.seconds(name, other)) for other in others[2:]},
        "target": "faster than both aws s3 commands, >= 0.95 of the fastest's throughput",
    }


def large_show(bench: Bench, work: Path, bucket_store: store.Store, size: dict[str, int],
               repeat: int) -> dict[str, Any]:  # fmt: skip
    """(b), (c), (d), (f): a show of many episodes: build, first publish, unchanged re-publish,
    one added."""
    count = size["episodes"]
    url = bucket_store.endpoint_url
    bucket_store.make_buckets(["mf-b-this", "mf-b-base", "s5-b", "rc-b", "awssync-f"])
    shows, sources = {}, {}
    for tag in ("this", "base"):
        shows[tag] = work / f"show-b-{tag}"
        items, sources[tag] = showgen.many_episode_show(shows[tag], work / "encode", count=count,
                                                        bucket=f"mf-b-{tag}", endpoint=url)  # fmt: skip
    items_json = work / "items.json"
    showgen.write_items(items_json, items)
    raw = [sys.executable, str(Path(__file__).parent / "rawfeed.py"), str(items_json),
           str(work / "raw-feed.xml")]  # fmt: skip

    def build(tag: str) -> list[str]:
        return tools.mediafeed(shows[tag], "build")

    d = "d: build"
    full = f"mediafeed build (full, {count})"
    plain = f"{BASE_COMMIT}, no terminal"
    # Each full build needs a show never built: the first repeat builds the shows that
    # (b) and (c) go on with, the others fresh ones, generated the same way. The order of
    # the three runs turns round from repeat to repeat.
    variants = [("this", True), ("base", True), ("base", False)]
    for attempt in range(repeat):
        turn = variants[attempt % 3 :] + variants[: attempt % 3]
        fresh = {}
        for tag, terminal in turn:  # all made before the first timed run of the repeat
            if attempt == 0 and terminal:
                fresh[tag, terminal] = shows[tag]
                continue
            show = fresh[tag, terminal] = work / f"show-b-{tag}-{terminal:d}-{attempt}"
            showgen.many_episode_show(show, work / "encode", count=count, bucket="unused",
                                      endpoint=url)  # fmt: skip
        for tag, terminal in turn:
            show = fresh[tag, terminal]
            bench.time(d, full, tools.mediafeed(show, "build"), code=tag, terminal=terminal)
        for show in fresh.values():
            if show not in shows.values():
                shutil.rmtree(show)
                (work / "encode" / f"short-{show.name}.mp3").unlink()
    bench.compare(d, full, budget=None)
    bench.compare(d, full, budget=BUDGET_FULL_BUILD, against=plain)
    site = work / "hugo-site"
    hugosite.convert(shows["this"], site)
    hugo = f"hugo, the same {count} pages"
    for attempt in range(repeat):
        bench.time(d, hugo, [tools.binary("hugo"), "--quiet", "--source", str(site),
                             "--destination", str(work / f"hugo-out-{attempt}")])  # fmt: skip
    for _ in range(repeat):
        bench.time(d, f"feedgen feed alone ({count})", raw)
    # What the syncs and the bare writes copy: this code's built folder, or d0b6d18's
    # where this code failed (the two differ in a few bytes of markup at most).
    built = shows["this" if (shows["this"] / "feed" / "feed.xml").is_file() else "base"] / "feed"
    out = str(built)
    for attempt in range(repeat):
        bench.time(d, "bare writes of the same files", [
            sys.executable, str(Path(__file__).parent / "writefloor.py"), out,
            str(work / f"floor-{attempt}")])  # fmt: skip
        shutil.rmtree(work / f"floor-{attempt}")
    for _ in range(repeat):
        bench.pair(d, "mediafeed build (unchanged)", build)

    rclone_sync = tools.rclone("sync", "--checksum", out, "store:rc-b/show")
    s5_sync = tools.s5cmd(url, "sync", f"{out}/", "s3://s5-b/show/")
    # (f) the first publish of the built show, each tool into an empty bucket: what (b)
    # and (c) then go on with.
    f = f"f: first publish, {count:,}"
    first_label = "mediafeed publish (first)"
    bench.pair(f, first_label, lambda tag: tools.mediafeed(shows[tag], "publish"), budget=None)
    go_syncs = ["rclone sync --checksum (first)", "s5cmd sync (first)"]
    bench.time(f, go_syncs[0], rclone_sync)
    bench.time(f, go_syncs[1], s5_sync)
    aws_sync = "aws s3 sync (first)"
    bench.time(f, aws_sync, tools.aws(url, "s3", "sync", out, "s3://awssync-f/show"))
    faster_go = min(go_syncs, key=lambda label: bench.seconds(f, label) or 0)
    bench.comparisons[(f, first_label, aws_sync)] = BUDGET_FIRST_AWS
    bench.comparisons[(f, first_label, faster_go)] = BUDGET_FIRST_GO
    b = "b: re-publish unchanged"
    opens: dict[str, Any] = {}
    for tag in ("this", "base"):
        opens[f"publish_dry_run_{tag}"] = probing.media_opens(
            tools.mediafeed(shows[tag], "publish", "--dry-run"), env=bench.code_env[tag],
            show=shows[tag], trace=work / f"publish-{tag}.strace", cwd=work)  # fmt: skip
    for _ in range(repeat):
        bench.pair(b, "mediafeed publish", lambda tag: tools.mediafeed(shows[tag], "publish"))
        bench.pair(b, "mediafeed publish --force (no check)",
                   lambda tag: tools.mediafeed(shows[tag], "publish", "--force"))  # fmt: skip
        bench.time(b, "rclone sync --checksum", rclone_sync)
        bench.time(b, "s5cmd sync", s5_sync)
    resync_against(bench, b)

    c = "c: re-publish, one added"
    first = items[0]
    added: list[showgen.Item] = []
    number = count

    def add_to_both() -> None:
        nonlocal number
        number += 1
        for tag in ("this", "base"):
            item = showgen.add_episode(shows[tag], sources[tag], number, first.duration,
                                       first.length, _sha(shows[tag], first.slug), endpoint=url,
                                       bucket=f"mf-b-{tag}")  # fmt: skip
        added.insert(0, item)

    for _ in range(repeat):
        add_to_both()
        bench.pair(c, "mediafeed publish", lambda tag: tools.mediafeed(shows[tag], "publish"))
        bench.time(c, "rclone sync --checksum", rclone_sync)
        bench.time(c, "s5cmd sync", s5_sync)
    resync_against(bench, c)

    # (d) continued: one more episode at a time, then an incremental build.
    for _ in range(repeat):
        add_to_both()
        bench.pair(d, "mediafeed build (one added)", build)
    showgen.write_items(items_json, [*added, *items])
    for _ in range(repeat):
        bench.time(d, f"feedgen feed alone ({number})", raw)
    for tag in ("this", "base"):
        opens[f"rebuild_{tag}"] = probing.media_opens(
            build(tag), env=bench.code_env[tag], show=shows[tag],
            trace=work / f"build-{tag}.strace", cwd=work)  # fmt: skip

    def to_syncs(scenario: str) -> dict[str, Any]:
        best = min(
            bench.seconds(scenario, t) or 0 for t in ("rclone sync --checksum", "s5cmd sync")
        )
        return {tag: ratio(bench.seconds(scenario, "mediafeed publish", bench.codes[tag].name), best)
                for tag in ("this", "base")}  # fmt: skip

    feedgen = bench.seconds(d, f"feedgen feed alone ({count})")
    this_full = bench.seconds(d, full, bench.codes["this"].name)
    objects = sum(1 for path in built.rglob("*") if path.is_file())
    return {
        "episodes": count,
        "f_objects": objects,
        "f_faster_go_sync": faster_go,
        "f_to_aws_sync": {
            tag: ratio(
                bench.seconds(f, first_label, bench.codes[tag].name), bench.seconds(f, aws_sync)
            )
            for tag in bench.codes
        },
        "f_to_faster_go_sync": {
            tag: ratio(
                bench.seconds(f, first_label, bench.codes[tag].name), bench.seconds(f, faster_go)
            )
            for tag in bench.codes
        },
        "f_targets": f"< {BUDGET_FIRST_AWS} of {aws_sync}, <= {BUDGET_FIRST_GO} of the faster",
        "b_to_fastest_sync": to_syncs(b),
        "c_to_fastest_sync": to_syncs(c),
        "d_full_to_feedgen": ratio(this_full, feedgen),
        "d_full_to_feedgen_plus_writes": ratio(
            this_full, (feedgen or 0) + (bench.seconds(d, "bare writes of the same files") or 0)
        ),
        "d_full_to_hugo": ratio(this_full, bench.seconds(d, hugo)),
        "d_one_added_to_feedgen": ratio(
            bench.seconds(d, "mediafeed build (one added)", bench.codes["this"].name),
            bench.seconds(d, f"feedgen feed alone ({number})"),
        ),
        "media_opens": opens,
    }


def resync_against(bench: Bench, scenario: str) -> None:
    """The row of this re-publish beside the faster of the two Go syncs of the same folder."""
    faster = min(("rclone sync --checksum", "s5cmd sync"),
                 key=lambda label: bench.seconds(scenario, label) or float("inf"))  # fmt: skip
    bench.comparisons[(scenario, "mediafeed publish", faster)] = BUDGET_RESYNC


def add_large(bench: Bench, work: Path, size: dict[str, int], repeat: int) -> dict[str, Any]:
    """(h) `mediafeed add` of one large MP3 into a new show, next to the same work done by
    the field's tools: cp, sha256sum and ffmpeg's EBU R128 meter (the one `add` runs)."""
    f = "h: add a large file"
    source = showgen.large_mp3(work / "encode", "large", megabytes=size["add_mb"])
    label = f"mediafeed add ({source.stat().st_size / 1e6:.0f} MB)"
    copy_label = "cp FILE DEST && sha256sum DEST"
    meter_label = "cp, sha256sum and ffmpeg ebur128 of the copy"
    meter = [tools.ffmpeg(), "-nostdin", "-hide_banner", "-nostats", "-i", "DEST", "-map",
             "0:a:0", "-vn", "-af", "ebur128=peak=true", "-f", "null", "-"]  # fmt: skip

    def copy(attempt: int) -> None:
        target = work / "copied" / str(attempt)
        target.mkdir(parents=True)
        file, dest = shlex.quote(str(source)), shlex.quote(str(target / source.name))
        bench.time(f, copy_label, ["sh", "-c", f"cp {file} {dest} && sha256sum {dest}"])
        (target / source.name).unlink()
        metered = shlex.join(meter).replace("DEST", dest)
        bench.time(f, meter_label, ["sh", "-c", f"cp {file} {dest} && sha256sum {dest} && "
                                    f"{metered} 2>/dev/null"])  # fmt: skip
        shutil.rmtree(target)

    copy(0)
    for attempt in range(repeat):
        shows = {tag: work / f"show-f-{tag}-{attempt}" for tag in bench.codes}

        def init(tag: str, shows: dict[str, Path] = shows) -> list[str]:
            return [sys.executable, "-m", "mediafeed", "init", str(shows[tag]), "--title",
                    "Een tegen eenzaamheid", "--language", "nl"]  # fmt: skip

        def add(tag: str, shows: dict[str, Path] = shows) -> list[str]:
            return tools.mediafeed(shows[tag], "add", str(source), "--title", "Groot",
                                   "--slug", "groot")  # fmt: skip

        bench.pair(f, "mediafeed init", init, budget=None)
        # d0b6d18 measured no loudness, so its add is no yardstick for this one's.
        bench.pair(f, label, add, budget=None)
        for show in shows.values():
            shutil.rmtree(show, ignore_errors=True)
        if attempt + 1 < repeat:
            copy(attempt + 1)
    cp = bench.seconds(f, copy_label)
    metered_seconds = bench.seconds(f, meter_label)
    bench.comparisons[(f, label, meter_label)] = BUDGET_ADD_METERED
    bench.comparisons[(f, label, copy_label)] = None
    return {"bytes": source.stat().st_size, "cp_sha256_seconds": cp,
            "cp_sha256_ebur128_seconds": metered_seconds,
            "add_to_cp_sha256": {tag: ratio(bench.seconds(f, label, bench.codes[tag].name), cp)
                                 for tag in bench.codes},
            "add_to_cp_sha256_ebur128": {
                tag: ratio(bench.seconds(f, label, bench.codes[tag].name), metered_seconds)
                for tag in bench.codes},
            "target": f"<= {BUDGET_ADD_METERED} of cp, sha256sum and ebur128"}  # fmt: skip


def cron_show(bench: Bench, work: Path, bucket_store: store.Store, repeat: int
              ) -> dict[str, Any]:  # fmt: skip
    """(g) a 200-episode show as cron and a producer meet it every day: a publish with
    nothing to send next to s5cmd's sync of the same built folder, and the start-up of
    --help, list and check next to the interpreter's own."""
    g = f"g: {CRON_EPISODES} episodes, unchanged"
    url = bucket_store.endpoint_url
    bucket_store.make_buckets(["mf-g-this", "mf-g-base", "s5-g"])
    shows = {tag: work / f"show-g-{tag}" for tag in ("this", "base")}
    for tag, show in shows.items():
        showgen.many_episode_show(show, work / "encode", count=CRON_EPISODES,
                                  bucket=f"mf-g-{tag}", endpoint=url)  # fmt: skip
    bench.pair(g, "mediafeed publish (first, setup)",
               lambda tag: tools.mediafeed(shows[tag], "publish"), budget=None)  # fmt: skip
    built = shows["this" if (shows["this"] / "feed" / "feed.xml").is_file() else "base"] / "feed"
    s5_sync = tools.s5cmd(url, "sync", f"{built}/", "s3://s5-g/show/")
    bench.time(g, "s5cmd sync (first, setup)", s5_sync)
    floor = "python -c pass"
    # The least a Python tool on botocore does to confirm the store holds the tree: the
    # floor of an unchanged publish on this interpreter, beside s5cmd's.
    listing = "python + botocore, one listing"
    list_once = [sys.executable, str(Path(__file__).parent / "listfloor.py"), url, "mf-g-this",
                 "show/"]  # fmt: skip
    commands = {"mediafeed publish": ("publish",), "mediafeed --help": ("--help",),
                "mediafeed list": ("list",), "mediafeed check": ("check",)}  # fmt: skip
    for _ in range(repeat):
        bench.time(g, floor, [sys.executable, "-c", "pass"])
        bench.time(g, "s5cmd sync", s5_sync)
        bench.time(g, listing, list_once)
        for label, args in commands.items():
            bench.pair(g, label, lambda tag, args=args: tools.mediafeed(shows[tag], *args))
    bench.comparisons[(g, "mediafeed publish", "s5cmd sync")] = BUDGET_CRON
    bench.comparisons[(g, "mediafeed publish", listing)] = None
    bench.comparisons[(g, listing, "s5cmd sync")] = None
    this = bench.codes["this"].name
    seconds = {label: bench.seconds(g, label, this) for label in commands}
    return {
        "episodes": CRON_EPISODES,
        "publish_to_s5cmd_sync": ratio(
            seconds["mediafeed publish"], bench.seconds(g, "s5cmd sync")
        ),
        "target_publish": f"<= {BUDGET_CRON}",
        "python_listing_to_s5cmd_sync": ratio(
            bench.seconds(g, listing), bench.seconds(g, "s5cmd sync")
        ),
        "to_python_start": {
            label: ratio(seconds[label], bench.seconds(g, floor)) for label in commands
        },  # fmt: skip
        "start_up_seconds": seconds,
        "start_up_target_seconds": START_UP_LIMIT,
        "start_up_within": {
            label: s is not None and s < START_UP_LIMIT
            for label, s in seconds.items()
            if label != "mediafeed publish"
        },  # fmt: skip
    }


def _sha(show: Path, slug: str) -> str:
    text = (show / "episodes" / f"{slug}.md").read_text()
    return text.split("sha256: ", 1)[1].split("\n", 1)[0]


def _shown(seconds: float | None, cpu: float | None = None) -> str:
    if seconds is None:
        return "failed"
    return f"{seconds:.2f}" if cpu is None else f"{seconds:.2f} ({cpu:.2f})"


def _store(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}"


def print_tables(bench: Bench, summary: dict[str, Any]) -> None:
    this = bench.codes["this"].name
    print(f"\n| scenario | what | runs | {this} s (CPU) | {BASE_COMMIT} s (CPU) | "
          f"{this} / {BASE_COMMIT} | CPU ratio | store CPU s | budget |"
          "\n|---|---|---:|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for row in bench.comparison_rows():
        budget = "" if row["budget"] is None else f"<= {row['budget']}"
        against = "" if row["against"] == BASE_COMMIT else f" (vs {row['against']})"
        mark = {True: " ok", False: " OVER", None: ""}[row["within"]]
        shown = "-" if row["ratio"] is None else f"{row['ratio']:.2f}{mark}"
        print(f"| {row['scenario']} | {row['what']}{against} | {row['runs']} | "
              f"{_shown(row['this_seconds'], row['this_cpu'])} | "
              f"{_shown(row['base_seconds'], row['base_cpu'])} | {shown} | "
              f"{'-' if row['cpu_ratio'] is None else format(row['cpu_ratio'], '.2f')} | "
              f"{_store(row['this_store_cpu'])} / {_store(row['base_store_cpu'])} | {budget} |")  # fmt: skip
    print("\n| scenario | tool | version | seconds | CPU seconds | store CPU s | max RSS MB |"
          "\n|---|---|---|---:|---:|---:|---:|")  # fmt: skip
    for row in bench.runs:
        rss = "" if row["max_rss_mb"] is None else f"{row['max_rss_mb']:.0f}"
        cpu = "" if row["cpu_seconds"] is None else f"{row['cpu_seconds']:.2f}"
        print(f"| {row['scenario']} | {row['tool']} | {row['code']} | {_shown(row['seconds'])} "
              f"| {cpu} | {_store(row['store_cpu_seconds'])} | {rss} |")  # fmt: skip
    print("\n" + json.dumps(summary, indent=2))
    # Each distinct error once (a broken version fails every command the same way).
    errors: dict[str, list[dict[str, Any]]] = {}
    for failure in bench.failures:
        errors.setdefault(failure["note"], []).append(failure)
    for failures in errors.values():
        print(f"\nFAILED in {len(failures)} runs, first {failures[0]['scenario']}, "
              f"{failures[0]['tool']} [{failures[0]['code']}]:\n"
              f"{failures[0]['error'][-1500:]}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a sanity check")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the folder whose mediafeed package to measure against "
                        f"{BASE_COMMIT} (default: this checkout)")  # fmt: skip
    parser.add_argument("--repeat", type=int, help="runs of each comparison, the median "
                        "counting (default: 3, or 1 with --quick)")  # fmt: skip
    parser.add_argument("--only", default=SCENARIO_GROUPS,
                        help="the scenario groups to run, as letters (default: "
                        f"{SCENARIO_GROUPS}; a, bcdef, g and h are the groups)")  # fmt: skip
    options = parser.parse_args()
    size = QUICK if options.quick else FULL
    repeat = options.repeat or (1 if options.quick else 3)
    work = Path(tempfile.mkdtemp(prefix="mediafeed-bench-"))
    free = shutil.disk_usage(work).free / 2**30
    needed = FREE_GIB_QUICK if options.quick else FREE_GIB
    if free < needed:  # a store that runs out of room fails a run hours in, not at once
        work.rmdir()
        raise SystemExit(f"{work.parent}: {free:.1f} GiB free, the run needs {needed} GiB")
    started = time.perf_counter()
    this = options.code.resolve()
    name = "this" if this == ROOT else f"code in {this.name}"
    codes = {"this": Code(name, this), "base": extract_base(work / BASE_COMMIT)}
    for code in codes.values():
        tools.compile_code(code)
    bucket_store = store.start(work / "store")
    try:
        env = tools.tool_env(bucket_store.endpoint_url, bucket_store.access_key,
                             bucket_store.secret_key, work / "home")  # fmt: skip
        bench = Bench(env, codes, work, bucket_store.pid)
        found = {tag: tools.which_package(bench.code_env[tag], work) for tag in codes}
        for tag, code in codes.items():
            if str(code.root / "mediafeed") not in found[tag]:
                raise SystemExit(f"{code.name}: python -m mediafeed would run {found[tag]}")
        summary: dict[str, Any] = {
            "mode": "quick" if options.quick else "full",
            "sizes": size,
            "repeat": repeat,
            "machine": tools.machine(),
            "versions": {
                **tools.versions(env),
                "this": f"{tools.describe(this)} at {this}",
                "base": BASE_COMMIT,
            },  # fmt: skip
            "packages": found,
            "load_average_start": os.getloadavg(),
        }
        print(json.dumps(summary["machine"]), flush=True)
        if "a" in options.only:
            summary["a"] = first_publish(bench, work, bucket_store, size, repeat)
        if "b" in options.only:
            summary["bcd"] = large_show(bench, work, bucket_store, size, repeat)
        if "g" in options.only:
            summary["g"] = cron_show(bench, work, bucket_store, repeat)
        if "h" in options.only:
            summary["h"] = add_large(bench, work, size, repeat)
        summary["peak_rss_mb"] = round(bench.peak_rss_mb, 1)
        summary["rss_target_mb"] = RSS_LIMIT_MB
        summary["load_average_end"] = os.getloadavg()
        summary["total_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        store.stop(bucket_store)
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_tables(bench, summary)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "comparisons": bench.comparison_rows(),
                                   "runs": bench.runs, "failures": bench.failures},
                                  indent=2) + "\n")  # fmt: skip
    print(f"\nWrote {RESULTS}")


if __name__ == "__main__":
    main()
