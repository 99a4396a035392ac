"""What `check` remembers of each episode, and the check a publish makes: an episode is
checked again when its file, a file it names or the code changes, and the check before a
publish finds every error the full check finds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mediafeed.check import check_show, errors
from mediafeed.cli import cli
from mediafeed.rules import RULES, Finding
from tests.mediafactory import jpeg
from tests.test_cache import edited_package, mediafeed_cli
from tests.test_check import BREAKAGES, NOW, ONTMOETING, SIGNALEN, clean, demo, edit, no_notes

__all__ = ["demo"]  # the fixture, used by name

SLUG = "ontmoeting-in-het-fysieke-domein"


def episode_rules(findings: tuple[Finding, ...]) -> list[tuple[str, str, str | None]]:
    """The findings of each episode's own rules: not the tags, which the edit makes stale."""
    return [(f.rule, f.path, f.field) for f in clean(findings) if f.rule != "stale-tags"]


def test_an_edited_episode_file_is_checked_again(demo: Path) -> None:
    assert clean(check_show(demo, now=NOW)) == ()
    no_notes(demo)
    assert episode_rules(check_show(demo, now=NOW)) == [("description-missing", SIGNALEN, "notes")]


def test_an_episode_is_checked_again_when_its_image_changes(demo: Path) -> None:
    shutil.copyfile(jpeg(demo / "tmp", size=1400), demo / "cover.jpg")
    edit(demo / ONTMOETING, r"^(audio: .*)$", r"\1\nimage: cover.jpg")
    assert episode_rules(check_show(demo, now=NOW)) == []
    shutil.copyfile(jpeg(demo / "tmp", size=600), demo / "cover.jpg")
    assert episode_rules(check_show(demo, now=NOW)) == [("artwork-size", ONTMOETING, "image")]


def test_an_episode_is_checked_again_when_its_built_chapters_file_breaks(demo: Path) -> None:
    assert CliRunner().invoke(cli, ["-C", str(demo), "build"]).exit_code == 0
    assert clean(check_show(demo, now=NOW)) == ()
    chapters = demo / "feed" / "episodes" / SLUG / "chapters.json"
    chapters.write_text('{"version": "1.2.0"}', encoding="utf-8")
    found = clean(check_show(demo, now=NOW))
    assert [(f.rule, f.message) for f in found] == [("chapters", "needs a 'chapters' list")]


def test_remembered_findings_are_made_again_by_changed_code(demo: Path, tmp_path: Path) -> None:
    no_notes(demo)
    assert "notes: no show notes and no summary [" in mediafeed_cli(demo, "check").stdout
    edited = edited_package(tmp_path, "check.py", "no show notes and no summary", "geen notes")
    again = mediafeed_cli(demo, "check", pythonpath=edited).stdout
    assert "notes: geen notes [description-missing]" in again


@pytest.mark.parametrize("rule", sorted(BREAKAGES))
def test_the_check_before_a_publish_finds_every_error(demo: Path, rule: str) -> None:
    BREAKAGES[rule][0](demo)
    found = errors(check_show(demo, now=NOW, errors_only=True))
    assert found == errors(check_show(demo, now=NOW))
    assert any(f.rule == rule for f in found) == (RULES[rule][0] == "error")


def test_publish_refuses_media_changed_since_the_last_publish(demo: Path) -> None:
    assert CliRunner().invoke(cli, ["-C", str(demo), "publish"]).exit_code == 0
    media = demo / "media" / f"{SLUG}.mp3"
    data = bytearray(media.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the same size, another content
    media.write_bytes(bytes(data))
    result = CliRunner().invoke(cli, ["-C", str(demo), "publish"])
    assert result.exit_code == 1 and "1 error" in result.output
    [found] = errors(check_show(demo, now=NOW))
    assert (found.rule, found.path, found.field) == ("enclosure-length", ONTMOETING, "sha256")
