"""The feed items and list rows a build keeps as text, and reads in runs: each run under
the keys of its fragments, so each input of a fragment, code included, reaches it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from mediafeed.build import BuildResult, build
from mediafeed.cache import CACHE_FILE, FOLDER, Cache
from mediafeed.config import load_show
from mediafeed.links import Links
from tests.showmaker import many_episodes
from tests.test_cache import edited_package, mediafeed_cli

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LINKS = Links("https://podcast.example.org/show")


def again(show: Path) -> BuildResult:
    return build(load_show(show), links=LINKS, now=NOW)


def test_a_text_value_comes_back_as_it_was_put(tmp_path: Path) -> None:
    with Cache(tmp_path) as cache:
        cache.put("row", "een", '<li>"een"\n\\t</li>', text=True)
        assert cache.get_many("row", ["een"], text=True) == {"een": '<li>"een"\n\\t</li>'}
    with Cache(tmp_path) as cache:
        assert cache.get_many("row", ["een", "twee"], text=True) == {"een": '<li>"een"\n\\t</li>'}


def test_items_and_rows_are_kept_as_the_text_of_the_feed_and_pages(
    show_dir: Path, tmp_path: Path
) -> None:
    many_episodes(show_dir, tmp_path, 3)
    again(show_dir)
    with sqlite3.connect(show_dir / FOLDER / CACHE_FILE) as db:
        items = [value for (value,) in db.execute("SELECT value FROM memo WHERE kind = 'item'")]
        rows = [value for (value,) in db.execute("SELECT value FROM memo WHERE kind = 'row'")]
    feed = (show_dir / "feed" / "feed.xml").read_text(encoding="utf-8")
    show_page = (show_dir / "feed" / "index.html").read_text(encoding="utf-8")
    assert len(items) == 3 and all(item.startswith("<item>") and item in feed for item in items)
    assert rows and all(row in show_page for row in rows)


def feed(show: Path) -> bytes:
    return (show / "feed" / "feed.xml").read_bytes()


def test_a_damaged_run_is_made_again_from_its_items(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 3)
    again(show_dir)
    first, page = feed(show_dir), (show_dir / "feed" / "index.html").read_bytes()
    with sqlite3.connect(show_dir / FOLDER / CACHE_FILE) as db:
        assert db.execute("UPDATE memo SET value = '9 9\nkort' WHERE kind LIKE '%-run'").rowcount
    (show_dir / "feed" / "feed.xml").unlink()
    (show_dir / "feed" / "index.html").unlink()
    again(show_dir)
    assert feed(show_dir) == first
    assert (show_dir / "feed" / "index.html").read_bytes() == page


def test_an_edited_episode_reaches_the_run_it_falls_in(show_dir: Path, tmp_path: Path) -> None:
    slugs = many_episodes(show_dir, tmp_path, 3)
    again(show_dir)
    path = show_dir / "episodes" / f"{slugs[1]}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Aflevering 2", "Herzien"))
    again(show_dir)
    assert b"<title>Herzien</title>" in feed(show_dir)
    assert b"Aflevering 2<" not in feed(show_dir)
    assert "Herzien" in (show_dir / "feed" / "index.html").read_text(encoding="utf-8")


def test_the_show_s_own_row_template_reaches_the_runs(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 3)
    again(show_dir)
    (show_dir / "templates").mkdir()
    (show_dir / "templates" / "_episode_row.html").write_text("<li>eigen {{ row.href }}</li>\n")
    again(show_dir)
    assert (show_dir / "feed" / "index.html").read_text(encoding="utf-8").count("eigen ") == 3


def test_changed_code_reaches_the_items_of_the_runs(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 3)
    assert mediafeed_cli(show_dir, "build").returncode == 0
    edited = edited_package(tmp_path, "render/feed.py", "title = text(ep.title) or ep.slug",
                            'title = "bewerkt " + (text(ep.title) or ep.slug)')  # fmt: skip
    result = mediafeed_cli(show_dir, "build", pythonpath=edited)
    assert result.returncode == 0, result.stderr
    assert feed(show_dir).count(b"<title>bewerkt Aflevering") == 3
    assert mediafeed_cli(show_dir, "build").returncode == 0
    assert b"bewerkt" not in feed(show_dir)
