"""Episode files: front matter parsed into explicit fields, problems named by field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mediafeed.episodes import (
    episode_fields,
    load_episode,
    load_episodes,
    render_episode_file,
)
from mediafeed.errors import EpisodeError
from mediafeed.frontmatter import parse_timestamp
from mediafeed.model import Location

VALID = """\
---
title: Ontmoeting
guid: 29e6eedd-3461-465d-a327-dd631a9f491e
published: '2021-11-02T09:00:00+01:00'
audio: media/ontmoeting.mp3
duration: 1500.5
length: 24000000
mime_type: audio/mpeg
sha256: 9ce3dc91e19380307d1d03e74e283aea01760fcd3d5cc345a93a9b0952632133
---

Notities.
"""


def episode_file(tmp_path: Path, text: str, name: str = "ontmoeting.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str, timezone: str | None = None) -> EpisodeError:
    """The error loading an episode file of `text` raises."""
    with pytest.raises(EpisodeError) as caught:
        load_episode(episode_file(tmp_path, text), timezone)
    return caught.value


def test_a_valid_file_loads(tmp_path: Path) -> None:
    ep = load_episode(episode_file(tmp_path, VALID))
    assert ep.slug == "ontmoeting" and ep.notes == "Notities."
    assert ep.published == dt.datetime.fromisoformat("2021-11-02T09:00:00+01:00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("title: Ontmoeting\n", ""), "title"),
        (
            ("published: '2021-11-02T09:00:00+01:00'", "published: '2021-11-02T09:00:00'"),
            "published",
        ),
        (("published: '2021-11-02T09:00:00+01:00'", "published: 2021-11-02"), "published"),
        (("audio: media/ontmoeting.mp3", "audio: ../../etc/passwd"), "audio"),
        (("audio: media/ontmoeting.mp3", "audio: /etc/passwd"), "audio"),
        (("audio: media/ontmoeting.mp3", "audio: media/één.mp3"), "audio"),
        (("duration: 1500.5", "duration: lang"), "duration"),
        (("title: Ontmoeting\n", "title: Ontmoeting\nseasn: 2\n"), "seasn"),
        (("title: Ontmoeting\n", "title: Ontmoeting\nepisode_type: extra\n"), "episode_type"),
        (
            ("title: Ontmoeting\n", "title: Ontmoeting\nlocation: {name: X, geo: '1,2'}\n"),
            "location",
        ),
    ],
)
def test_bad_fields_are_named(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    caught = refused(tmp_path, VALID.replace(*change))
    assert caught.field == field and caught.path.endswith("ontmoeting.md")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("draft: 'yes'", "draft"),
        ("unpublished: 'ja'", "unpublished"),
        ("explicit: 'no'", "explicit"),
        ("keywords: zorg, eenzaamheid", "keywords"),
        ("summary: [een, twee]", "summary"),
    ],
)
def test_a_field_of_the_wrong_kind_is_named_not_left_at_its_default(
    tmp_path: Path, line: str, field: str
) -> None:
    caught = refused(tmp_path, VALID.replace("title: Ontmoeting\n", f"title: Ontmoeting\n{line}\n"))
    assert caught.field == field and "expected" in caught.message


def test_an_audio_field_that_is_not_a_path_is_named(tmp_path: Path) -> None:
    text = VALID.replace("audio: media/ontmoeting.mp3", "audio: 3")
    caught = refused(tmp_path, text)
    assert caught.field == "audio" and caught.message == "expected text, got 3"


def test_two_files_with_one_guid_name_each_other(tmp_path: Path) -> None:
    episode_file(tmp_path, VALID, "eerste.md")
    episode_file(tmp_path, VALID.replace("2021-11-02", "2021-11-09"), "tweede.md")
    with pytest.raises(EpisodeError) as caught:
        load_episodes(tmp_path)
    assert Path(caught.value.path) == tmp_path / "tweede.md" and caught.value.field == "guid"
    assert "also in eerste.md" in str(caught.value)


def test_hidden_files_beside_the_episodes_are_not_episodes(tmp_path: Path) -> None:
    """macOS writes a `._` file beside each file on FAT, exFAT and network drives."""
    episode_file(tmp_path, VALID)
    (tmp_path / "._ontmoeting.md").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    assert [ep.slug for ep in load_episodes(tmp_path)] == ["ontmoeting"]


def test_file_name_must_be_a_slug(tmp_path: Path) -> None:
    with pytest.raises(EpisodeError, match="slug"):
        load_episode(episode_file(tmp_path, VALID, "Ontmoeting Nu.md"))


def test_location_as_mapping(tmp_path: Path) -> None:
    text = VALID.replace(
        "title: Ontmoeting\n",
        "title: Ontmoeting\nlocation: {name: Utrecht, geo: 'geo:52.09,5.12'}\n",
    )
    assert load_episode(episode_file(tmp_path, text)).location == Location(
        "Utrecht", "geo:52.09,5.12"
    )


@pytest.mark.parametrize(
    ("value", "seconds"), [(90, 90.0), ("1:30", 90.0), ("01:01:30.5", 3690.5), (0, 0.0)]
)
def test_chapter_timestamps(value: object, seconds: float) -> None:
    assert parse_timestamp(value) == seconds


@pytest.mark.parametrize("value", ["9:99", "1:60:00", "0:07:60.5"])
def test_a_timestamp_with_60_or_more_minutes_or_seconds_is_a_typo(value: str) -> None:
    with pytest.raises(ValueError, match="is not a time like 90 or 1:30"):
        parse_timestamp(value)


@pytest.mark.parametrize("name", ["ep#1.mp3", "ep?1.mp3", "ep%201.mp3", "ep 1.mp3", "één.mp3"])
def test_a_media_name_that_would_break_its_url_is_refused(tmp_path: Path, name: str) -> None:
    """The name goes into the enclosure URL as it is: 'ep#1' would be fetched as 'ep'."""
    text = VALID.replace("audio: media/ontmoeting.mp3", f"audio: 'media/{name}'")
    caught = refused(tmp_path, text)
    assert caught.field == "audio" and "must be an ASCII file name" in caught.message


@pytest.mark.parametrize("value", [".inf", ".nan", "-.inf"])
def test_a_duration_that_is_no_number_is_named(tmp_path: Path, value: str) -> None:
    """YAML reads .inf and .nan as floats; no feed or page can say them."""
    text = VALID.replace("duration: 1500.5", f"duration: {value}")
    caught = refused(tmp_path, text)
    assert caught.field == "duration" and "is not a finite number" in caught.message


def test_a_chapter_start_that_is_no_number_is_named(tmp_path: Path) -> None:
    text = VALID.replace("audio:", "chapters:\n- start: .inf\n  title: Nooit\naudio:")
    caught = refused(tmp_path, text)
    assert caught.field == "chapters" and "is not a finite number" in caught.message


def test_a_path_written_with_backslashes_is_told_to_use_slashes(tmp_path: Path) -> None:
    """Windows Explorer copies paths with backslashes; the fix is one character away."""
    text = VALID.replace("audio: media/ontmoeting.mp3", "audio: 'media\\ontmoeting.mp3'")
    caught = refused(tmp_path, text)
    assert caught.field == "audio"
    assert (
        caught.message
        == "'media\\ontmoeting.mp3': separate folders with '/', as in media/ontmoeting.mp3"
    )


@pytest.mark.parametrize("title", ["", "''", "' '"])
def test_a_chapter_without_a_title_is_refused_in_its_file(tmp_path: Path, title: str) -> None:
    """Else it reached the feed as 'None' or stopped the build in a page template."""
    text = VALID.replace("audio:", f"chapters:\n- start: 0\n  title: {title}\naudio:")
    caught = refused(tmp_path, text)
    assert caught.field == "chapters" and "needs a title" in caught.message


@pytest.mark.parametrize("name", ["", "''"])
def test_a_person_without_a_name_is_refused_in_its_file(tmp_path: Path, name: str) -> None:
    """Else the feed named the guest 'None' or '?'."""
    text = VALID.replace("audio:", f"persons:\n- name: {name}\n  role: guest\naudio:")
    caught = refused(tmp_path, text)
    assert caught.field == "persons" and "needs a name" in caught.message


def test_a_persons_misspelt_field_is_named(tmp_path: Path) -> None:
    text = VALID.replace("audio:", "persons:\n- name: Rick\n  rol: guest\naudio:")
    caught = refused(tmp_path, text)
    assert caught.field == "persons"
    assert caught.message == "rol: unknown field (did you mean 'role'?)"


@given(title=st.text(min_size=1).filter(lambda t: t.strip()), notes=st.text())
@example(title="0\x850", notes="")  # NEL: a line break to YAML, folded by some emitters
@example(title="a\u2028b: c", notes="---\nnot front matter\n")
def test_rewriting_a_file_keeps_every_field(
    tmp_path_factory: pytest.TempPathFactory, title: str, notes: str
) -> None:
    folder = tmp_path_factory.mktemp("ep")
    original = load_episode(episode_file(folder, VALID))
    fields = episode_fields(original) | {"title": title}
    notes = notes.replace("\r", "")
    path = episode_file(folder, render_episode_file(fields, notes))
    again = load_episode(path)
    assert again.title == title.strip() and again.guid == original.guid
    assert again.notes == notes.strip() and again.media == original.media


def test_every_problem_of_an_episode_file_is_named_at_once(tmp_path: Path) -> None:
    text = VALID.replace("title: Ontmoeting", "titel: Ontmoeting").replace(
        "duration: 1500.5", "duration: lang\nseason: -1"
    )
    with pytest.raises(EpisodeError) as found:
        load_episode(episode_file(tmp_path, text))
    message = str(found.value)
    for field in ("titel: unknown field", "title: required field", "duration: expected a number",
                  "season: must be 1 or more"):  # fmt: skip
        assert field in message, message
    assert message.count("\n") == 0


def test_check_lists_each_problem_of_an_episode_file(show_dir: Path) -> None:
    from mediafeed.check import check_show

    text = VALID.replace("title: Ontmoeting\n", "").replace("length: 24000000", "length: veel")
    (show_dir / "episodes" / "ontmoeting.md").write_text(text, encoding="utf-8")
    findings = check_show(show_dir, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    fields = {f.field for f in findings if f.rule == "episode-file"}
    assert {"title", "length"} <= fields


# ---------------------------------------------------------------------------------------
# Issue 13: what the errors say, Apple's numbering, one rule for dates without a zone.
# ---------------------------------------------------------------------------------------


def test_a_front_matter_without_its_closing_line_is_called_unclosed(tmp_path: Path) -> None:
    text = VALID.replace("\n---\n\nNotities.", "\n\nNotities.")
    assert text.startswith("---\n") and text.count("---") == 1
    caught = refused(tmp_path, text)
    assert "not closed" in caught.message and "start" not in caught.message


def test_a_misspelt_field_gets_the_field_it_looks_like(tmp_path: Path) -> None:
    assert "did you mean 'title'?" in str(refused(tmp_path, VALID.replace("title:", "titel:")))


@pytest.mark.parametrize("field", ["season", "episode"])
def test_episode_and_season_zero_are_refused_as_apple_counts_from_one(
    tmp_path: Path, field: str
) -> None:
    text = VALID.replace("title: Ontmoeting\n", f"title: Ontmoeting\n{field}: 0\n")
    caught = refused(tmp_path, text)
    assert caught.field == field and "1 or more" in caught.message


def test_a_date_without_zone_is_in_the_shows_timezone(tmp_path: Path) -> None:
    text = VALID.replace("'2021-11-02T09:00:00+01:00'", "'2021-11-02T09:00:00'")
    path = episode_file(tmp_path, text)
    with pytest.raises(EpisodeError, match="timezone in mediafeed.toml"):
        load_episode(path)
    published = load_episode(path, "Europe/Amsterdam").published
    assert published == dt.datetime(2021, 11, 2, 8, 0, tzinfo=dt.UTC)  # CET, UTC+1


def test_a_time_the_clocks_skip_is_refused_not_moved(tmp_path: Path) -> None:
    """On 28 March 2021 Amsterdam went from 02:00 to 03:00: 02:30 never happened there."""
    text = VALID.replace("'2021-11-02T09:00:00+01:00'", "'2021-03-28T02:30:00'")
    caught = refused(tmp_path, text, "Europe/Amsterdam")
    assert caught.field == "published"
    assert "does not exist in Europe/Amsterdam" in caught.message


def test_a_time_the_clocks_pass_twice_is_the_first(tmp_path: Path) -> None:
    text = VALID.replace("'2021-11-02T09:00:00+01:00'", "'2021-10-31T02:30:00'")
    published = load_episode(episode_file(tmp_path, text), "Europe/Amsterdam").published
    assert published.astimezone(dt.UTC) == dt.datetime(2021, 10, 31, 0, 30, tzinfo=dt.UTC)
