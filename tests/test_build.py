"""Incremental builds: a rebuild renders only what its inputs changed, and output stays right."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mediafeed import workers
from mediafeed.build import build
from mediafeed.config import load_show
from mediafeed.errors import MediaError, MediafeedError
from mediafeed.links import Links
from mediafeed.render import pages
from mediafeed.render.archive import SHOW_PAGE_EPISODES
from tests.showmaker import many_episodes

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LINKS = Links("https://podcast.example.org/show")


@pytest.fixture
def built(show_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    slugs = many_episodes(show_dir, tmp_path, 5)
    build(load_show(show_dir), links=LINKS, now=NOW)
    return show_dir, slugs


def stamps(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def rendered_since(out: Path, before: dict[str, int]) -> set[str]:
    return {key for key, stamp in stamps(out).items() if before.get(key) != stamp}


def test_an_unchanged_rebuild_writes_nothing(built: tuple[Path, list[str]]) -> None:
    show, _ = built
    before = stamps(show / "feed")
    build(load_show(show), links=LINKS, now=NOW)
    assert rendered_since(show / "feed", before) == set()


def test_editing_one_episode_rerenders_its_page_the_show_page_and_the_feed(
    built: tuple[Path, list[str]],
) -> None:
    show, slugs = built
    before = stamps(show / "feed")
    path = show / "episodes" / f"{slugs[2]}.md"
    path.write_text(path.read_text().replace("title: Aflevering 3", "title: Nieuwe titel"))
    build(load_show(show), links=LINKS, now=NOW)
    assert rendered_since(show / "feed", before) == {
        "feed.xml",
        "index.html",
        f"episodes/{slugs[2]}/index.html",
        f"episodes/{slugs[2]}/embed/index.html",
        f"episodes/{slugs[2]}/oembed.json",
    }
    assert "Nieuwe titel" in (show / "feed" / "episodes" / slugs[2] / "index.html").read_text()


def test_a_changed_base_url_rerenders_everything(built: tuple[Path, list[str]]) -> None:
    show, slugs = built
    build(load_show(show), links=Links("https://elders.example.org"), now=NOW)
    for slug in slugs:
        assert (
            "https://elders.example.org/"
            in (show / "feed" / "episodes" / slug / "index.html").read_text()
        )
    assert b"https://elders.example.org/feed.xml" in (show / "feed" / "feed.xml").read_bytes()


def test_a_show_template_override_rerenders_the_pages(built: tuple[Path, list[str]]) -> None:
    show, slugs = built
    templates = show / "templates"
    templates.mkdir()
    packaged = (
        Path(__file__).resolve().parent.parent / "mediafeed" / "render" / "templates" / "base.html"
    )
    (templates / "base.html").write_text(
        packaged.read_text().replace("</body>", "<p>eigen sjabloon</p></body>")
    )
    build(load_show(show), links=LINKS, now=NOW)
    assert "eigen sjabloon" in (show / "feed" / "episodes" / slugs[0] / "index.html").read_text()


def test_a_deleted_output_file_is_made_again(built: tuple[Path, list[str]]) -> None:
    show, slugs = built
    page = show / "feed" / "episodes" / slugs[1] / "index.html"
    page.unlink()
    build(load_show(show), links=LINKS, now=NOW)
    assert page.is_file() and "Aflevering 2" in page.read_text()


def test_a_renamed_episode_file_is_linked_by_its_new_name(built: tuple[Path, list[str]]) -> None:
    show, slugs = built
    (show / "episodes" / f"{slugs[2]}.md").rename(show / "episodes" / "nieuwe-naam.md")
    build(load_show(show), links=LINKS, now=NOW)
    for listing in ("feed.xml", "index.html"):
        text = (show / "feed" / listing).read_text()
        assert "episodes/nieuwe-naam/" in text and f"episodes/{slugs[2]}/" not in text, listing


def test_a_damaged_cache_costs_only_a_full_render(built: tuple[Path, list[str]]) -> None:
    show, slugs = built
    (show / ".mediafeed" / "cache.db").write_text("{niet json")
    os.utime(show / "episodes" / f"{slugs[0]}.md")
    result = build(load_show(show), links=LINKS, now=NOW)
    assert len(result.public) == 5 and (show / "feed" / "feed.xml").is_file()


def test_a_rebuild_with_unchanged_media_opens_no_media_file(
    built: tuple[Path, list[str]], opens: Callable[[Path], list[str]]
) -> None:
    show, _ = built
    hour_ago = time.time_ns() - 3600 * 10**9
    for media in (show / "media").iterdir():  # older than the window a write may still move in
        os.utime(media, ns=(hour_ago, hour_ago))
    build(load_show(show), links=LINKS, now=NOW)
    watched = [opens(media) for media in (show / "media").iterdir()]
    build(load_show(show), links=LINKS, now=NOW)
    assert watched and all(seen == [] for seen in watched)


def test_media_changed_behind_the_episode_file_stops_the_build(
    built: tuple[Path, list[str]],
) -> None:
    show, slugs = built
    media = show / "media" / f"{slugs[0]}.mp3"
    data = media.read_bytes()
    media.unlink()  # a hard link: write a changed copy of our own
    media.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(MediaError, match="content differs from the sha256"):
        build(load_show(show), links=LINKS, now=NOW)


@pytest.fixture
def long_show(show_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """Weekly episodes from January 2020 into 2021: more than the show page lists."""
    slugs = many_episodes(show_dir, tmp_path, 60)
    build(load_show(show_dir), links=LINKS, now=NOW)
    return show_dir, slugs


def test_a_long_show_page_lists_the_latest_episodes_and_links_a_page_per_year(
    long_show: tuple[Path, list[str]],
) -> None:
    show, slugs = long_show
    page = (show / "feed" / "index.html").read_text()
    listed = [slug for slug in slugs if f'href="episodes/{slug}/index.html"' in page]
    assert listed == slugs[-SHOW_PAGE_EPISODES:]
    assert 'href="years/2021/index.html"' in page and 'href="years/2020/index.html"' in page


def test_every_episode_of_a_long_show_is_on_the_page_of_its_year(
    long_show: tuple[Path, list[str]],
) -> None:
    show, slugs = long_show
    years = {
        year: (show / "feed" / "years" / str(year) / "index.html").read_text()
        for year in (2020, 2021)
    }
    for slug in slugs:
        on = [
            year
            for year, page in years.items()
            if f'href="../../episodes/{slug}/index.html"' in page
        ]
        assert len(on) == 1, slug
    assert "Afleveringen uit 2020" in years[2020]


def test_adding_an_episode_to_a_long_show_rerenders_only_its_page_its_year_and_the_latest(
    long_show: tuple[Path, list[str]], tmp_path: Path
) -> None:
    show, slugs = long_show
    before = stamps(show / "feed")
    add_61st(show, slugs)
    build(load_show(show), links=LINKS, now=NOW)
    rendered = rendered_since(show / "feed", before)
    media = {key for key in rendered if key.startswith("media/aflevering-00061-")}
    assert len(media) == 1
    assert rendered - media == {
        "feed.xml",
        "index.html",
        "years/2021/index.html",
        "episodes/aflevering-00061/index.html",
        "episodes/aflevering-00061/embed/index.html",
        "episodes/aflevering-00061/oembed.json",
        "toegankelijkheid/index.html",  # it counts the episodes with a transcript
    }


def add_61st(show: Path, slugs: list[str]) -> None:
    newest = show / "episodes" / f"{slugs[-1]}.md"
    added = (
        newest.read_text()
        .replace("Aflevering 60", "Aflevering 61")
        .replace("guid: ep-60", "guid: ep-61")
        .replace("2021-02-", "2021-03-")
    )
    os.link(show / "media" / f"{slugs[-1]}.mp3", show / "media" / "aflevering-00061.mp3")
    (show / "episodes" / "aflevering-00061.md").write_text(
        added.replace(f"media/{slugs[-1]}.mp3", "media/aflevering-00061.mp3")
    )


def test_list_pages_made_without_a_cache_are_the_pages_made_with_one(
    long_show: tuple[Path, list[str]],
) -> None:
    show, slugs = long_show
    add_61st(show, slugs)
    edited = show / "episodes" / f"{slugs[-3]}.md"
    edited.write_text(edited.read_text().replace("Aflevering 58", "Aflevering <58> & meer"))
    build(load_show(show), links=LINKS, now=NOW)
    kept = {
        page: (show / "feed" / page).read_bytes()
        for page in ("index.html", "years/2020/index.html", "years/2021/index.html")
    }
    (show / ".mediafeed" / "cache.db").unlink()
    build(load_show(show), links=LINKS, now=NOW)
    assert {page: (show / "feed" / page).read_bytes() for page in kept} == kept
    assert "Aflevering &lt;58&gt; &amp; meer" in kept["index.html"].decode()


def test_a_page_edited_by_hand_in_the_output_is_made_again(
    built: tuple[Path, list[str]],
) -> None:
    show, slugs = built
    page = show / "feed" / "episodes" / slugs[1] / "index.html"
    page.write_text("<p>kapot</p>")
    build(load_show(show), links=LINKS, now=NOW)
    assert "Aflevering 2" in page.read_text()


@pytest.mark.parametrize("edit", ["replaced", "written through"])
def test_media_changed_by_hand_in_the_output_is_linked_again(
    built: tuple[Path, list[str]], edit: str
) -> None:
    show, slugs = built
    source = show / "media" / f"{slugs[1]}.mp3"
    original = source.read_bytes()
    (linked,) = (show / "feed" / "media").glob(f"{slugs[1]}-*.mp3")
    if edit == "replaced":  # a new file in its place: the episode's media is untouched
        linked.unlink()
        linked.write_bytes(b"\0" * len(original))
        build(load_show(show), links=LINKS, now=NOW)
        assert linked.read_bytes() == original
        assert linked.stat().st_ino == source.stat().st_ino
    else:  # the same file: the episode's media changed, and the build refuses it
        with open(linked, "r+b") as handle:
            handle.write(b"\0" * 16)
        with pytest.raises(MediaError, match="content differs"):
            build(load_show(show), links=LINKS, now=NOW)


def test_a_removed_episode_leaves_no_page_or_media_behind(built: tuple[Path, list[str]]) -> None:
    show, slugs = built
    (show / "episodes" / f"{slugs[0]}.md").unlink()
    result = build(load_show(show), links=LINKS, now=NOW)
    assert not (show / "feed" / "episodes" / slugs[0]).exists()
    assert not list((show / "feed" / "media").glob(f"{slugs[0]}-*"))
    assert not [o for o in result.manifest.objects if slugs[0] in o.key]


def test_a_damaged_cache_costs_a_walk_of_the_output_not_a_wrong_build(
    built: tuple[Path, list[str]],
) -> None:
    show, slugs = built
    first = build(load_show(show), links=LINKS, now=NOW).manifest
    (show / ".mediafeed" / "cache.db").write_bytes(b"niet te lezen")
    (show / "feed" / "achtergelaten.txt").write_text("van een oude build")
    again = build(load_show(show), links=LINKS, now=NOW).manifest
    assert again == first
    assert not (show / "feed" / "achtergelaten.txt").exists()


def test_a_build_without_a_writable_state_folder_still_builds(
    built: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show, slugs = built
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("MEDIAFEED_STATE_DIR", str(blocked / "state"))
    path = show / "episodes" / f"{slugs[2]}.md"
    path.write_text(path.read_text().replace("title: Aflevering 3", "title: Nieuwe titel"))
    build(load_show(show), links=LINKS, now=NOW)
    assert "Nieuwe titel" in (show / "feed" / "feed.xml").read_text()


def count_row_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The slugs of the rows of episode lists rendered from now on."""
    calls: list[str] = []
    real = pages.render_template

    def counting(show: Any, name: str, context: dict[str, Any], **kwargs: Any) -> str:
        if name == "_episode_row.html":
            calls.append(context["row"]["episode"].slug)
        return real(show, name, context, **kwargs)

    monkeypatch.setattr(pages, "render_template", counting)
    return calls


def test_adding_an_episode_renders_its_rows_only(
    long_show: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    show, slugs = long_show
    add_61st(show, slugs)
    rows = count_row_renders(monkeypatch)
    build(load_show(show), links=LINKS, now=NOW)
    assert rows == ["aflevering-00061", "aflevering-00061"], "on the show page and its year's"


def test_the_rows_of_a_year_not_rendered_stay_remembered(
    long_show: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    show, slugs = long_show
    add_61st(show, slugs)
    build(load_show(show), links=LINKS, now=NOW)  # renders 2021's page, not 2020's
    edited = show / "episodes" / f"{slugs[1]}.md"
    edited.write_text(edited.read_text().replace("Aflevering 2\n", "Aflevering twee\n"))
    rows = count_row_renders(monkeypatch)
    build(load_show(show), links=LINKS, now=NOW)
    assert rows == [slugs[1]]
    assert "Aflevering twee" in (show / "feed" / "years" / "2020" / "index.html").read_text()


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every pool of processes a build starts (real ones, counted)."""
    started: list[object] = []

    class Counted(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            started.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Counted)
    return started


def test_a_large_build_made_in_other_processes_writes_the_same_files(
    show_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[object]
) -> None:
    """Chunks of two episodes, so five go to processes of their own: the same files, the
    same record (a rebuild writes nothing), as a build made in this process."""
    many_episodes(show_dir, tmp_path, 5)
    alone = tmp_path / "alone"
    shutil.copytree(show_dir, alone)
    monkeypatch.setattr(workers, "CHUNK", 2)
    build(load_show(show_dir), links=LINKS, now=NOW)
    monkeypatch.setattr(workers, "CHUNK", 10**9)
    build(load_show(alone), links=LINKS, now=NOW)

    assert len(pools) == 1  # the first build's, and none for the second
    assert _files(show_dir / "feed") == _files(alone / "feed")
    before = stamps(show_dir / "feed")
    build(load_show(show_dir), links=LINKS, now=NOW)
    assert rendered_since(show_dir / "feed", before) == set()


def _broken_template(show: Path, slugs: list[str]) -> str:
    (show / "templates").mkdir()
    (show / "templates" / "episode.html").write_text("{% if %}", encoding="utf-8")
    return "episode.html"


def _broken_episode_file(show: Path, slugs: list[str]) -> str:
    broken = show / "episodes" / f"{slugs[3]}.md"
    broken.write_text(broken.read_text().replace("episode: 4", "episode: [4"), encoding="utf-8")
    return broken.name


@pytest.mark.parametrize("breaks", [_broken_template, _broken_episode_file])
def test_an_error_in_another_process_is_the_build_error(
    show_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pools: list[object],
    breaks: Callable[[Path, list[str]], str],
) -> None:
    """A show template that breaks, or an episode file, fails the build with the same
    one-line error naming the file, whichever process rendered the page or read the file
    (two to a process here, the fourth episode's among them)."""
    named = breaks(show_dir, many_episodes(show_dir, tmp_path, 5))
    monkeypatch.setattr(workers, "CHUNK", 2)
    with pytest.raises(MediafeedError) as apart:
        build(load_show(show_dir), links=LINKS, now=NOW)
    assert len(pools) == 1
    monkeypatch.setattr(workers, "CHUNK", 10**9)
    with pytest.raises(MediafeedError) as here:
        build(load_show(show_dir), links=LINKS, now=NOW)
    assert str(apart.value) == str(here.value) and named in str(apart.value)
