"""The embeddable player: its page, the snippet `mediafeed embed` prints, the static oEmbed
document the episode page links, and the player at work inside another site's page."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from mediafeed.build import build
from mediafeed.commands.show import public_links
from mediafeed.config import load_show
from mediafeed.episodes import load_episodes
from mediafeed.links import Links, embed_page_key, episode_page_key, oembed_key
from mediafeed.render.sharing import embed_snippet
from tests import mediafactory
from tests.browser import (
    BROWSER_SCHEMES,
    axe_violations,
    chromium,
    needs_chromium,
    network_events,
    open_page,
    wait_for,
)
from tests.showmaker import write_episode
from tests.test_browser import RangeHandler
from tests.test_cache import mediafeed_cli

PUBLISHED = dt.datetime(2021, 11, 2, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
CHAPTERS = [{"start": 0, "title": "Welkom"}, {"start": 2, "title": "Het gesprek"}]
# oEmbed 1.0, section 2.3.4: every response, and a rich one.
OEMBED_REQUIRED = {"version", "type", "html", "width", "height"}
THUMBNAIL = {"thumbnail_url", "thumbnail_width", "thumbnail_height"}


def episode_show(show_dir: Path, *, seconds: float = 3.0, **fields: object) -> Path:
    media = mediafactory.mp3_cbr(show_dir / "media", "ontmoeting.mp3", seconds=seconds)
    write_episode(show_dir, "ontmoeting", media, published=PUBLISHED, notes="Over ontmoeting.",
                  chapters=CHAPTERS, **fields)  # fmt: skip
    return show_dir


def built(show_dir: Path, links: Links) -> Path:
    build(load_show(show_dir), links=links, now=NOW)
    return show_dir / "feed"


def test_every_episode_gets_a_player_page_and_an_oembed_document(show_dir: Path) -> None:
    episode_show(show_dir)
    out = built(show_dir, Links("https://podcast.example.org/een"))
    assert (out / embed_page_key("ontmoeting")).is_file()
    assert (out / oembed_key("ontmoeting")).is_file()


def test_the_player_page_asks_nothing_of_any_other_origin(show_dir: Path) -> None:
    episode_show(show_dir)
    base = "https://podcast.example.org/een"
    out = built(show_dir, Links(base))
    key = embed_page_key("ontmoeting")
    doc = lxml.html.fromstring((out / key).read_bytes())
    loaded = doc.xpath("//@src | //link[@rel!='canonical']/@href | //@poster | //@srcset")
    assert loaded
    for url in loaded:
        assert urljoin(f"{base}/{key}", url).startswith(base + "/"), url
        assert (out / urlsplit(urljoin(f"{base}/{key}", url)).path[len("/een/") :]).is_file()
    assert doc.xpath("//audio/source/@src")
    assert "cookie" not in (out / key).read_text().lower()


def test_the_oembed_document_is_rich_and_its_html_is_the_printed_snippet(
    show_dir: Path,
) -> None:
    episode_show(show_dir)
    show = load_show(show_dir)
    links = public_links(show)
    out = built(show_dir, links)
    document = json.loads((out / oembed_key("ontmoeting")).read_text())
    assert document.keys() >= OEMBED_REQUIRED
    assert document["version"] == "1.0" and document["type"] == "rich"
    assert all(isinstance(document[key], int) and document[key] > 0 for key in ("width", "height"))
    assert document.keys() >= THUMBNAIL  # all three or none
    assert document["thumbnail_url"] == links.url("images/artwork-300.jpg")
    assert (out / "images" / "artwork-300.jpg").is_file()
    printed = mediafeed_cli(show_dir, "embed", "ontmoeting")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == document["html"]
    iframe = lxml.html.fragment_fromstring(document["html"])
    assert iframe.tag == "iframe" and iframe.get("src") == links.url(embed_page_key("ontmoeting"))
    assert iframe.get("height") == str(document["height"]) and iframe.get("title")


def test_the_episode_page_links_its_oembed_document(show_dir: Path) -> None:
    episode_show(show_dir)
    links = Links("https://podcast.example.org/een")
    out = built(show_dir, links)
    doc = lxml.html.fromstring((out / episode_page_key("ontmoeting")).read_bytes())
    found = doc.xpath("//link[@rel='alternate'][@type='application/json+oembed']/@href")
    assert found == [links.url(oembed_key("ontmoeting"))]


def test_a_video_episode_gets_a_taller_player(show_dir: Path) -> None:
    media = mediafactory.mp4_video(show_dir / "media", "beeld.mp4")
    write_episode(show_dir, "beeld", media, published=PUBLISHED)
    show = load_show(show_dir)
    [episode] = load_episodes(show.episodes_dir)
    snippet = lxml.html.fragment_fromstring(embed_snippet(show, episode, links=public_links(show)))
    assert int(snippet.get("height")) > 400
    out = built(show_dir, public_links(show))
    assert lxml.html.fromstring((out / embed_page_key("beeld")).read_bytes()).xpath("//video")


def test_an_unpublished_episode_keeps_its_player_address_with_a_notice(show_dir: Path) -> None:
    episode_show(show_dir)
    out = built(show_dir, Links("https://podcast.example.org/een"))
    path = show_dir / "episodes" / "ontmoeting.md"
    path.write_text(path.read_text().replace("audio:", "unpublished: true\naudio:", 1))
    built(show_dir, Links("https://podcast.example.org/een"))
    page = (out / embed_page_key("ontmoeting")).read_text()
    assert "niet meer beschikbaar" in page
    refused = mediafeed_cli(show_dir, "embed", "ontmoeting")
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("is unpublished: it has no player to embed")


def test_embed_names_a_missing_episode_in_one_line(show_dir: Path) -> None:
    result = mediafeed_cli(show_dir, "embed", "bestaat-niet")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"Error: {show_dir / 'episodes' / 'bestaat-niet.md'}: no such episode"
    )


# ---- in Chromium: another site's page that embeds the player ---------------------------


@dataclass(frozen=True)
class Embedded:
    show_origin: str
    site_url: str
    player_url: str
    duration: float


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _serving(handler: Any, folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    """The show served on one loopback port, a page embedding its player on another."""
    from mediafeed.commands.init import init_show
    from tests.conftest import SHOW_CONFIG

    root = tmp_path_factory.mktemp("embed") / "show"
    init_show(root, title="Een tegen eenzaamheid", language="nl")
    (root / "mediafeed.toml").write_text(SHOW_CONFIG, encoding="utf-8")
    episode_show(root, seconds=4.0)
    (root / "feed").mkdir()
    show_server, show_origin = _serving(RangeHandler, root / "feed")
    links = Links(show_origin)
    built(root, links)
    show = load_show(root)
    [episode] = load_episodes(show.episodes_dir)
    site = root.parent / "site"
    site.mkdir()
    (site / "index.html").write_text(
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Ministerie</title>'
        f"</head><body><main><h1>Nieuws</h1>{embed_snippet(show, episode, links=links)}"
        "</main></body></html>",
        encoding="utf-8",
    )
    site_server, site_origin = _serving(_Quiet, site)
    try:
        yield Embedded(show_origin, f"{site_origin}/index.html",
                       links.url(embed_page_key(episode.slug)), episode.media.duration)  # fmt: skip
    finally:
        for server in (show_server, site_server):
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


PLAYER_READY = "const a = document.querySelector('audio'); return a && a.readyState >= 1;"


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_the_embedded_player_plays_to_the_end_after_a_seek_from_its_own_origin(
    driver: Any, embedded: Embedded
) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, embedded.site_url)
    driver.switch_to.frame(driver.find_element(By.TAG_NAME, "iframe"))
    try:
        wait_for(driver, PLAYER_READY)
        driver.execute_script(
            "const a = document.querySelector('audio');"
            "window.ended = false; a.addEventListener('ended', () => { window.ended = true; });"
            f"a.currentTime = {embedded.duration - 1.5}; a.play();"
        )
        wait_for(driver, "return window.ended === true;", timeout=20)
    finally:
        driver.switch_to.default_content()
    requested = [
        event["params"]["request"]["url"]
        for event in network_events(driver)
        if event["method"] == "Network.requestWillBeSent"
        and urlsplit(event["params"]["request"]["url"]).scheme not in BROWSER_SCHEMES
    ]
    assert any(url.endswith(".mp3") for url in requested), requested
    others = {_origin(url) for url in requested} - {_origin(embedded.site_url)}
    assert others == {embedded.show_origin}, requested
    assert driver.get_cookies() == []


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_a_chapter_link_seeks_the_embedded_player_and_stays(
    driver: Any, embedded: Embedded
) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, embedded.player_url)
    wait_for(driver, PLAYER_READY)
    driver.find_element(By.TAG_NAME, "summary").click()
    driver.find_element(By.CSS_SELECTOR, "a[data-start='2.0']").click()
    assert wait_for(driver, "return document.querySelector('audio').currentTime >= 2;")
    assert driver.current_url.split("#")[0] == embedded.player_url


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_the_player_page_has_no_accessibility_violations(driver: Any, embedded: Embedded) -> None:
    violations, report = axe_violations(driver, embedded.player_url)
    assert violations == [], report


def test_embed_reads_no_file_outside_the_episodes_folder(show_dir: Path) -> None:
    episode_show(show_dir)
    (show_dir / "ontmoeting.md").write_text((show_dir / "episodes" / "ontmoeting.md").read_text())
    result = mediafeed_cli(show_dir, "embed", "../ontmoeting")
    assert result.returncode == 1 and "no such episode" in result.stderr


def test_embed_is_not_held_up_by_another_broken_episode_file(show_dir: Path) -> None:
    episode_show(show_dir)
    (show_dir / "episodes" / "half-af.md").write_text("---\ntitle: [\n")
    result = mediafeed_cli(show_dir, "embed", "ontmoeting")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<iframe ")


def test_the_snippet_of_a_due_episode_no_publish_has_uploaded_comes_with_a_note(
    show_dir: Path,
) -> None:
    episode_show(show_dir)
    printed = mediafeed_cli(show_dir, "embed", "ontmoeting")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("<iframe ")
    note = printed.stderr.strip()
    assert note.count("\n") == 0 and "after the next 'mediafeed publish'" in note, note
