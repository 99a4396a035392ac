"""Drafts, schedules, edits, unpublishing, blocking and large archives, on a fixed clock."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

import podcastparser
import pytest
from lxml import etree

from mediafeed.build import BuildResult, build
from mediafeed.config import load_show
from mediafeed.episodes import load_episode
from mediafeed.links import Links
from mediafeed.render.archive import HISTORY_NS
from mediafeed.store.target import Target
from tests.mediafactory import mp3_cbr
from tests.showmaker import many_episodes, write_episode
from tests.test_pipeline import fetch, ok

LINKS = Links("https://podcast.example.org/show")
DUE = dt.datetime(2021, 11, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "atom": "http://www.w3.org/2005/Atom",
    "fh": HISTORY_NS,
}


def build_at(show: Path, now: dt.datetime) -> BuildResult:
    return build(load_show(show), links=LINKS, now=now)


def feed_items(show: Path, name: str = "feed.xml") -> list[dict[str, Any]]:
    with (show / "feed" / name).open("rb") as handle:
        episodes: list[dict[str, Any]] = podcastparser.parse(LINKS.feed, handle)["episodes"]
    return episodes


def feed_tree(show: Path, name: str = "feed.xml") -> Any:
    return etree.parse(str(show / "feed" / name))


def keys(result: BuildResult) -> set[str]:
    return {obj.key for obj in result.manifest.objects}


def add_media(show: Path, tmp_path: Path, name: str) -> Path:
    target = show / "media" / name
    shutil.copyfile(mp3_cbr(tmp_path, name), target)
    return target


# ---------------------------------------------------------------------------------------
# Drafts and schedules
# ---------------------------------------------------------------------------------------


def test_scheduled_episode_appears_exactly_when_due(show_dir: Path, tmp_path: Path) -> None:
    write_episode(show_dir, "later", add_media(show_dir, tmp_path, "later.mp3"), published=DUE)
    before = build_at(show_dir, DUE - dt.timedelta(seconds=1))
    assert feed_items(show_dir) == []
    assert not any(key.startswith(("media/", "episodes/")) for key in keys(before))
    at = build_at(show_dir, DUE)
    assert [item["title"] for item in feed_items(show_dir)] == ["Aflevering later"]
    assert "episodes/later/index.html" in keys(at)
    assert any(key.startswith("media/later-") for key in keys(at))


def test_draft_stays_out_of_feed_pages_and_media_whatever_the_date(
    show_dir: Path, tmp_path: Path
) -> None:
    media = add_media(show_dir, tmp_path, "concept.mp3")
    write_episode(show_dir, "concept", media, published=DUE, draft=True)
    result = build_at(show_dir, DUE + dt.timedelta(days=3650))
    assert feed_items(show_dir) == []
    assert not any(key.startswith(("media/", "episodes/")) for key in keys(result))
    assert [ep.slug for ep in result.episodes] == ["concept"] and result.public == ()


def test_publish_from_cron_releases_what_is_due_and_nothing_else(
    published_show: tuple[Path, Target], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show, target = published_show
    for slug, days in (("eerste", 0), ("tweede", 7)):
        write_episode(
            show,
            slug,
            add_media(show, tmp_path, f"{slug}.mp3"),
            published=DUE + dt.timedelta(days=days),
        )
    monkeypatch.setenv("MEDIAFEED_NOW", (DUE + dt.timedelta(days=1)).isoformat())
    ok(show, "publish")
    body = fetch(f"{target.base_url()}/feed.xml").read()
    assert b"Aflevering eerste" in body and b"Aflevering tweede" not in body
    with pytest.raises(Exception, match="404|403"):
        fetch(f"{target.base_url()}/episodes/tweede/index.html")
    monkeypatch.setenv("MEDIAFEED_NOW", (DUE + dt.timedelta(days=7)).isoformat())
    assert "Uploaded 0 objects" not in ok(show, "publish").output
    assert b"Aflevering tweede" in fetch(f"{target.base_url()}/feed.xml").read()
    assert fetch(f"{target.base_url()}/episodes/tweede/index.html").status == 200


# ---------------------------------------------------------------------------------------
# Edits
# ---------------------------------------------------------------------------------------


def test_editing_title_and_notes_keeps_guid_slug_and_enclosure(
    show_dir: Path, tmp_path: Path
) -> None:
    path = write_episode(
        show_dir,
        "gesprek",
        add_media(show_dir, tmp_path, "gesprek.mp3"),
        published=DUE,
        notes="Eerste versie.",
    )
    build_at(show_dir, DUE)
    [before] = feed_items(show_dir)
    text = path.read_text(encoding="utf-8").replace(
        "title: Aflevering gesprek", "title: Een betere titel"
    )
    path.write_text(text.replace("Eerste versie.", "Tweede versie, met hoofdstukken."))
    build_at(show_dir, DUE)
    [after] = feed_items(show_dir)
    assert after["title"] == "Een betere titel" and "Tweede versie" in after["description"]
    assert (after["guid"], after["link"], after["enclosures"]) == (
        before["guid"],
        before["link"],
        before["enclosures"],
    )


def test_replacing_the_audio_changes_the_enclosure_and_keeps_the_guid(
    show_dir: Path, tmp_path: Path
) -> None:
    ok(
        show_dir,
        "add",
        str(mp3_cbr(tmp_path, "a.mp3")),
        "--title",
        "Gesprek",
        "--date",
        DUE.isoformat(),
    )
    episode = load_episode(show_dir / "episodes" / "gesprek.md")
    build_at(show_dir, DUE)
    [before] = feed_items(show_dir)
    shutil.copyfile(mp3_cbr(tmp_path, "langer.mp3", seconds=4.0), show_dir / episode.audio)
    ok(show_dir, "tag", "gesprek")
    build_at(show_dir, DUE)
    [after] = feed_items(show_dir)
    assert after["guid"] == before["guid"] == episode.guid
    assert after["enclosures"][0]["url"] != before["enclosures"][0]["url"]
    assert after["enclosures"][0]["file_size"] == (show_dir / episode.audio).stat().st_size


# ---------------------------------------------------------------------------------------
# Unpublish and block
# ---------------------------------------------------------------------------------------


def test_unpublish_keeps_guid_and_slug_and_marks_the_file(show_dir: Path, tmp_path: Path) -> None:
    path = write_episode(
        show_dir, "weg", add_media(show_dir, tmp_path, "weg.mp3"), published=DUE, notes="Tekst."
    )
    before = load_episode(path)
    ok(show_dir, "unpublish", "weg")
    after = load_episode(path)
    assert after.unpublished and (after.guid, after.slug) == (before.guid, before.slug)
    assert after.notes == before.notes and after.media == before.media


def test_unpublished_episode_leaves_the_feed_and_keeps_a_notice_page(
    show_dir: Path, tmp_path: Path
) -> None:
    write_episode(
        show_dir, "weg", add_media(show_dir, tmp_path, "weg.mp3"), published=DUE, unpublished=True
    )
    result = build_at(show_dir, DUE)
    assert feed_items(show_dir) == []
    assert not any(key.startswith("media/") for key in keys(result))
    page = (show_dir / "feed" / "episodes" / "weg" / "index.html").read_text(encoding="utf-8")
    assert "Niet meer beschikbaar" in page and 'lang="nl"' in page
    assert 'href="../../index.html"' in page


def test_an_unpublished_episode_that_never_came_out_gets_no_page(
    show_dir: Path, tmp_path: Path
) -> None:
    """Scheduled, then unpublished before its date: its address, made of its title, stays
    private; nothing was ever public there to take down."""
    later = DUE + dt.timedelta(days=7)
    media = add_media(show_dir, tmp_path, "later.mp3")
    write_episode(show_dir, "ontslag-minister", media, published=later, unpublished=True)
    result = build_at(show_dir, DUE)
    assert not any("ontslag-minister" in key for key in keys(result))
    assert not (show_dir / "feed" / "episodes" / "ontslag-minister").exists()


def test_unpublish_of_an_unknown_slug_fails_cleanly(show_dir: Path) -> None:
    from tests.test_pipeline import assert_clean_failure, run

    assert_clean_failure(run(show_dir, "unpublish", "bestaat-niet"), "bestaat-niet.md")


@pytest.mark.slow
def test_unpublish_then_publish_prune_deletes_media_and_keeps_the_page(
    any_published_show: tuple[Path, Target], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show, target = any_published_show
    monkeypatch.setenv("MEDIAFEED_NOW", DUE.isoformat())
    write_episode(show, "weg", add_media(show, tmp_path, "weg.mp3"), published=DUE)
    ok(show, "publish")
    [item] = podcastparser.parse("f", fetch(f"{target.base_url()}/feed.xml"))["episodes"]
    media_url = item["enclosures"][0]["url"]
    assert fetch(media_url).status == 200
    output = ok(show, "unpublish", "weg", "--prune").output
    assert "Deleted media/weg-" in output
    assert podcastparser.parse("f", fetch(f"{target.base_url()}/feed.xml"))["episodes"] == []
    with pytest.raises(Exception, match="404"):
        fetch(media_url)
    page = fetch(f"{target.base_url()}/episodes/weg/index.html").read().decode()
    assert "Niet meer beschikbaar" in page


@pytest.mark.slow
def test_an_unpublished_episode_needs_no_media(
    published_show: tuple[Path, Target], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show, target = published_show
    monkeypatch.setenv("MEDIAFEED_NOW", DUE.isoformat())
    write_episode(show, "blijft", add_media(show, tmp_path, "blijft.mp3"), published=DUE)
    media = add_media(show, tmp_path, "weg.mp3")
    write_episode(show, "weg", media, published=DUE)
    ok(show, "publish")
    ok(show, "unpublish", "weg", "--prune")
    media.unlink()
    (show / "episodes" / "blijft.md").write_text(
        (show / "episodes" / "blijft.md").read_text(encoding="utf-8") + "Nieuwe tekst.\n",
        encoding="utf-8",
    )
    ok(show, "publish")
    [item] = podcastparser.parse("f", fetch(f"{target.base_url()}/feed.xml"))["episodes"]
    assert "Nieuwe tekst." in item["description"]


def test_itunes_block_per_episode(show_dir: Path, tmp_path: Path) -> None:
    write_episode(show_dir, "open", add_media(show_dir, tmp_path, "open.mp3"), published=DUE)
    write_episode(
        show_dir,
        "dicht",
        add_media(show_dir, tmp_path, "dicht.mp3"),
        published=DUE + dt.timedelta(hours=1),
        block=True,
    )
    build_at(show_dir, DUE + dt.timedelta(days=1))
    tree = feed_tree(show_dir)
    blocked = tree.xpath("//item[itunes:block]/title/text()", namespaces=NS)
    assert blocked == ["Aflevering dicht"]
    assert tree.xpath("//item[title='Aflevering dicht']/itunes:block/text()", namespaces=NS) == [
        "Yes"
    ]
    assert tree.xpath("/rss/channel/itunes:block", namespaces=NS) == []


def test_itunes_block_and_new_feed_url_for_the_show(show_dir: Path, tmp_path: Path) -> None:
    config = show_dir / "mediafeed.toml"
    config.write_text(
        config.read_text().replace(
            "guid =", 'block = true\nnew_feed_url = "https://nieuw.example.org/feed.xml"\nguid ='
        )
    )
    build_at(show_dir, DUE)
    tree = feed_tree(show_dir)
    assert tree.xpath("/rss/channel/itunes:block/text()", namespaces=NS) == ["Yes"]
    assert tree.xpath("/rss/channel/itunes:new-feed-url/text()", namespaces=NS) == [
        "https://nieuw.example.org/feed.xml"
    ]


# ---------------------------------------------------------------------------------------
# Feed size
# ---------------------------------------------------------------------------------------


def limit_feed(show: Path, limit: int) -> None:
    config = show / "mediafeed.toml"
    config.write_text(config.read_text().replace("guid =", f"feed_limit = {limit}\nguid ="))


def test_feed_limit_keeps_the_newest_and_pages_the_rest(show_dir: Path, tmp_path: Path) -> None:
    slugs = many_episodes(show_dir, tmp_path, 25)
    limit_feed(show_dir, 10)
    result = build_at(show_dir, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    current = [item["guid"] for item in feed_items(show_dir)]
    assert current == [f"ep-{n}" for n in range(25, 15, -1)]
    assert [item["guid"] for item in feed_items(show_dir, "feed-archive-1.xml")] == [
        f"ep-{n}" for n in range(10, 0, -1)
    ]
    assert [item["guid"] for item in feed_items(show_dir, "feed-archive-2.xml")] == [
        f"ep-{n}" for n in range(15, 10, -1)
    ]
    assert {f"episodes/{slug}/index.html" for slug in slugs} <= keys(result)


def test_archive_pages_link_per_rfc_5005(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 25)
    limit_feed(show_dir, 10)
    build_at(show_dir, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))

    def rels(name: str) -> dict[str, str]:
        links = feed_tree(show_dir, name).xpath("/rss/channel/atom:link", namespaces=NS)
        return {link.get("rel"): link.get("href") for link in links}

    url = LINKS.url
    assert rels("feed.xml") == {"self": url("feed.xml"), "prev-archive": url("feed-archive-2.xml")}
    assert rels("feed-archive-2.xml") == {
        "self": url("feed-archive-2.xml"),
        "current": url("feed.xml"),
        "prev-archive": url("feed-archive-1.xml"),
    }
    assert rels("feed-archive-1.xml") == {
        "self": url("feed-archive-1.xml"),
        "current": url("feed.xml"),
        "next-archive": url("feed-archive-2.xml"),
    }
    assert feed_tree(show_dir, "feed-archive-1.xml").xpath("//fh:archive", namespaces=NS)
    assert not feed_tree(show_dir, "feed.xml").xpath("//fh:archive", namespaces=NS)


def test_a_full_archive_page_never_changes(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 25)
    limit_feed(show_dir, 10)
    build_at(show_dir, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    first = (show_dir / "feed" / "feed-archive-1.xml").read_bytes()
    write_episode(
        show_dir,
        "nieuw",
        add_media(show_dir, tmp_path, "nieuw.mp3"),
        published=dt.datetime(2029, 1, 1, tzinfo=dt.UTC),
    )
    build_at(show_dir, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert (show_dir / "feed" / "feed-archive-1.xml").read_bytes() == first
    assert len(feed_items(show_dir, "feed-archive-2.xml")) == 6


def test_without_feed_limit_there_are_no_archive_pages(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 12)
    result = build_at(show_dir, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert len(feed_items(show_dir)) == 12
    assert not any(key.startswith("feed-archive") for key in keys(result))


@pytest.mark.slow
def test_ten_thousand_episodes_build(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 10_000)
    limit_feed(show_dir, 300)
    result = build_at(show_dir, dt.datetime(2300, 1, 1, tzinfo=dt.UTC))
    assert len(result.public) == 10_000 and len(feed_items(show_dir)) == 300
    assert len(feed_items(show_dir, "feed-archive-33.xml")) == 9_700 - 32 * 300
    pages = [key for key in keys(result) if key.startswith("episodes/")]
    assert sum(key.endswith("/embed/index.html") for key in pages) == 10_000
    assert sum(key.count("/") == 2 and key.endswith("/index.html") for key in pages) == 10_000


@pytest.mark.slow
def test_a_thousand_episodes_publish(published_show: tuple[Path, Target], tmp_path: Path) -> None:
    show, target = published_show
    many_episodes(show, tmp_path, 1_000)
    limit_feed(show, 300)
    from mediafeed.commands.show import publish_show

    _, report = publish_show(load_show(show), now=dt.datetime(2300, 1, 1, tzinfo=dt.UTC))
    body = fetch(f"{target.base_url()}/feed.xml").read()
    assert len(podcastparser.parse("f", io.BytesIO(body))["episodes"]) == 300
    assert f"{target.base_url()}/feed-archive-3.xml".encode() in body
    assert "episodes/aflevering-00001/index.html" in report.uploaded


def test_feed_limit_keeps_an_old_trailer_in_feed_xml(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 12)
    first = show_dir / "episodes" / "aflevering-00001.md"
    first.write_text(first.read_text().replace("episode: 1\n", "episode_type: trailer\n"))
    limit_feed(show_dir, 5)
    build_at(show_dir, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    current = [item["guid"] for item in feed_items(show_dir)]
    assert current == [*(f"ep-{n}" for n in range(12, 7, -1)), "ep-1"]
    archived = [item["guid"] for item in feed_items(show_dir, "feed-archive-1.xml")]
    assert "ep-1" not in archived and archived == [f"ep-{n}" for n in range(6, 1, -1)]
