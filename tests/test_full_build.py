"""Full builds: episode outputs made in forked processes are those made in one, a build
stopped halfway and run again ends with whole files, and an error in a child reads as
it does in one process."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mediafeed import fresh
from mediafeed import output as outputs
from mediafeed.build import build
from mediafeed.config import load_show
from mediafeed.errors import MediafeedError
from mediafeed.links import Links
from mediafeed.render import notes
from tests.showmaker import many_episodes

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LINKS = Links("https://podcast.example.org/show")
COUNT = 6


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def add_field(show: Path, slug: str, lines: str) -> None:
    """Put front matter lines at the top of an episode file."""
    path = show / "episodes" / f"{slug}.md"
    path.write_text(path.read_text().replace("---\n", f"---\n{lines}", 1))


@pytest.fixture
def show(show_dir: Path, tmp_path: Path) -> Path:
    """A show whose episodes between them have chapters, an image and a transcript; the
    last two in the older half, which a forked child makes."""
    slugs = many_episodes(show_dir, tmp_path, COUNT)
    (show_dir / "transcripts").mkdir()
    (show_dir / "transcripts" / "twee.vtt").write_text(
        "WEBVTT\n\n00:00.000 --> 00:01.000\n<v Anna>Welkom bij de tweede.\n")
    shutil.copy(show_dir / "artwork.jpg", show_dir / "media" / "drie.jpg")
    add_field(show_dir, slugs[1], "transcript: transcripts/twee.vtt\n")
    add_field(show_dir, slugs[2], "image: media/drie.jpg\n")
    add_field(show_dir, slugs[4], "chapters:\n- start: 0\n  title: Begin\n")
    return show_dir


@pytest.fixture
def forks(children: list[int], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Builds of this test fork for as few as two fresh episodes; the list grows by one
    for each child started."""
    monkeypatch.setattr(fresh, "FORK_FROM", 2)
    return children


def serial_copy(show: Path, tmp_path: Path) -> Path:
    """The same show elsewhere, built in one process."""
    copy = tmp_path / "apart" / "show"
    shutil.copytree(show, copy, symlinks=True)
    return copy


def built_in_one_process(show: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patched:
        patched.setattr(fresh, "FORK_FROM", 10**9)
        return build(load_show(show), links=LINKS, now=NOW)


def test_forked_processes_write_the_files_one_process_writes(
    show: Path, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = serial_copy(show, tmp_path)
    result = build(load_show(show), links=LINKS, now=NOW)
    built_in_one_process(alone, monkeypatch)
    assert forks
    assert files(show / "feed") == files(alone / "feed")
    assert len(result.manifest.objects) == len(files(show / "feed"))


def test_forked_processes_give_the_manifest_of_one_process(
    show: Path, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = serial_copy(show, tmp_path)
    together = build(load_show(show), links=LINKS, now=NOW).manifest.objects
    apart = built_in_one_process(alone, monkeypatch).manifest.objects
    assert forks
    assert [(o.key, o.size, o.sha256, o.content_type) for o in together] == [
        (o.key, o.size, o.sha256, o.content_type) for o in apart]  # fmt: skip


def test_a_rebuild_after_a_forked_build_writes_nothing(show: Path, forks: list[int]) -> None:
    build(load_show(show), links=LINKS, now=NOW)
    before = {p: p.stat().st_mtime_ns for p in (show / "feed").rglob("*")}
    build(load_show(show), links=LINKS, now=NOW)
    assert forks
    assert {p: p.stat().st_mtime_ns for p in (show / "feed").rglob("*")} == before


def test_notes_rendered_in_a_child_are_not_rendered_again_for_the_feed(
    show: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notes, "_known", {})
    rendered: list[str] = []
    real = notes._markdown
    monkeypatch.setattr(notes, "_markdown", lambda source: rendered.append(source) or real(source))
    build(load_show(show), links=LINKS, now=NOW)
    assert forks
    assert len(rendered) == COUNT // 2  # the newer half, made here; the child's came back


def test_a_missing_transcript_in_a_child_is_the_error_of_one_process(
    show: Path, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    (show / "transcripts" / "twee.vtt").unlink()
    alone = serial_copy(show, tmp_path)
    with pytest.raises(MediafeedError) as apart:
        built_in_one_process(alone, monkeypatch)
    with pytest.raises(MediafeedError) as together:
        build(load_show(show), links=LINKS, now=NOW)
    assert forks
    assert str(together.value) == str(apart.value).replace(str(alone), str(show))
    assert "twee.vtt" in str(together.value)


def killed_at_write(show: Path, number: int) -> None:
    """Build in a child that is killed halfway through the `number`th file it writes,
    leaving half of it on disk."""
    pid = os.fork()
    if pid == 0:
        try:
            written = [0]
            real: Callable[[int, bytes], None] = outputs._write_all

            def half(fd: int, data: bytes) -> None:
                written[0] += 1
                if written[0] == number:
                    real(fd, data[: len(data) // 2])
                    os._exit(9)
                real(fd, data)

            outputs._write_all = half  # type: ignore[assignment]
            fresh.FORK_FROM = 10**9
            build(load_show(show), links=LINKS, now=NOW)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9


def test_a_first_build_stopped_halfway_ends_whole_when_run_again(show: Path) -> None:
    build(load_show(show), links=LINKS, now=NOW)
    whole = files(show / "feed")
    shutil.rmtree(show / "feed")
    shutil.rmtree(show / ".mediafeed")
    killed_at_write(show, 3)
    build(load_show(show), links=LINKS, now=NOW)
    assert files(show / "feed") == whole


def test_a_page_left_half_written_is_not_taken_as_made_from_the_same_inputs(
    show: Path,
) -> None:
    build(load_show(show), links=LINKS, now=NOW)
    whole = files(show / "feed")
    (show / ".mediafeed" / "build.pickle").unlink()
    (show / "feed" / "episodes" / "aflevering-00002" / "index.html").unlink()
    killed_at_write(show, 1)
    build(load_show(show), links=LINKS, now=NOW)
    assert files(show / "feed") == whole
