"""What the commands say: counts in the right number, and a repeated command saying so."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from mediafeed.cli import cli
from tests.mediafactory import mp3_cbr


def run(show: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(show), *args])


def add(show: Path, tmp_path: Path, title: str, *args: str) -> None:
    media = mp3_cbr(tmp_path, f"{title}.mp3")
    result = run(show, "add", str(media), "--title", title, *args)
    assert result.exit_code == 0, result.output


def test_build_counts_one_episode_in_the_singular(show_dir: Path, tmp_path: Path) -> None:
    add(show_dir, tmp_path, "Ontmoeting", "--date", "2021-11-02T09:00:00+01:00")
    result = run(show_dir, "build")
    assert result.exit_code == 0, result.output
    assert ": 1 episode in the feed" in result.output
    assert "episodes" not in result.output


def test_build_names_drafts_scheduled_and_unpublished_apart(show_dir: Path, tmp_path: Path) -> None:
    add(show_dir, tmp_path, "Oud", "--date", "2021-10-05T09:00:00+02:00")
    add(show_dir, tmp_path, "Weg", "--date", "2021-10-12T09:00:00+02:00")
    add(show_dir, tmp_path, "Concept", "--draft")
    add(show_dir, tmp_path, "Later", "--date", "2999-01-01T09:00:00+00:00")
    assert run(show_dir, "unpublish", "weg").exit_code == 0
    result = run(show_dir, "build")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        ": 1 episode in the feed; not public yet: 1 draft and 1 scheduled; "
        "1 unpublished (a notice page each)"
    )


def test_unpublishing_twice_says_nothing_changed(show_dir: Path, tmp_path: Path) -> None:
    add(show_dir, tmp_path, "Ontmoeting", "--date", "2021-11-02T09:00:00+01:00")
    first = run(show_dir, "unpublish", "ontmoeting")
    assert first.exit_code == 0 and first.output.startswith("Unpublished ontmoeting")
    episode_file = show_dir / "episodes" / "ontmoeting.md"
    before = episode_file.read_bytes()
    again = run(show_dir, "unpublish", "ontmoeting")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("ontmoeting was unpublished already; nothing changed.")
    assert "Unpublished" not in again.output
    assert episode_file.read_bytes() == before


def test_unpublishing_a_draft_changes_nothing_and_says_why(show_dir: Path, tmp_path: Path) -> None:
    add(show_dir, tmp_path, "Concept", "--draft")
    episode_file = show_dir / "episodes" / "concept.md"
    before = episode_file.read_bytes()
    result = run(show_dir, "unpublish", "concept")
    assert result.exit_code == 1
    assert "concept.md: is a draft" in result.output and "nothing changed" in result.output
    assert "Unpublished" not in result.output
    assert episode_file.read_bytes() == before


def test_add_calls_a_due_episode_ready_not_published(show_dir: Path, tmp_path: Path) -> None:
    media = mp3_cbr(tmp_path, "o.mp3")
    result = run(show_dir, "add", str(media), "--title", "Ontmoeting")
    assert result.exit_code == 0, result.output
    assert ", ready)" in result.output and "published" not in result.output


def test_unpublishing_a_scheduled_episode_changes_nothing_and_says_why(
    show_dir: Path, tmp_path: Path
) -> None:
    add(show_dir, tmp_path, "Later", "--date", "2999-01-01T09:00:00+01:00")
    episode_file = show_dir / "episodes" / "later.md"
    before = episode_file.read_bytes()
    result = run(show_dir, "unpublish", "later")
    assert result.exit_code == 1
    assert "later.md: is scheduled for 2999-01-01" in result.output
    assert "nothing changed" in result.output and "draft: true" in result.output
    assert "Unpublished" not in result.output
    assert episode_file.read_bytes() == before


def test_unpublishing_a_file_saved_with_windows_line_ends_keeps_its_notes_whole(
    show_dir: Path, tmp_path: Path
) -> None:
    add(show_dir, tmp_path, "Ontmoeting", "--date", "2021-11-02T09:00:00+01:00")
    episode_file = show_dir / "episodes" / "ontmoeting.md"
    text = episode_file.read_text(encoding="utf-8") + "\nEerste regel.\nTweede regel.\n"
    episode_file.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    result = run(show_dir, "unpublish", "ontmoeting")
    assert result.exit_code == 0, result.output
    written = episode_file.read_bytes()
    assert b"\r" not in written and written.endswith(b"\nEerste regel.\nTweede regel.\n")
