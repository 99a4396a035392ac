"""CLI conventions: help everywhere, usage errors exit 2, newsletter wiring, init."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mediafeed.cli import cli
from tests.mediafactory import mp3_cbr

COMMANDS = ["init", "add", "list", "tag", "build", "publish", "serve", "newsletter", "store"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_usage_error_exits_2() -> None:
    assert CliRunner().invoke(cli, ["add"]).exit_code == 2


def test_init_creates_a_show_that_builds(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path / "s"), "--title", "Test"]).exit_code == 0
    result = runner.invoke(cli, ["-C", str(tmp_path / "s"), "build"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "feed" / "feed.xml").is_file()


def test_init_says_how_to_add_to_the_show_from_where_it_ran(tmp_path: Path) -> None:
    media = mp3_cbr(tmp_path)
    said = CliRunner().invoke(cli, ["init", str(tmp_path / "my show")]).output
    command = said.split("add an episode: ")[1].strip().replace("FILE", str(media))
    command = command.replace("mediafeed", f"{sys.executable} -m mediafeed", 1)
    added = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=tmp_path)
    assert added.returncode == 0, (command, added.stderr)


def test_init_refuses_an_existing_show(show_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(show_dir)])
    assert result.exit_code == 1 and "already exists" in result.output


def test_init_refuses_a_blank_title_every_command_would_refuse(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "s"), "--title", " "])
    assert result.exit_code == 1 and "--title: must not be empty" in result.output
    assert not (tmp_path / "s").exists()


def test_newsletter_defaults_to_the_newest_published_episode(
    show_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    for title, date in (
        ("Oud", "2021-10-05T09:00:00+02:00"),
        ("Ontmoeting", "2021-11-02T09:00:00+01:00"),
    ):
        media = mp3_cbr(tmp_path, f"{title}.mp3")
        args = ["-C", str(show_dir), "add", str(media), "--title", title, "--date", date]
        assert runner.invoke(cli, args).exit_code == 0
    result = runner.invoke(cli, ["-C", str(show_dir), "newsletter", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "Ontmoeting" in result.output and "Hier vindt u de podcast" in result.output
    assert "/episodes/ontmoeting/index.html" in result.output


def test_newsletter_refuses_a_draft(show_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "-C",
        str(show_dir),
        "add",
        str(mp3_cbr(tmp_path, "d.mp3")),
        "--title",
        "Geheim",
        "--draft",
    ]
    assert runner.invoke(cli, args).exit_code == 0
    result = runner.invoke(cli, ["-C", str(show_dir), "newsletter", "geheim"])
    assert result.exit_code == 1 and "draft" in result.output


def test_console_script_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mediafeed", "-C", str(tmp_path), "build"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().count("\n") == 0 and "mediafeed.toml" in completed.stderr


@pytest.fixture
def long_listing(show_dir: Path, tmp_path: Path) -> Path:
    """A show whose `list --json` is larger than a pipe holds."""
    from tests.showmaker import many_episodes

    many_episodes(show_dir, tmp_path, 1000)
    return show_dir


def test_the_command_line_exits_with_all_its_output_written(long_listing: Path) -> None:
    import json

    done = subprocess.run(
        [sys.executable, "-m", "mediafeed", "-C", str(long_listing), "list", "--json"],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 1000


def test_a_reader_that_goes_away_gets_no_error_message(long_listing: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediafeed", "-C", str(long_listing), "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    assert proc.wait(timeout=120) == 141
    assert proc.stderr.read() == b""


@pytest.mark.parametrize("folder", ["episodes", "media"])
def test_a_folder_it_cannot_write_is_named_not_a_temp_file(
    show_dir: Path, tmp_path: Path, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open
    denied = str(show_dir / folder)

    def read_only_open(path: str, flags: int, *args: int) -> int:
        if flags & os.O_CREAT and os.path.dirname(os.fspath(path)) == denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args)

    media = mp3_cbr(tmp_path, "a.mp3")
    monkeypatch.setattr(os, "open", read_only_open)
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "add", str(media), "--title", "A"])
    assert result.exit_code == 1
    line = result.output.strip()
    assert line.startswith(f"Error: {denied}") and line.endswith(": Permission denied"), line
    assert ".tmp" not in line and ".part" not in line


def test_a_date_that_is_not_one_is_a_usage_error_naming_the_option(
    show_dir: Path, tmp_path: Path
) -> None:
    args = ["-C", str(show_dir), "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", "A"]
    result = CliRunner().invoke(cli, [*args, "--date", "2026-02-30"])
    assert result.exit_code == 2
    assert "Invalid value for '--date': '2026-02-30' is not an ISO 8601 date" in result.output


def test_add_takes_the_title_of_an_mp3_tagged_only_in_apev2(show_dir: Path, tmp_path: Path) -> None:
    """foobar2000 and mp3gain write APEv2 tags at the end of an MP3, and no ID3."""
    from mutagen.apev2 import APEv2

    media = mp3_cbr(tmp_path, "export_final.mp3")
    ape = APEv2()
    ape["Title"] = "Ontmoeting op het plein"
    ape.save(media)
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "add", str(media)])
    assert result.exit_code == 0, result.output
    assert "Added ontmoeting-op-het-plein: Ontmoeting op het plein" in result.output


def test_add_writes_a_title_pasted_over_two_lines_on_one(show_dir: Path, tmp_path: Path) -> None:
    media = mp3_cbr(tmp_path, "a.mp3")
    args = ["-C", str(show_dir), "add", str(media), "--title", "Ontmoeting\n in de  buurt\t"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Added ontmoeting-in-de-buurt: Ontmoeting in de buurt (")
    assert (
        "title: Ontmoeting in de buurt\n"
        in (show_dir / "episodes" / "ontmoeting-in-de-buurt.md").read_text()
    )


def test_add_names_an_episode_tagged_with_a_blank_title_after_its_file(
    show_dir: Path, tmp_path: Path
) -> None:
    from mutagen.id3 import ID3, TIT2

    media = mp3_cbr(tmp_path, "gesprek_met_anna.mp3")
    tags = ID3()
    tags.add(TIT2(encoding=3, text=["   "]))
    tags.save(media)
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "add", str(media)])
    assert result.exit_code == 0, result.output
    assert "Added gesprek-met-anna: gesprek met anna" in result.output


def test_a_slug_too_long_for_a_file_name_is_refused_by_its_length(
    show_dir: Path, tmp_path: Path
) -> None:
    media = mp3_cbr(tmp_path, "a.mp3")
    args = ["-C", str(show_dir), "add", str(media), "--title", "A", "--slug", "a" * 240]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.output.strip().endswith("slug: is 240 characters; a slug has at most 100")
    assert list((show_dir / "episodes").iterdir()) == []


def test_add_says_its_default_title_is_the_one_tagged_in_the_file(
    show_dir: Path, tmp_path: Path
) -> None:
    from mediafeed.media.frames import EpisodeTags
    from mediafeed.media.tags import write_tags

    media = mp3_cbr(tmp_path, "export_final.mp3")
    write_tags(media, EpisodeTags(title="Ontmoeting"))
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "add", str(media)])
    assert result.exit_code == 0 and "Added ontmoeting: Ontmoeting" in result.output
    help_text = " ".join(CliRunner().invoke(cli, ["add", "--help"]).output.split())
    assert "(default: the file's title tag, else its name)" in help_text


@pytest.mark.parametrize("args", [("list",), ("list", "--json")])
def test_output_to_a_file_carries_any_title_where_the_locale_cannot(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Redirected on Windows, standard output is cp1252: Arabic, Polish or an emoji in a
    title stopped `list > episodes.txt` with a traceback."""
    show = tmp_path / "show"
    assert CliRunner().invoke(cli, ["init", str(show), "--title", "T"]).exit_code == 0
    title = "مرحبا Łódź 🎙"
    added = CliRunner().invoke(
        cli, ["-C", str(show), "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", title]
    )
    assert added.exit_code == 0, added.output
    done = subprocess.run(
        [sys.executable, "-m", "mediafeed", "-C", str(show), *args],
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "cp1252"},
    )
    assert done.returncode == 0, done.stderr
    assert title in done.stdout.decode("utf-8")


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_a_date_beyond_the_calendar_in_utc_is_named_as_the_problem(
    show_dir: Path, tmp_path: Path, date: str
) -> None:
    args = ["-C", str(show_dir), "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", "A"]
    result = CliRunner().invoke(cli, [*args, "--date", date])
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert f"--date {date!r} is out of range" in line and "tags" not in line, line
    assert list((show_dir / "episodes").iterdir()) == []
    assert list((show_dir / "media").iterdir()) == []


def test_a_date_in_a_year_of_two_digits_is_named_as_podcast_apps_misread_it() -> None:
    """podcastparser (gPodder) reads 'Mon, 01 Jan 0001' as 2001-01-01."""
    from mediafeed.frontmatter import published_at

    with pytest.raises(ValueError, match="out of range: apps read year 1 as 2001"):
        published_at("0001-01-01T00:00:00+00:00")
    assert published_at("0100-01-01T00:00:00+00:00").year == 100


def test_an_episode_date_beyond_the_calendar_in_utc_is_named() -> None:
    from mediafeed.frontmatter import published_at

    with pytest.raises(ValueError, match="'9999-12-31T23:00:00-05:00' is out of range"):
        published_at("9999-12-31T23:00:00-05:00")


def _stopped_once(command: list[str], started: Callable[[], bool]) -> tuple[int, str]:
    """Ctrl-C as soon as `started()`: the exit code and what the command said on stderr."""
    running = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not started():
        assert running.poll() is None and time.monotonic() < deadline, running.communicate()
        time.sleep(0.01)
    running.send_signal(signal.SIGINT)
    _, errors = running.communicate(timeout=60)
    return running.returncode, errors.strip()


def test_ctrl_c_during_add_says_nothing_was_added(show_dir: Path, tmp_path: Path) -> None:
    media = mp3_cbr(tmp_path, "lang.mp3", seconds=900.0)
    before = sorted(show_dir.rglob("*"))
    add = [sys.executable, "-m", "mediafeed", "-C", str(show_dir), "add", str(media)]
    code, said = _stopped_once(add, lambda: any((show_dir / "media").glob(".*.part")))
    assert (code, said) == (130, "Stopped: nothing was added, and your file is as it was.")
    assert sorted(show_dir.rglob("*")) == before


def test_ctrl_c_during_build_says_how_to_finish(show_dir: Path, tmp_path: Path) -> None:
    media = mp3_cbr(tmp_path, "lang.mp3", seconds=900.0)
    command = [sys.executable, "-m", "mediafeed", "-C", str(show_dir)]
    subprocess.run([*command, "add", str(media), "--date", "2021-10-05T09:00:00+02:00"], check=True)
    config = show_dir / "mediafeed.toml"
    config.write_text('formats = ["opus"]\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    code, said = _stopped_once([*command, "build"], (show_dir / "feed").exists)
    assert (code, said) == (130, "Stopped: run 'mediafeed build' again to finish feed/.")


@pytest.mark.slow
def test_ctrl_c_during_normalize_says_the_episode_keeps_its_media(
    show_dir: Path, tmp_path: Path
) -> None:
    media = mp3_cbr(tmp_path, "lang.mp3", seconds=900.0)
    command = [sys.executable, "-m", "mediafeed", "-C", str(show_dir)]
    subprocess.run([*command, "add", str(media), "--slug", "lang"], check=True)
    episode = (show_dir / "episodes" / "lang.md").read_bytes()
    started = time.monotonic()
    code, said = _stopped_once(
        [*command, "normalize", "lang"], lambda: time.monotonic() > started + 2
    )
    assert code == 130
    assert said == "Stopped: lang keeps the media it had; run the same command again to finish."
    assert (show_dir / "episodes" / "lang.md").read_bytes() == episode
