"""The item cache: a feed spliced from cached items is byte for byte the feed rendered whole,
and a rebuild renders only the items whose inputs changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediafeed import itemcache, localcache
from mediafeed.build import build
from mediafeed.config import load_show
from mediafeed.episodes import load_episodes
from mediafeed.itemcache import ItemCache
from mediafeed.links import Links
from mediafeed.model import Chapter, Episode, Location, Person, Show
from mediafeed.render import feed
from mediafeed.render.archive import feed_pages, render_page
from mediafeed.render.feed import render_feed
from tests.showmaker import many_episodes

REPO = Path(__file__).resolve().parent.parent
LINKS = Links("https://podcast.example.org/een-tegen-eenzaamheid")
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
SHOW = load_show(REPO)
EPISODES = [ep for ep in load_episodes(SHOW.episodes_dir) if ep.is_public(NOW)]
ROOT_PREFIXES = (b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
                 b'xmlns:podcast="https://podcastindex.org/namespace/1.0" '
                 b'xmlns:atom="http://www.w3.org/2005/Atom" '
                 b'xmlns:content="http://purl.org/rss/1.0/modules/content/"')  # fmt: skip


def cached(show: Show, episodes: list[Episode], path: Path) -> tuple[bytes, int]:
    """The feed rendered through a cache at `path`, saved after, and the items it rendered."""
    cache = ItemCache(path)
    xml = render_feed(show, episodes, links=LINKS, cache=cache)
    cache.save()
    return xml, cache.rendered


def every_field(episode: Episode) -> Episode:
    return replace(
        episode, title="Één — <b>&amp;</b> ]]>", summary="Samenvatting ]]> \x0b",
        notes="**Vet** ]]> <![CDATA[ x ]]> en `<item>`\n\n<script>alert(1)</script>",
        season=0, episode=0, season_name="Buurten", episode_display="Nul", explicit=True,
        image="art/ep.png", block=True, transcript="transcripts/ep.vtt",
        chapters=(Chapter(0, "Begin"), Chapter(2.5, "Midden", img="c.jpg")),
        persons=(Person("Anna", role="guest", href="https://example.org/anna"),),
        location=Location("Utrecht", geo="geo:52.09,5.12", osm="R47798"),
        enclosure_url="https://elders.example.org/ep.mp3", episode_type="bonus",
    )  # fmt: skip


def test_demo_feed_through_an_empty_cache_is_the_direct_render(tmp_path: Path) -> None:
    xml, rendered = cached(SHOW, EPISODES, tmp_path / "items.pickle")
    assert xml == render_feed(SHOW, EPISODES, links=LINKS)
    assert rendered == len(EPISODES)


def test_items_rendered_in_several_batches_are_the_direct_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed, "ITEM_BATCH", 2)
    xml, rendered = cached(SHOW, EPISODES, tmp_path / "items.pickle")
    assert len(EPISODES) > 2 and rendered == len(EPISODES)
    assert xml == render_feed(SHOW, EPISODES, links=LINKS)


def test_demo_feed_from_a_full_cache_is_the_direct_render_and_renders_no_item(
    tmp_path: Path,
) -> None:
    cached(SHOW, EPISODES, tmp_path / "items.pickle")
    xml, rendered = cached(SHOW, EPISODES, tmp_path / "items.pickle")
    assert xml == render_feed(SHOW, EPISODES, links=LINKS)
    assert rendered == 0


def test_namespaces_are_declared_on_the_root_only(tmp_path: Path) -> None:
    episodes = [every_field(EPISODES[0]), *EPISODES[1:]]
    cached(SHOW, episodes, tmp_path / "items.pickle")
    xml, _ = cached(SHOW, episodes, tmp_path / "items.pickle")
    assert xml.count(b"xmlns") == 4
    assert f'<rss {ROOT_PREFIXES.decode()} version="2.0">'.encode() in xml


def test_archive_pages_with_paging_links_and_archive_mark_are_the_direct_render(
    tmp_path: Path,
) -> None:
    show = replace(SHOW, feed_limit=1)
    pages = feed_pages(show, EPISODES, links=LINKS)
    assert len(pages) == len(EPISODES) and pages[1].archive and pages[1].paging
    for page in pages:
        cache = ItemCache(tmp_path / "items.pickle")
        assert render_page(show, page, links=LINKS, cache=cache) == render_page(
            show, page, links=LINKS
        ), page.key


def test_an_empty_show_is_the_direct_render(tmp_path: Path) -> None:
    xml, rendered = cached(SHOW, [], tmp_path / "items.pickle")
    assert xml == render_feed(SHOW, [], links=LINKS)
    assert rendered == 0


def test_an_episode_with_every_field_and_hostile_text_is_the_direct_render(
    tmp_path: Path,
) -> None:
    show = replace(SHOW, persons=(Person("Bram"), Person("Anna")), explicit=True)
    episodes = [every_field(EPISODES[0]), *EPISODES[1:]]
    cold, _ = cached(show, episodes, tmp_path / "items.pickle")
    warm, rendered = cached(show, episodes, tmp_path / "items.pickle")
    assert cold == warm == render_feed(show, episodes, links=LINKS)
    assert rendered == 0


def test_editing_one_episode_renders_only_its_item(tmp_path: Path) -> None:
    cached(SHOW, EPISODES, tmp_path / "items.pickle")
    # An edited episode file has another content hash: its revision.
    changed = replace(EPISODES[1], title="Nieuwe titel", revision=f"{EPISODES[1].revision}+1")
    edited = [EPISODES[0], changed, *EPISODES[2:]]
    xml, rendered = cached(SHOW, edited, tmp_path / "items.pickle")
    assert rendered == 1
    assert xml == render_feed(SHOW, edited, links=LINKS)
    assert b"<title>Nieuwe titel</title>" in xml


def test_adding_one_episode_renders_only_its_item(tmp_path: Path) -> None:
    cached(SHOW, EPISODES, tmp_path / "items.pickle")
    newest = EPISODES[0]
    added = replace(newest, slug="nieuw", guid="nieuw-1", title="Nieuw",
                    published=newest.published + dt.timedelta(days=7))  # fmt: skip
    xml, rendered = cached(SHOW, [added, *EPISODES], tmp_path / "items.pickle")
    assert rendered == 1
    assert xml == render_feed(SHOW, [added, *EPISODES], links=LINKS)


@pytest.mark.parametrize("field", ["explicit", "language", "persons"])
def test_a_show_field_items_read_renders_every_item_again(tmp_path: Path, field: str) -> None:
    cached(SHOW, EPISODES, tmp_path / "items.pickle")
    value = {"explicit": True, "language": "en", "persons": (Person("Anna"),)}[field]
    show = replace(SHOW, **{field: value})
    xml, rendered = cached(show, EPISODES, tmp_path / "items.pickle")
    assert rendered == len(EPISODES)
    assert xml == render_feed(show, EPISODES, links=LINKS)


def test_another_base_url_renders_every_item_again(tmp_path: Path) -> None:
    cached(SHOW, EPISODES, tmp_path / "items.pickle")
    cache = ItemCache(tmp_path / "items.pickle")
    other = Links("https://elders.example.org")
    assert render_feed(SHOW, EPISODES, links=other, cache=cache) == render_feed(
        SHOW, EPISODES, links=other
    )
    assert cache.rendered == len(EPISODES)


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[1, 2]", b'{"format": 1, "items": 3}',
                                    b"\xff\xfe binary", b'{"format": 0, "items": {}}',
                                    b"mediafeed-cache-1\n" + b"\0" * 40])  # fmt: skip
def test_a_damaged_cache_file_costs_a_full_render(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "items.pickle"
    path.write_bytes(damage)
    xml, rendered = cached(SHOW, EPISODES, path)
    assert xml == render_feed(SHOW, EPISODES, links=LINKS)
    assert rendered == len(EPISODES)


def test_a_cached_entry_that_is_no_item_is_rendered_again(tmp_path: Path) -> None:
    path = tmp_path / "items.pickle"
    cached(SHOW, EPISODES, path)
    before = localcache.load_dict(path, itemcache.FORMAT)
    first = sorted(before)[0]
    localcache.save_dict(path, itemcache.FORMAT, before, {**before, first: b"<item>cut short"})
    xml, rendered = cached(SHOW, EPISODES, path)
    assert rendered == 1
    assert xml == render_feed(SHOW, EPISODES, links=LINKS)


def test_saving_drops_entries_the_build_did_not_use(tmp_path: Path) -> None:
    path = tmp_path / "items.pickle"
    cached(SHOW, EPISODES, path)
    cached(SHOW, EPISODES[:1], path)
    assert len(localcache.load_dict(path, itemcache.FORMAT)) == 1


def test_a_build_that_renders_no_feed_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "items.pickle"
    cached(SHOW, EPISODES, path)
    before = path.stat().st_mtime_ns, path.read_bytes()
    ItemCache(path).save()
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


def test_notes_holding_the_item_separator_still_splice_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sanitized notes cannot hold a raw <item> tag today; the split must not depend on it.
    monkeypatch.setattr(feed, "render_notes", lambda notes: f"<p>{notes}</p>\n    <item>x")
    xml, rendered = cached(SHOW, EPISODES, tmp_path / "items.pickle")
    assert rendered == len(EPISODES)
    assert xml == render_feed(SHOW, EPISODES, links=LINKS)


# Every code point, surrogates and C0/C1 controls included, with markup mixed in.
ANY_CHAR = st.one_of(st.characters(exclude_categories=()), st.characters(categories=["Cs"]))
MARKUP = st.sampled_from(["<b>", "</p>", "]]>", "<![CDATA[", "&amp;", "\x00", "\ufffe",
                          "\n    <item>", "</item>", "<item>", "**", "\n\n", "\r\n"])  # fmt: skip
TEXT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=8), MARKUP), max_size=8).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXT, notes=TEXT, summary=TEXT)
def test_any_text_gives_the_same_bytes_both_ways(title: str, notes: str, summary: str) -> None:
    episodes = [replace(EPISODES[0], title=title, notes=notes, summary=summary), *EPISODES[1:]]
    direct = render_feed(SHOW, episodes, links=LINKS)
    cache = ItemCache(Path("/nonexistent/items.json"))
    assert render_feed(SHOW, episodes, links=LINKS, cache=cache) == direct
    assert render_feed(SHOW, episodes, links=LINKS, cache=cache) == direct


def count_item_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs of the items feedgen renders from now on."""
    calls: list[str] = []
    item = feed._item
    monkeypatch.setattr(feed, "_item", lambda fg, show, ep, links: (calls.append(ep.slug),
                                                                     item(fg, show, ep, links)))  # fmt: skip
    return calls


def assert_feed_is_the_direct_render(show_dir: Path, public: tuple[Episode, ...]) -> None:
    direct = render_feed(load_show(show_dir), public, links=LINKS)
    assert (show_dir / "feed" / "feed.xml").read_bytes() == direct


def test_a_build_after_adding_an_episode_renders_one_item(
    show_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_episodes(show_dir, tmp_path, 4)
    build(load_show(show_dir), links=LINKS, now=NOW)
    source = show_dir / "episodes" / "aflevering-00001.md"
    text = source.read_text(encoding="utf-8").replace("guid: ep-1", "guid: ep-nieuw")
    (show_dir / "episodes" / "nieuw.md").write_text(
        text.replace("published: '2020-01-13", "published: '2029-01-13"), encoding="utf-8"
    )
    calls = count_item_renders(monkeypatch)
    result = build(load_show(show_dir), links=LINKS, now=NOW)
    assert calls == ["nieuw"]
    assert_feed_is_the_direct_render(show_dir, result.public)
    saved = localcache.load_dict(show_dir / ".mediafeed" / "items.pickle", itemcache.FORMAT)
    assert len(saved) == 5


def test_a_build_after_editing_an_episode_file_renders_its_item_only(
    show_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slugs = many_episodes(show_dir, tmp_path, 4)
    build(load_show(show_dir), links=LINKS, now=NOW)
    path = show_dir / "episodes" / f"{slugs[1]}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("*ontmoeting*", "**buren**"),
                    encoding="utf-8")  # fmt: skip
    calls = count_item_renders(monkeypatch)
    result = build(load_show(show_dir), links=LINKS, now=NOW)
    assert calls == [slugs[1]]
    assert_feed_is_the_direct_render(show_dir, result.public)
    assert b"<strong>buren</strong>" in (show_dir / "feed" / "feed.xml").read_bytes()
