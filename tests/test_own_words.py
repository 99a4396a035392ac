"""A show in a language mediafeed has no page words for writes its own, in
`templates/words/<language>.toml`: its pages then read in its language, and `check` names
the words still in English."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import mediafeed
from mediafeed.check import check_show
from tests.mediafactory import mp3_cbr
from tests.test_pipeline import ok, run

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
ENGLISH = Path(mediafeed.__file__).parent / "render" / "words" / "en.toml"


@pytest.fixture
def frisian(tmp_path: Path) -> Path:
    """A show in West Frisian, with one episode built."""
    show = tmp_path / "show"
    ok(show, "init", str(show), "--title", "Ien tsjin iensumens", "--language", "fy")
    ok(show, "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", "Wolkom")
    return show


def words(show: Path, text: str) -> Path:
    path = show / "templates" / "words" / "fy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def page(show: Path) -> str:
    return (show / "feed" / "episodes" / "wolkom" / "index.html").read_text(encoding="utf-8")


def test_the_shows_own_words_are_on_its_pages(frisian: Path) -> None:
    words(frisian, 'skip_to_content = "Gean nei de ynhâld"\nlisten = "Harkje"\n')
    ok(frisian, "build")
    text = page(frisian)
    assert '<html lang="fy"' in text
    assert "Gean nei de ynhâld" in text and "Skip to content" not in text
    assert "Gean nei de ynhâld" in (frisian / "feed" / "index.html").read_text(encoding="utf-8")


def test_an_edited_word_reaches_every_page_on_the_next_build(frisian: Path) -> None:
    path = words(frisian, 'skip_to_content = "Gean nei de ynhâld"\n')
    ok(frisian, "build")
    path.write_text('skip_to_content = "Direkt nei de ynhâld"\n', encoding="utf-8")
    ok(frisian, "build")
    assert "Direkt nei de ynhâld" in page(frisian) and "Gean nei" not in page(frisian)


def test_check_names_the_words_still_in_english(frisian: Path) -> None:
    [before] = [f for f in check_show(frisian, now=NOW) if f.rule == "page-words"]
    words(frisian, 'skip_to_content = "Gean nei de ynhâld"\n')
    [partly] = [f for f in check_show(frisian, now=NOW) if f.rule == "page-words"]
    assert int(partly.message.split()[0]) == int(before.message.split()[0]) - 1
    assert "templates/words/fy.toml" in partly.message
    shutil.copyfile(ENGLISH, frisian / "templates" / "words" / "fy.toml")
    assert not [f for f in check_show(frisian, now=NOW) if f.rule == "page-words"]


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ('download = "Download ({soort})"\n', "download", "may fill in only"),
        ('luister = "Harkje"\n', "luister", "unknown field"),
        ('months = ["jannewaris"]\n', "months", "must be written as"),
        ('listen = "Harkje\n', None, "not a TOML file"),
    ],
)
def test_a_broken_words_file_is_one_line_naming_it(
    frisian: Path, text: str, field: str | None, problem: str
) -> None:
    words(frisian, text)
    result = run(frisian, "build")
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "templates/words/fy.toml" in line and problem in line
    if field:
        assert f": {field}: " in line
    [finding] = [f for f in check_show(frisian, now=NOW) if f.rule == "words-file"]
    assert finding.severity == "error" and finding.field == field


def test_init_writes_the_english_words_to_translate_for_a_language_we_lack(
    tmp_path: Path,
) -> None:
    ok(tmp_path / "fy", "init", str(tmp_path / "fy"), "--title", "Ien", "--language", "fy")
    draft = (tmp_path / "fy" / "templates" / "words" / "fy.toml").read_text(encoding="utf-8")
    assert '# skip_to_content = "Skip to content"' in draft
    assert not [line for line in draft.splitlines() if line and not line.startswith("#")]
    ok(tmp_path / "nl", "init", str(tmp_path / "nl"), "--title", "Een", "--language", "nl")
    assert not (tmp_path / "nl" / "templates").exists()


def test_a_translated_line_of_the_draft_is_on_the_pages(tmp_path: Path) -> None:
    show = tmp_path / "show"
    ok(show, "init", str(show), "--title", "Ien tsjin iensumens", "--language", "fy")
    path = show / "templates" / "words" / "fy.toml"
    draft = path.read_text(encoding="utf-8")
    path.write_text(draft.replace('# listen = "Listen"', 'listen = "Harkje"'), encoding="utf-8")
    ok(show, "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", "Wolkom")
    ok(show, "build")
    assert "Harkje" in page(show)
