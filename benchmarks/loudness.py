"""Loudness and renditions beside bare ffmpeg, on a 25-minute spoken MP3, in one run.

    python benchmarks/loudness.py            # three runs of each, the median counts
    python benchmarks/loudness.py --repeat 5

- `mediafeed normalize SLUG` (two loudnorm passes, tags written again, the copy metered
  and hashed, the episode file rewritten) beside ffmpeg's own two-pass loudnorm by hand:
  the analysis pass, then the correcting pass with the measured values, the same encoder
  and bitrate. Budget: at most 1.2x.
- `mediafeed build` making an Opus rendition (48 kb/s) of the episode beside
  `ffmpeg -i in.mp3 -c:a libopus -b:a 48k out.opus` alone. Budget: at most 1.1x.

Both sides use the ffmpeg imageio-ffmpeg ships, the one mediafeed runs; the runs of the
two sides alternate, so the machine's noise falls on both. Debian's espeak-ng, ffmpeg and
lame make the input once (into the work folder, kept between runs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
TEXT = (
    "Welkom bij de podcast. Vandaag praten we over eenzaamheid en over ontmoeting in het "
    "fysieke domein: buurthuizen, bankjes en bibliotheken, plekken waar mensen elkaar zien. "
    "Wat maakt een plek uitnodigend, en wie voelt zich er welkom?"
)
CONFIG = """\
title = "Benchmark"
description = "Loudness and renditions, timed."
author = "Benchmark"
language = "nl"
categories = [["Government"]]
explicit = false
artwork = "artwork.jpg"
link = "https://example.org/"
guid = "8d6f6e0c-5a41-4a7c-9a3e-2f0f7b1e2c3d"
{formats}
[owner]
name = "Benchmark"
email = "podcast@example.org"
"""


def sh(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, check=True, capture_output=True,
                          text=True)  # fmt: skip
    return done.stderr


def spoken_mp3(work: Path, minutes: float = 25.0) -> Path:
    """Quiet speech (-27 LUFS or so), looped to `minutes`, as LAME's 64 kb/s mono."""
    out = work / f"spoken-{minutes:g}min.mp3"
    if not out.exists():
        voice = work / "voice.wav"
        sh("espeak-ng", "-v", "nl", "-w", voice, TEXT)
        wav = work / "long.wav"
        sh("ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-stream_loop", "-1", "-i", voice,
           "-t", str(minutes * 60), "-af", "volume=-10dB", "-ar", "44100", "-ac", "1", wav)  # fmt: skip
        sh("lame", "--quiet", "-b", "64", wav, out)
        wav.unlink()
    return out


def mediafeed(show: Path, *args: str) -> None:
    sh(sys.executable, "-m", "mediafeed", "-C", show, *args, cwd=REPO)


def new_show(work: Path, source: Path, formats: str = "") -> Path:
    show = work / "show"
    shutil.rmtree(show, ignore_errors=True)
    (show / "episodes").mkdir(parents=True)
    shutil.copyfile(REPO / "artwork.jpg", show / "artwork.jpg")
    (show / "mediafeed.toml").write_text(CONFIG.format(formats=formats), encoding="utf-8")
    mediafeed(show, "add", str(source), "--slug", "ep", "--title", "Lang",
              "--date", "2021-11-02T09:00:00+01:00")  # fmt: skip
    return show


def ffmpeg_two_pass(source: Path, out: Path) -> None:
    """loudnorm as its documentation describes: measure, then correct with the figures."""
    first = "loudnorm=I=-19:TP=-1.5:LRA=11:print_format=json"
    log = sh(FFMPEG, "-nostdin", "-hide_banner", "-nostats", "-i", source, "-af", first,
             "-f", "null", "-")  # fmt: skip
    found = json.loads(log[log.rindex("{") : log.rindex("}") + 1])
    second = (
        f"loudnorm=I=-19:TP=-1.5:LRA=11:measured_I={found['input_i']}"
        f":measured_TP={found['input_tp']}:measured_LRA={found['input_lra']}"
        f":measured_thresh={found['input_thresh']}:offset={found['target_offset']}:linear=true"
    )
    sh(FFMPEG, "-nostdin", "-y", "-loglevel", "error", "-i", source, "-af", second,
       "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "64k", out)  # fmt: skip


def timed(run: Callable[[], None], prepare: Callable[[], None] | None = None) -> float:
    if prepare:
        prepare()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def compare(name: str, ours: tuple[Callable[[], None], Callable[[], None]],
            theirs: Callable[[], None], repeat: int, budget: float) -> dict[str, object]:  # fmt: skip
    mine, bare = [], []
    for index in range(repeat):  # alternate which goes first
        pair = [lambda: mine.append(timed(ours[0], ours[1])), lambda: bare.append(timed(theirs))]
        for step in pair if index % 2 == 0 else reversed(pair):
            step()
    ratio = statistics.median(mine) / statistics.median(bare)
    row = {"scenario": name, "mediafeed_s": mine, "ffmpeg_s": bare, "ratio": round(ratio, 3),
           "budget": budget, "within": ratio <= budget}  # fmt: skip
    print(f"{name}: mediafeed {' '.join(f'{t:.2f}' for t in mine)} s, ffmpeg "
          f"{' '.join(f'{t:.2f}' for t in bare)} s, ratio {ratio:.2f} (budget {budget})")  # fmt: skip
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=25.0)
    args = parser.parse_args()
    work = HERE / "scratch" / "loudness"
    work.mkdir(parents=True, exist_ok=True)
    source = spoken_mp3(work, args.minutes)
    scratch = Path(tempfile.mkdtemp(dir=work))
    rows = []

    show = new_show(work, source)
    media = show / "media"

    def fresh_episode() -> None:  # normalize from the original each time, nothing left over
        for path in media.glob("*-normalized.mp3"):
            path.unlink()
        episode = show / "episodes" / "ep.md"
        text = episode.read_text(encoding="utf-8")
        if "normalized:" in text:
            episode.write_text(saved, encoding="utf-8")

    saved = (show / "episodes" / "ep.md").read_text(encoding="utf-8")
    rows.append(compare("normalize a 25-minute MP3", (lambda: mediafeed(show, "normalize", "ep"),
                        fresh_episode), lambda: ffmpeg_two_pass(source, scratch / "n.mp3"),
                        args.repeat, 1.2))  # fmt: skip

    opus_show = new_show(work, source, "formats = { opus = 48 }\n")
    mediafeed(opus_show, "build")  # pages and media in place: what is timed is the encode

    def no_rendition() -> None:
        for path in (opus_show / "feed" / "media").glob("*.opus"):
            path.unlink()

    rows.append(compare("Opus rendition of a 25-minute MP3", (lambda: mediafeed(
        opus_show, "build"), no_rendition), lambda: sh(FFMPEG, "-nostdin", "-y", "-loglevel",
        "error", "-i", source, "-c:a", "libopus", "-b:a", "48k", scratch / "o.opus"),
        args.repeat, 1.1))  # fmt: skip
    shutil.rmtree(scratch)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "loudness.json").write_text(json.dumps(
        {"rows": rows, "ffmpeg": FFMPEG, "load": os.getloadavg()}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
