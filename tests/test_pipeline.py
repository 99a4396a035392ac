"""The spine, end to end: add -> build -> publish to a real SeaweedFS -> fetch -> parse back."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner, Result

from mediafeed.cli import cli
from mediafeed.episodes import load_episode
from mediafeed.store.target import Target
from tests.mediafactory import m4a, mp3_cbr, mp3_vbr

NOTES = "Een gesprek met **prof. Rick Kwekkeboom** over ontmoeting.\n\n- buurt\n- sport\n"


def run(show: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["-C", str(show), *args], input=input, catch_exceptions=True)


def ok(show: Path, *args: str, input: str | None = None) -> Result:
    result = run(show, *args, input=input)
    assert result.exit_code == 0, result.output
    return result


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
    return urllib.request.urlopen(
        urllib.request.Request(url, method=method, headers=headers or {}), timeout=10
    )


def add_ontmoeting(show: Path, tmp_path: Path) -> Result:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    return ok(
        show,
        "add",
        str(mp3_cbr(tmp_path, "opname.mp3", seconds=3.0)),
        "--title",
        "Ontmoeting in het fysieke domein",
        "--date",
        "2021-11-02T10:00:00+01:00",
        "--notes",
        str(notes),
        "--season",
        "1",
        "--episode",
        "3",
    )


@pytest.mark.slow
def test_published_feed_parses_back_to_what_was_added(
    published_show: tuple[Path, Target], tmp_path: Path
) -> None:
    show, target = published_show
    add_ontmoeting(show, tmp_path)
    episode = load_episode(show / "episodes" / "ontmoeting-in-het-fysieke-domein.md")

    output = ok(show, "publish").output
    feed_url = f"{target.base_url()}/feed.xml"
    assert f"Feed: {feed_url}" in output
    body = fetch(feed_url).read()

    parsed = podcastparser.parse(feed_url, io.BytesIO(body))
    [item] = parsed["episodes"]
    assert parsed["title"] == "Een tegen eenzaamheid"
    assert item["title"] == "Ontmoeting in het fysieke domein"
    assert item["guid"] == episode.guid
    assert item["published"] == int(dt.datetime(2021, 11, 2, 9, tzinfo=dt.UTC).timestamp())
    assert item["total_time"] == round(episode.media.duration) == 3
    [enclosure] = item["enclosures"]
    assert enclosure["file_size"] == episode.media.length
    assert enclosure["mime_type"] == "audio/mpeg"
    assert "Rick Kwekkeboom" in item["description"]

    fp = feedparser.parse(body)
    assert not fp.bozo, fp.bozo_exception
    entry = fp.entries[0]
    assert entry.id == episode.guid
    assert entry.itunes_season == "1" and entry.itunes_episode == "3"
    assert "<strong>prof. Rick Kwekkeboom</strong>" in entry.content[0].value


@pytest.mark.slow
def test_every_enclosure_answers_head_and_range(
    published_show: tuple[Path, Target], tmp_path: Path
) -> None:
    show, target = published_show
    add_ontmoeting(show, tmp_path)
    ok(
        show,
        "add",
        str(m4a(tmp_path, "tweede.m4a")),
        "--title",
        "Tweede aflevering",
        "--date",
        "2021-11-09T10:00:00+01:00",
    )
    ok(show, "publish")
    fp = feedparser.parse(fetch(f"{target.base_url()}/feed.xml").read())
    assert len(fp.entries) == 2
    for entry in fp.entries:
        [link] = entry.enclosures
        head = fetch(link.href, method="HEAD")
        assert head.status == 200
        assert int(head.headers["Content-Length"]) == int(link.length)
        assert head.headers["Content-Type"] == link.type
        ranged = fetch(link.href, headers={"Range": "bytes=0-99"})
        assert ranged.status == 206 and len(ranged.read()) == 100


@pytest.mark.slow
def test_second_publish_with_nothing_changed_uploads_nothing(
    published_show: tuple[Path, Target], tmp_path: Path
) -> None:
    show, _ = published_show
    add_ontmoeting(show, tmp_path)
    ok(show, "publish")
    assert "Uploaded 0 objects" in ok(show, "publish").output


def test_items_are_newest_first_and_drafts_and_future_episodes_absent(
    show_dir: Path, tmp_path: Path
) -> None:
    ok(
        show_dir,
        "add",
        str(mp3_cbr(tmp_path, "a.mp3")),
        "--title",
        "Oud",
        "--date",
        "2021-01-01T09:00:00Z",
    )
    ok(
        show_dir,
        "add",
        str(mp3_cbr(tmp_path, "b.mp3")),
        "--title",
        "Nieuw",
        "--date",
        "2021-02-01T09:00:00Z",
    )
    ok(
        show_dir,
        "add",
        str(mp3_cbr(tmp_path, "c.mp3")),
        "--title",
        "Concept",
        "--draft",
        "--date",
        "2021-03-01T09:00:00Z",
    )
    ok(
        show_dir,
        "add",
        str(mp3_cbr(tmp_path, "d.mp3")),
        "--title",
        "Later",
        "--date",
        "2999-01-01T09:00:00Z",
    )
    ok(show_dir, "build")
    parsed = podcastparser.parse("f", (show_dir / "feed" / "feed.xml").open("rb"))
    assert [e["title"] for e in parsed["episodes"]] == ["Nieuw", "Oud"]
    rows = json.loads(ok(show_dir, "list", "--json").output)
    assert [(row["title"], row["status"]) for row in rows] == [
        ("Later", "scheduled"),
        ("Concept", "draft"),
        ("Nieuw", "ready"),  # due, but no publish has put it in the feed yet
        ("Oud", "ready"),
    ]


def test_build_is_byte_identical_when_nothing_changed(show_dir: Path, tmp_path: Path) -> None:
    add_ontmoeting(show_dir, tmp_path)
    ok(show_dir, "build")
    first = (show_dir / "feed" / "feed.xml").read_bytes()
    ok(show_dir, "build")
    assert (show_dir / "feed" / "feed.xml").read_bytes() == first
    assert b"<lastBuildDate>Tue, 02 Nov 2021 10:00:00 +0100</lastBuildDate>" in first


def test_guid_survives_rebuild_and_title_and_notes_edits(show_dir: Path, tmp_path: Path) -> None:
    add_ontmoeting(show_dir, tmp_path)
    path = show_dir / "episodes" / "ontmoeting-in-het-fysieke-domein.md"
    guid = load_episode(path).guid
    text = path.read_text(encoding="utf-8")
    text = text.replace("title: Ontmoeting in het fysieke domein", "title: Een nieuwe titel")
    path.write_text(text + "\nExtra alinea.\n", encoding="utf-8")
    ok(show_dir, "build")
    parsed = podcastparser.parse("f", (show_dir / "feed" / "feed.xml").open("rb"))
    [item] = parsed["episodes"]
    assert item["guid"] == guid and item["title"] == "Een nieuwe titel"
    assert item["link"].endswith("/episodes/ontmoeting-in-het-fysieke-domein/index.html")


def test_add_writes_an_episode_file_with_the_probed_facts(show_dir: Path, tmp_path: Path) -> None:
    source = mp3_vbr(tmp_path, "bron.mp3", seconds=4.0)
    before = source.read_bytes()
    ok(show_dir, "add", str(source), "--title", "VBR", "--date", "2021-05-05T12:00:00+02:00")
    episode = load_episode(show_dir / "episodes" / "vbr.md")
    assert source.read_bytes() == before, "the producer's file must not change"
    media = show_dir / episode.audio
    assert media.stat().st_size == episode.media.length
    assert abs(episode.media.duration - 4.0) < 0.1
    assert episode.media.mime_type == "audio/mpeg"
    assert re.fullmatch(r"[0-9a-f-]{36}", episode.guid)


# ---------------------------------------------------------------------------------------
# Bad input: one line naming the thing, exit 1, no traceback, nothing left behind.
# ---------------------------------------------------------------------------------------


def assert_clean_failure(result: Result, *names: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for name in names:
        assert name in lines[0]


def assert_nothing_added(show: Path) -> None:
    assert list((show / "episodes").iterdir()) == []
    assert list((show / "media").iterdir()) == []


@pytest.mark.parametrize("make", ["text", "empty", "truncated", "png"])
def test_add_refuses_bad_media_and_leaves_nothing(
    show_dir: Path, tmp_path: Path, make: str
) -> None:
    bad = tmp_path / "bad.mp3"
    if make == "text":
        bad.write_text("dit is geen audio\n" * 200)
    elif make == "empty":
        bad.write_bytes(b"")
    elif make == "truncated":
        bad.write_bytes(mp3_cbr(tmp_path, "full.mp3").read_bytes()[:300])
    else:
        from tests.mediafactory import png

        bad.write_bytes(png(tmp_path).read_bytes())
    assert_clean_failure(run(show_dir, "add", str(bad), "--title", "Kapot"), "bad.mp3")
    assert_nothing_added(show_dir)


def test_add_of_a_missing_file_names_it(show_dir: Path, tmp_path: Path) -> None:
    assert_clean_failure(run(show_dir, "add", str(tmp_path / "weg.mp3")), "weg.mp3")
    assert_nothing_added(show_dir)


def test_broken_front_matter_names_the_episode_file(show_dir: Path) -> None:
    (show_dir / "episodes" / "kapot.md").write_text("---\ntitle: [niet gesloten\n---\nx\n")
    assert_clean_failure(run(show_dir, "build"), "kapot.md", "front matter")


def test_unknown_front_matter_field_is_named(show_dir: Path, tmp_path: Path) -> None:
    add_ontmoeting(show_dir, tmp_path)
    path = show_dir / "episodes" / "ontmoeting-in-het-fysieke-domein.md"
    path.write_text(path.read_text().replace("title:", "titel:"))
    assert_clean_failure(run(show_dir, "build"), "ontmoeting-in-het-fysieke-domein.md", "titel")


def test_missing_required_config_field_is_named(show_dir: Path) -> None:
    config = show_dir / "mediafeed.toml"
    config.write_text(re.sub(r"(?m)^author = .*\n", "", config.read_text()))
    assert_clean_failure(run(show_dir, "build"), "mediafeed.toml", "author")


@pytest.mark.slow
def test_publish_to_a_missing_bucket_names_the_bucket(
    published_show: tuple[Path, Target], tmp_path: Path
) -> None:
    show, target = published_show
    add_ontmoeting(show, tmp_path)
    config = show / "mediafeed.toml"
    config.write_text(config.read_text().replace(target.bucket, "geen-bucket-hier"))
    assert_clean_failure(run(show, "publish"), "geen-bucket-hier")


@pytest.mark.slow
def test_wrong_credentials_fail_cleanly_without_printing_secrets(
    published_show: tuple[Path, Target], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show, _ = published_show
    add_ontmoeting(show, tmp_path)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value-1234")
    result = run(show, "publish")
    assert_clean_failure(result)
    assert "wrong-secret-value-1234" not in result.output


@pytest.mark.slow
def test_credentials_never_reach_any_written_file_or_output(
    published_show: tuple[Path, Target], tmp_path: Path
) -> None:
    import os

    show, _ = published_show
    add_ontmoeting(show, tmp_path)
    output = ok(show, "publish").output + ok(show, "list", "--json").output
    secret = os.environ["AWS_SECRET_ACCESS_KEY"].encode()
    key_id = os.environ["AWS_ACCESS_KEY_ID"].encode()
    assert secret not in output.encode() and key_id not in output.encode()
    for path in show.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert secret not in data and key_id not in data, path


@pytest.mark.slow
def test_a_published_page_never_moves_renaming_the_episode_file_is_refused(
    published_show: tuple[Path, Target], tmp_path: Path
) -> None:
    show, target = published_show
    add_ontmoeting(show, tmp_path)
    ok(show, "publish")
    old = show / "episodes" / "ontmoeting-in-het-fysieke-domein.md"
    old.rename(show / "episodes" / "ontmoeting.md")
    result = run(show, "publish", "--prune")
    assert_clean_failure(result, "episodes/ontmoeting.md", "ontmoeting-in-het-fysieke-domein")
    page = f"{target.base_url()}/episodes/ontmoeting-in-het-fysieke-domein/index.html"
    assert fetch(page).status == 200, "the newsletter link still works"
    (show / "episodes" / "ontmoeting.md").rename(old)
    assert "Uploaded 0 objects" in ok(show, "publish").output


def test_add_takes_the_title_the_editor_wrote_into_the_file(show_dir: Path, tmp_path: Path) -> None:
    from mediafeed.media.frames import EpisodeTags
    from mediafeed.media.tags import write_tags

    source = mp3_cbr(tmp_path, "export-0042.mp3")
    write_tags(source, EpisodeTags(title="Buurtkamers die werken"))
    ok(show_dir, "add", str(source), "--date", "2021-05-05T12:00:00+02:00")
    assert load_episode(show_dir / "episodes" / "buurtkamers-die-werken.md").title == (
        "Buurtkamers die werken"
    )


def test_add_keeps_an_honest_m4b_name_and_corrects_a_lying_one(
    show_dir: Path, tmp_path: Path
) -> None:
    ok(show_dir, "add", str(m4a(tmp_path, "boek.m4b")), "--title", "Boek")
    ok(show_dir, "add", str(m4a(tmp_path, "vermomd.mp3")), "--title", "Vermomd")
    assert load_episode(show_dir / "episodes" / "boek.md").audio == "media/boek.m4b"
    assert load_episode(show_dir / "episodes" / "vermomd.md").audio == "media/vermomd.m4a"
