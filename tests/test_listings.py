"""The listings (feeds, show and year pages) made in a forked process beside the rest of
a build are those one process makes, and what making them taught the caches is kept."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from mediafeed import build as building
from mediafeed import listings
from mediafeed.build import build
from mediafeed.config import load_show
from mediafeed.errors import EpisodeError, MediafeedError
from mediafeed.links import Links
from tests.showmaker import many_episodes

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LINKS = Links("https://podcast.example.org/show")


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.fixture
def show(show_dir: Path, tmp_path: Path) -> Path:
    """A show of 40 weekly episodes, built once, and one episode added since."""
    slugs = many_episodes(show_dir, tmp_path, 40)
    build(load_show(show_dir), links=LINKS, now=NOW)
    newest = show_dir / "episodes" / f"{slugs[-1]}.md"
    os.link(show_dir / "media" / f"{slugs[-1]}.mp3", show_dir / "media" / "extra.mp3")
    (show_dir / "episodes" / "extra.md").write_text(
        newest.read_text().replace("Aflevering 40", "Extra").replace("guid: ep-40", "guid: ep-x")
        .replace(f"media/{slugs[-1]}.mp3", "media/extra.mp3"))  # fmt: skip
    return show_dir


@pytest.fixture
def beside(children: list[int], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Builds of this test make the listings beside from one episode up; the list grows
    by one for each child started."""
    monkeypatch.setattr(building, "LISTINGS_BESIDE_FROM", 1)
    return children


def in_one_process(show: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The same show copied elsewhere and built there without forking."""
    copy = tmp_path / "apart" / "show"
    shutil.copytree(show, copy, symlinks=True)
    with monkeypatch.context() as patched:
        patched.setattr(building, "LISTINGS_BESIDE_FROM", 10**9)
        return copy, build(load_show(copy), links=LINKS, now=NOW)


def test_listings_made_beside_are_those_made_in_one_process(
    show: Path, tmp_path: Path, beside: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    apart, alone = in_one_process(show, tmp_path, monkeypatch)
    result = build(load_show(show), links=LINKS, now=NOW)
    assert beside, "a child made the listings"
    assert files(show / "feed") == files(apart / "feed")
    assert b"Extra" in (show / "feed" / "feed.xml").read_bytes()
    assert [(o.key, o.size, o.sha256) for o in result.manifest.objects] == [
        (o.key, o.size, o.sha256) for o in alone.manifest.objects]  # fmt: skip


def test_what_the_child_learned_is_kept_so_a_rebuild_writes_and_renders_nothing(
    show: Path, beside: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    build(load_show(show), links=LINKS, now=NOW)
    assert beside
    before = {p: p.stat().st_mtime_ns for p in (show / "feed").rglob("*")}
    rendered: list[str] = []
    monkeypatch.setattr(listings, "render_page", lambda *a, **k: rendered.append("feed"))
    build(load_show(show), links=LINKS, now=NOW)
    assert rendered == []
    assert {p: p.stat().st_mtime_ns for p in (show / "feed").rglob("*")} == before


def test_a_template_error_beside_is_the_error_of_one_process(
    show: Path, tmp_path: Path, beside: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    (show / "templates").mkdir()
    (show / "templates" / "year.html").write_text("{% if %}\n")
    with pytest.raises(EpisodeError) as apart:
        in_one_process(show, tmp_path, monkeypatch)
    with pytest.raises(EpisodeError) as together:
        build(load_show(show), links=LINKS, now=NOW)
    assert beside
    assert str(together.value) == str(apart.value).replace(str(tmp_path / "apart" / "show"),
                                                           str(show))  # fmt: skip
    assert "year.html" in str(together.value)


def test_a_child_that_dies_has_its_listings_made_here(
    show: Path, tmp_path: Path, beside: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    apart, _ = in_one_process(show, tmp_path, monkeypatch)
    parent = os.getpid()
    real = listings.make_listings

    def dying(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            os._exit(3)
        return real(*args, **kwargs)

    monkeypatch.setattr(building, "make_listings", dying)
    build(load_show(show), links=LINKS, now=NOW)
    assert beside
    assert files(show / "feed") == files(apart / "feed")


def test_a_first_build_makes_its_listings_beside_too(
    show_dir: Path, tmp_path: Path, beside: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    many_episodes(show_dir, tmp_path, 35)
    apart, _ = in_one_process(show_dir, tmp_path, monkeypatch)
    build(load_show(show_dir), links=LINKS, now=NOW)
    assert beside
    assert files(show_dir / "feed") == files(apart / "feed")
    assert (show_dir / "feed" / "years" / "2020" / "index.html").is_file()


def test_an_episode_error_while_the_listings_are_made_beside_waits_for_the_child(
    show: Path, beside: list[int]
) -> None:
    extra = show / "episodes" / "extra.md"
    extra.write_text(extra.read_text().replace("---\n", "---\ntranscript: transcripts/weg.vtt\n", 1))
    with pytest.raises(MediafeedError, match="weg.vtt"):
        build(load_show(show), links=LINKS, now=NOW)
    assert beside
    for pid in beside:
        with pytest.raises(ChildProcessError):  # waited for already: no child left behind
            os.waitpid(pid, os.WNOHANG)
