"""A build that finds every input as the last build read it takes that build whole; any one
input changed alone, code included, makes it redo what that input makes."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from mediafeed.build import BuildResult, build
from mediafeed.cache import CACHE_FILE, FOLDER, Cache
from mediafeed.config import load_show
from mediafeed.errors import MediaError
from mediafeed.lastbuild import last_build
from mediafeed.links import Links, episode_page_key
from tests.showmaker import many_episodes
from tests.test_cache import edited_package, mediafeed_cli

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LINKS = Links("https://podcast.example.org/show")
OLD = (1_000_000_000_000_000_000, 1_000_000_000_000_000_000)  # 2001: older than any build


def again(show: Path, *, now: dt.datetime = NOW, published: tuple[str, ...] = ()) -> BuildResult:
    return build(load_show(show), links=LINKS, now=now, published=published)


@pytest.fixture
def twice(show_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """A show built twice, the second time from the first's record; its first episode names
    an image and a transcript."""
    slugs = many_episodes(show_dir, tmp_path, 3)
    (show_dir / "transcripts").mkdir()
    (show_dir / "transcripts" / "een.txt").write_text("Eerste versie van de tekst.\n")
    Image.new("RGB", (1400, 1400), (10, 10, 10)).save(show_dir / "een.jpg", "JPEG")
    for name in ("transcripts/een.txt", "een.jpg"):
        os.utime(show_dir / name, ns=OLD)
    edit(show_dir, slugs[0], "audio:", "transcript: transcripts/een.txt\nimage: een.jpg\naudio:")
    hour_ago = time.time_ns() - 3600 * 10**9  # older than the window a write may still move in
    for path in (show_dir / "episodes").iterdir():
        os.utime(path, ns=(hour_ago, hour_ago))
    again(show_dir)
    again(show_dir)
    return show_dir, slugs


def edit(show: Path, slug: str, old: str, new: str) -> None:
    path = show / "episodes" / f"{slug}.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def page(show: Path, slug: str) -> str:
    return (show / "feed" / "episodes" / slug / "index.html").read_text(encoding="utf-8")


def test_an_unchanged_build_is_the_full_build(twice: tuple[Path, list[str]]) -> None:
    show, _ = twice
    taken = again(show)
    (show / ".mediafeed" / "cache.db").unlink()
    full = again(show)
    assert taken.manifest == full.manifest
    assert (taken.episodes, taken.public, taken.unpublished) == (
        full.episodes,
        full.public,
        full.unpublished,
    )
    assert taken.statuses == full.statuses


LATER = (OLD[0] + 10**9, OLD[1] + 10**9)  # still older than any build


def test_an_unchanged_build_reads_no_episode_file(
    twice: tuple[Path, list[str]], opens: Callable[[Path], list[str]]
) -> None:
    show, _ = twice
    watched = [opens(path) for path in (show / "episodes").iterdir()]
    before = {p: p.stat().st_mtime_ns for p in (show / "feed").rglob("*") if p.is_file()}
    again(show)
    assert watched and all(seen == [] for seen in watched)
    assert {p: p.stat().st_mtime_ns for p in (show / "feed").rglob("*") if p.is_file()} == before


def test_an_episode_removed_leaves_no_unit_of_it_in_the_record(
    twice: tuple[Path, list[str]],
) -> None:
    show, slugs = twice
    (show / "episodes" / f"{slugs[-1]}.md").unlink()
    again(show)
    with Cache(show) as cache:
        record = last_build(cache, str(show / "feed"))
        units = cache.values_of(f"built-unit:{show / 'feed'}")
    assert record is not None and record.units == units
    assert not any(episode_page_key(slugs[-1]) in entry for entry in units.values())


def replace_old(path: Path, data: bytes) -> None:
    """New bytes under an old file time, as `cp -p` leaves them (in the same file, so its
    links in feed/ see them too)."""
    path.write_bytes(data)
    os.utime(path, ns=LATER)


def picture(path: Path, colour: tuple[int, int, int]) -> None:
    """A new picture in place of the old, with an old file time (as `rsync -a` leaves it)."""
    path.unlink()
    Image.new("RGB", (1400, 1400), colour).save(path, "JPEG")
    os.utime(path, ns=LATER)


def copied(show: Path, slug: str, new: str) -> None:
    shutil.copy(show / "episodes" / f"{slug}.md", show / "episodes" / f"{new}.md")
    edit(show, new, "guid: ep-3", f"guid: ep-{new}")


def blue(path: Path) -> bool:
    """Whether the picture is the blue one `CASES` puts in place of the show's artwork."""
    with Image.open(path) as image:
        red, green, blue = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    return red < 30 and 60 < green < 120 and blue > 170


Change = Callable[[Path, list[str]], None]
Check = Callable[[Path, list[str]], bool]
CASES: dict[str, tuple[Change, Check]] = {
    "episode file": (
        lambda show, slugs: edit(show, slugs[1], "title: Aflevering 2", "title: Nieuwe titel"),
        lambda show, slugs: "Nieuwe titel" in page(show, slugs[1]),
    ),
    "episode added": (
        lambda show, slugs: copied(show, slugs[2], "extra"),
        lambda show, slugs: (show / "feed" / "episodes" / "extra" / "index.html").is_file(),
    ),
    "episode removed": (
        lambda show, slugs: (show / "episodes" / f"{slugs[2]}.md").unlink(),
        lambda show, slugs: not (show / "feed" / "episodes" / slugs[2]).exists(),
    ),
    "transcript": (
        lambda show, slugs: replace_old(
            show / "transcripts" / "een.txt", b"Tweede versie van de tekst.\n"
        ),
        lambda show, slugs: "Tweede versie" in page(show, slugs[0]),
    ),
    "image": (
        lambda show, slugs: picture(show / "een.jpg", (200, 200, 0)),
        lambda show, slugs: (
            (show / "feed" / "images" / "een.jpg").read_bytes() == (show / "een.jpg").read_bytes()
        ),
    ),
    "artwork": (
        lambda show, slugs: picture(show / "artwork.jpg", (0, 90, 200)),
        lambda show, slugs: all(blue(path) for path in (show / "feed" / "images").glob("artwork*")),
    ),
    "config": (
        lambda show, slugs: (show / "mediafeed.toml").write_text(
            (show / "mediafeed.toml").read_text().replace('title = "', 'title = "Nieuw: ', 1)
        ),
        lambda show, slugs: "Nieuw: " in (show / "feed" / "index.html").read_text(),
    ),
    "show template": (
        lambda show, slugs: (
            (show / "templates").mkdir()
            or (show / "templates" / "style.css").write_text("body { color: teal; }\n")
        ),
        lambda show, slugs: "teal" in (show / "feed" / "style.css").read_text(),
    ),
    "page in feed/": (
        lambda show, slugs: replace_old(
            show / "feed" / "episodes" / slugs[1] / "index.html", b"<p>kapot</p>"
        ),
        lambda show, slugs: "Aflevering 2" in page(show, slugs[1]),
    ),
}


@pytest.mark.parametrize("changed", list(CASES))
def test_one_input_changed_alone_is_built_again(
    twice: tuple[Path, list[str]], changed: str
) -> None:
    show, slugs = twice
    change, check = CASES[changed]
    change(show, slugs)
    assert not check(show, slugs)
    again(show)
    assert check(show, slugs)


def test_media_changed_behind_the_episode_file_stops_the_build(
    twice: tuple[Path, list[str]],
) -> None:
    show, slugs = twice
    media = show / "media" / f"{slugs[1]}.mp3"
    data = bytearray(media.read_bytes())
    data[-1] ^= 0xFF
    media.unlink()  # its own file now: the others share the old one
    replace_old(media, bytes(data))
    with pytest.raises(MediaError, match="content differs"):
        again(show)


def test_a_scheduled_episode_comes_out_when_it_is_due(twice: tuple[Path, list[str]]) -> None:
    show, slugs = twice
    path = show / "episodes" / f"{slugs[2]}.md"
    path.write_text(re.sub(r"published: '[^']*'", "published: '2031-01-01T09:00:00+00:00'",
                           path.read_text(encoding="utf-8")), encoding="utf-8")  # fmt: skip
    assert again(show).statuses["scheduled"] == 1
    assert not (show / "feed" / "episodes" / slugs[2]).exists()
    again(show)  # taken whole: still not due
    assert not (show / "feed" / "episodes" / slugs[2]).exists()
    later = again(show, now=dt.datetime(2032, 1, 1, tzinfo=dt.UTC))
    assert (show / "feed" / "episodes" / slugs[2] / "index.html").is_file()
    assert later.statuses["published"] == 3


def test_a_clock_set_back_holds_back_what_is_not_out_yet(twice: tuple[Path, list[str]]) -> None:
    show, slugs = twice
    newest = max(ep.published for ep in again(show).public)
    earlier = again(show, now=newest - dt.timedelta(seconds=1))
    assert earlier.statuses["published"] == 2
    assert not (show / "feed" / "episodes" / slugs[2]).exists()


def test_a_page_the_store_serves_stays_as_a_notice(twice: tuple[Path, list[str]]) -> None:
    show, _ = twice
    again(show, published=("weg",))
    assert (show / "feed" / "episodes" / "weg" / "index.html").is_file()


def test_a_changed_copy_of_the_package_builds_again(
    twice: tuple[Path, list[str]], tmp_path: Path
) -> None:
    show, slugs = twice
    edited = edited_package(
        tmp_path, "render/words/nl.toml", "Direct naar de inhoud", "Meteen naar"
    )
    result = mediafeed_cli(show, "build", pythonpath=edited)
    assert result.returncode == 0, result.stderr
    assert all("Meteen naar" in page(show, slug) for slug in slugs)


def memo_values(show: Path, kind: str) -> dict[str, str]:
    """The cache's values of a kind (or of the kinds it begins), as stored."""
    with sqlite3.connect(show / FOLDER / CACHE_FILE) as db:
        rows = db.execute("SELECT key, value FROM memo WHERE kind LIKE ?", (f"{kind}%",))
        return dict(rows.fetchall())


@pytest.fixture
def long_built(show_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """A show of enough episodes that its catalog and its record's texts come in pieces."""
    slugs = many_episodes(show_dir, tmp_path, 150)
    hour_ago = time.time_ns() - 3600 * 10**9  # older than the window a write may still move in
    for path in show_dir.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(hour_ago, hour_ago))
    again(show_dir)
    return show_dir, slugs


def test_adding_an_episode_writes_one_value_of_the_catalog(
    long_built: tuple[Path, list[str]],
) -> None:
    show, slugs = long_built
    before = memo_values(show, "catalog")
    copied(show, slugs[2], "extra")
    again(show)
    after = memo_values(show, "catalog")
    assert len(before) > 1
    assert len([key for key, value in after.items() if before.get(key) != value]) == 1


def test_adding_an_episode_writes_a_few_pieces_of_the_record(
    long_built: tuple[Path, list[str]],
) -> None:
    show, slugs = long_built
    before = memo_values(show, "built-piece:")
    copied(show, slugs[2], "extra")
    again(show)
    after = memo_values(show, "built-piece:")
    new = after.keys() - before.keys()
    # Two lines added (the episode file read, its page's permalink), each in one piece or,
    # where it ends one, in two; the pieces of the other lines are kept as they were.
    assert 0 < len(new) <= 4 and len(new) < len(after)
    with Cache(show) as cache:
        assert last_build(cache, str(show / "feed")) is not None


def test_a_lost_piece_of_the_record_costs_a_walk_not_a_wrong_build(
    long_built: tuple[Path, list[str]],
) -> None:
    show, slugs = long_built
    with sqlite3.connect(show / FOLDER / CACHE_FILE) as db:
        db.execute("DELETE FROM memo WHERE rowid = (SELECT min(rowid) FROM memo "
                   "WHERE kind LIKE 'built-piece:%')")  # fmt: skip
    (show / "feed" / "stray.txt").write_text("not made by the build\n")
    (show / "episodes" / f"{slugs[0]}.md").unlink()
    walked = again(show).manifest
    assert not (show / "feed" / "stray.txt").exists()
    assert not (show / "feed" / "episodes" / slugs[0]).exists()
    with Cache(show) as cache:
        assert last_build(cache, str(show / "feed")) is not None
    (show / ".mediafeed" / "cache.db").unlink()
    assert again(show).manifest == walked
