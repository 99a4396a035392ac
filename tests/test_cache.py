"""What mediafeed remembers between runs never outlives what it was made from: the content
of the inputs and the code that made it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import podcastparser
import pytest
from PIL import Image

import mediafeed
from mediafeed.build import build
from mediafeed.cache import CACHE_FILE, FOLDER, Cache
from mediafeed.config import load_show
from mediafeed.links import Links
from tests.showmaker import many_episodes

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LINKS = Links("https://podcast.example.org/show")
PACKAGE = Path(mediafeed.__file__).parent
OLD = (1_000_000_000_000_000_000, 1_000_000_000_000_000_000)  # 2001: older than any build


@pytest.fixture
def built(show_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    slugs = many_episodes(show_dir, tmp_path, 3)
    build(load_show(show_dir), links=LINKS, now=NOW)
    return show_dir, slugs


def variants(show: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (show / "feed" / "images").glob("artwork-*.jpg")}


def picture(path: Path, colour: tuple[int, int, int]) -> None:
    Image.new("RGB", (1400, 1400), colour).save(path, "JPEG")


def mediafeed_cli(
    show: Path, *args: str, pythonpath: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "mediafeed", "-C", str(show), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=show.parent,
    )


def edited_package(tmp_path: Path, module: str, old: str, new: str) -> Path:
    """A copy of the installed package with one string changed, as an upgrade or an edit
    would leave it; returns the folder to put on PYTHONPATH."""
    root = tmp_path / "edited"
    shutil.copytree(PACKAGE, root / "mediafeed", ignore=shutil.ignore_patterns("__pycache__"))
    path = root / "mediafeed" / module
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def pages(show: Path) -> dict[str, str]:
    """The full pages (the embeddable players are one short landmark, with no skip link)."""
    out = show / "feed"
    return {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in out.rglob("*.html")
        if p.parent.name != "embed"
    }


def test_artwork_replaced_by_an_older_picture_changes_every_size(
    built: tuple[Path, list[str]], tmp_path: Path
) -> None:
    show, _ = built
    before = variants(show)
    replacement = tmp_path / "new.jpg"
    picture(replacement, (20, 120, 200))
    os.utime(replacement, ns=OLD)
    shutil.copy2(replacement, show / "artwork.jpg")  # cp -p: the old file time comes along
    build(load_show(show), links=LINKS, now=NOW)
    after = variants(show)
    assert set(after) == set(before) and len(after) == 4
    for name, data in after.items():
        assert data != before[name], name
    assert (show / "feed" / "images" / "artwork.jpg").read_bytes() == replacement.read_bytes()


def test_switching_the_artwork_and_back_makes_the_sizes_of_each(
    built: tuple[Path, list[str]],
) -> None:
    show, _ = built
    first = variants(show)
    picture(show / "photo.jpg", (200, 30, 30))
    config = show / "mediafeed.toml"
    original = config.read_text()
    config.write_text(original.replace('artwork = "artwork.jpg"', 'artwork = "photo.jpg"'))
    build(load_show(show), links=LINKS, now=NOW)
    assert variants(show) != first
    config.write_text(original)
    build(load_show(show), links=LINKS, now=NOW)
    assert variants(show) == first


@pytest.mark.parametrize(
    ("module", "old", "new", "where"),
    [
        ("render/words/nl.toml", "Direct naar de inhoud", "Meteen naar de inhoud", "pages"),
        (
            "render/i18n.py",
            "return template.format(**values) if values else template",
            "return template.format(**values).replace('Direct', 'Meteen') if values "
            "else template.replace('Direct', 'Meteen')",
            "pages",
        ),
        ("render/feed.py", 'fg.generator("mediafeed"', 'fg.generator("mediafeed-bewerkt"', "feed"),
    ],
)
def test_a_changed_copy_of_the_package_reaches_every_output(
    built: tuple[Path, list[str]], tmp_path: Path, module: str, old: str, new: str, where: str
) -> None:
    show, _ = built
    edited = edited_package(tmp_path, module, old, new)
    result = mediafeed_cli(show, "build", pythonpath=edited)
    assert result.returncode == 0, result.stderr
    if where == "pages":
        found = pages(show)
        assert len(found) >= 4
        for key, text in found.items():
            assert "Meteen naar de inhoud" in text and "Direct naar de inhoud" not in text, key
    else:
        feed = (show / "feed" / "feed.xml").read_text(encoding="utf-8")
        assert "mediafeed-bewerkt" in feed
    # And back: the installed code makes its own output again.
    assert mediafeed_cli(show, "build").returncode == 0
    assert all("Direct naar de inhoud" in text for text in pages(show).values())


def test_a_changed_episode_parser_reaches_the_listing(
    built: tuple[Path, list[str]], tmp_path: Path
) -> None:
    show, _ = built
    before = mediafeed_cli(show, "list", "--json")
    assert '"Aflevering 1"' in before.stdout
    edited = edited_package(
        tmp_path,
        "episodes.py",
        '"title": get("title", str, "").strip()',
        '"title": get("title", str, "").strip().upper()',
    )
    after = mediafeed_cli(show, "list", "--json", pythonpath=edited)
    assert after.returncode == 0, after.stderr
    assert '"AFLEVERING 1"' in after.stdout


def fingerprint(pythonpath: Path | None = None) -> str:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    script = "from mediafeed.cache import code_fingerprint; print(code_fingerprint())"
    found = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    return found.stdout.strip()


@pytest.mark.parametrize("upgraded", ["MarkupSafe", "Jinja2", "feedgen", "Pillow", "nh3"])
def test_an_upgrade_of_a_library_that_shapes_the_output_is_new_code(
    tmp_path: Path, upgraded: str
) -> None:
    """Escaping (MarkupSafe), templates, the feed, resized artwork and sanitized notes are
    each the library's output: another version of one must not reuse what it made."""
    (tmp_path / f"{upgraded}-999.0.dist-info").mkdir()  # found first on the path
    assert fingerprint(tmp_path) != fingerprint()


@pytest.mark.parametrize("damage", ["truncated", "random bytes", "empty", "a folder"])
def test_a_damaged_cache_file_is_ignored_and_rebuilt(
    built: tuple[Path, list[str]], damage: str
) -> None:
    show, _ = built
    path = show / FOLDER / CACHE_FILE
    assert mediafeed_cli(show, "build").returncode == 0
    feed = (show / "feed" / "feed.xml").read_bytes()
    if damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif damage == "random bytes":
        path.write_bytes(os.urandom(50_000))
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
        path.mkdir()
    (show / "feed" / "feed.xml").unlink()
    result = mediafeed_cli(show, "build")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (show / "feed" / "feed.xml").read_bytes() == feed


def test_a_cache_copied_in_from_another_show_changes_nothing(
    built: tuple[Path, list[str]], tmp_path: Path
) -> None:
    show, slugs = built
    other = tmp_path / "other"
    shutil.copytree(show, other)
    path = other / "episodes" / f"{slugs[0]}.md"
    path.write_text(path.read_text().replace("Aflevering 1", "Een andere titel"))
    build(load_show(other), links=LINKS, now=NOW)
    shutil.copy2(other / FOLDER / CACHE_FILE, show / FOLDER / CACHE_FILE)
    build(load_show(show), links=LINKS, now=NOW)
    feed = podcastparser.parse("feed.xml", (show / "feed" / "feed.xml").open("rb"))
    assert "Een andere titel" not in {episode["title"] for episode in feed["episodes"]}


def test_an_episode_rewritten_within_the_same_tick_is_read_again(
    built: tuple[Path, list[str]],
) -> None:
    show, slugs = built
    path = show / "episodes" / f"{slugs[1]}.md"
    path.write_text(path.read_text().replace("Aflevering 2", "Aflevering Y"))
    build(load_show(show), links=LINKS, now=NOW)  # reads it while a rewrite keeps its stat
    stamp = path.stat()
    path.write_text(path.read_text().replace("Aflevering Y", "Aflevering X"))
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_ino) == (stamp.st_size, stamp.st_ino)
    build(load_show(show), links=LINKS, now=NOW)
    assert "Aflevering X" in (show / "feed" / "feed.xml").read_text()


def test_an_episode_replaced_by_an_older_copy_is_read_again(
    built: tuple[Path, list[str]], tmp_path: Path
) -> None:
    show, slugs = built
    path = show / "episodes" / f"{slugs[1]}.md"
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(hour_ago, hour_ago))
    build(load_show(show), links=LINKS, now=NOW)  # trusted by its stat from now on
    older = tmp_path / "older.md"
    older.write_text(path.read_text().replace("Aflevering 2", "Aflevering Z"))
    os.utime(older, ns=OLD)
    shutil.copy2(older, path)  # cp -p: same file, another (older) time
    build(load_show(show), links=LINKS, now=NOW)
    assert "Aflevering Z" in (show / "feed" / "feed.xml").read_text()


def test_a_transcript_edited_with_an_old_time_stamp_reaches_the_page(
    built: tuple[Path, list[str]],
) -> None:
    show, slugs = built
    transcript = show / "transcripts" / "t.txt"
    transcript.parent.mkdir(exist_ok=True)
    transcript.write_text("Eerste versie van de tekst.\n")
    os.utime(transcript, ns=OLD)
    path = show / "episodes" / f"{slugs[0]}.md"
    path.write_text(path.read_text().replace("audio:", "transcript: transcripts/t.txt\naudio:"))
    build(load_show(show), links=LINKS, now=NOW)
    transcript.write_text("Tweede versie van de tekst.\n")
    os.utime(transcript, ns=(OLD[0] + 10**9, OLD[1] + 10**9))  # older than the build still
    build(load_show(show), links=LINKS, now=NOW)
    page = (show / "feed" / "episodes" / slugs[0] / "index.html").read_text()
    assert "Tweede versie" in page and "Eerste versie" not in page


@pytest.mark.slow
@pytest.mark.parametrize("command", ["build", "publish"])
def test_two_runs_at_once_in_one_show_end_with_a_whole_output(
    built: tuple[Path, list[str]], command: str, request: pytest.FixtureRequest
) -> None:
    show, slugs = built
    if command == "publish":
        published, _ = request.getfixturevalue("published_show")
        assert published == show
    shutil.rmtree(show / "feed")
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: mediafeed_cli(show, command), range(2)))
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
    feed = podcastparser.parse("feed.xml", (show / "feed" / "feed.xml").open("rb"))
    assert len(feed["episodes"]) == len(slugs)
    for slug in slugs:
        assert "Aflevering" in (show / "feed" / "episodes" / slug / "index.html").read_text()
    assert not [p for p in (show / "feed").rglob("*.tmp")]


def test_a_damaged_value_leaves_the_others_of_its_kind(tmp_path: Path) -> None:
    with Cache(tmp_path) as cache:
        for key in ("een", "twee", "drie"):
            cache.put("unit", key, f"waarde {key}")
    with sqlite3.connect(tmp_path / FOLDER / CACHE_FILE) as db:
        db.execute("UPDATE memo SET value = '[\"kapot' WHERE key = 'twee'")
    with Cache(tmp_path) as cache:
        assert cache.values_of("unit") == {"een": "waarde een", "drie": "waarde drie"}
