"""Pages in headless Chromium: the player loads, nothing leaves 127.0.0.1, axe finds nothing."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mediafeed.links import (
    ARTWORK_WIDTHS,
    Links,
    artwork_variant_key,
    episode_page_key,
    image_key,
    media_key,
    transcript_key,
    year_page_key,
)
from mediafeed.media.artwork import resized_jpeg
from mediafeed.media.probe import probe
from mediafeed.model import Chapter, Episode, Show
from mediafeed.render.newsletter import newsletter_block
from mediafeed.render.pages import render_year_page
from tests import mediafactory
from tests.browser import (
    AUDIO_READY,
    axe_violations,
    chromium,
    load_with_audio,
    needs_chromium,
    open_page,
    wait_for,
)
from tests.test_pages import make_episode, make_show, render_site

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]


class RangeHandler(SimpleHTTPRequestHandler):
    """Static files with single byte ranges, as S3 and CDNs serve media to players."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass

    def send_head(self) -> Any:
        header = self.headers.get("Range", "")
        path = Path(self.translate_path(self.path))
        if not header.startswith("bytes=") or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        first_text, _, last_text = header.removeprefix("bytes=").split(",")[0].partition("-")
        if first_text:
            first, last = int(first_text), int(last_text) if last_text else size - 1
        else:
            first, last = max(0, size - int(last_text)), size - 1
        if first >= size:
            self.send_error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            return None
        last = min(last, size - 1)
        handle = path.open("rb")
        handle.seek(first)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return _Limited(handle, last - first + 1)


@dataclass
class _Limited:
    """A file object that stops after the requested range, for copyfile()."""

    handle: Any
    remaining: int

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        data: bytes = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()


@dataclass(frozen=True)
class Published:
    links: Links
    show: Show
    episode: Episode
    newsletter_url: str
    video: Episode


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """The built site, its media and a newsletter page, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("show")
    out = root / "feed"
    audio = mediafactory.mp3_cbr(root / "media", "ontmoeting.mp3", seconds=3.0)
    mediafactory.png(root, "cover.png", size=256)
    show = make_show(root)
    episode = replace(
        make_episode(root),
        audio="media/ontmoeting.mp3",
        media=probe(audio),
        chapters=(Chapter(0, "Introductie"), Chapter(2, "Afsluiting")),
    )
    film = mediafactory.mp4_video(root / "media", "beeld.mp4", seconds=2.0)
    video = replace(
        episode, slug="beeld", guid="urn:uuid:beeld", audio="media/beeld.mp4", media=probe(film)
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(out)))
    links = Links(f"http://127.0.0.1:{server.server_address[1]}")
    files = {
        media_key(episode): audio,
        media_key(video): film,
        image_key(show.artwork): root / "cover.png",
        transcript_key(episode): root / "transcripts" / "ontmoeting.vtt",
    }
    for key, source in files.items():
        (out / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out / key)
    for width in ARTWORK_WIDTHS:  # the sized copies the build makes, which pages show
        (out / artwork_variant_key(width)).write_bytes(resized_jpeg(root / "cover.png", width))
    for key, body in render_site(show, [episode, video], links=links).items():
        (out / key).parent.mkdir(parents=True, exist_ok=True)
        (out / key).write_bytes(body)
    # A long show's page of one year, with the links between years.
    year = out / year_page_key(2021)
    year.parent.mkdir(parents=True, exist_ok=True)
    year.write_text(
        render_year_page(show, 2021, [episode], links=links, years=[2021, 2020]), encoding="utf-8"
    )
    block = newsletter_block(show, episode, links=links, fmt="html")
    (out / "newsletter.html").write_text(
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Nieuwsbrief</title>'
        f"</head><body><main>{block}</main></body></html>",
        encoding="utf-8",
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Published(links, show, episode, links.url("newsletter.html"), video)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


def test_episode_page_loads_the_audio(driver: Any, published: Published) -> None:
    open_page(driver, published.links.episode_page(published.episode.slug))
    state = wait_for(driver, AUDIO_READY)
    assert state["src"] == published.links.media(published.episode)
    assert state["duration"] == pytest.approx(published.episode.media.duration, abs=0.1)


def test_episode_page_shows_dutch_date_and_transcript(driver: Any, published: Published) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, published.links.episode_page(published.episode.slug))
    text = driver.find_element(By.TAG_NAME, "main").text
    assert "2 november 2021" in text
    assert "Eenzaamheid begint vaak in het fysieke domein." in text


def test_episode_page_requests_only_its_own_host(driver: Any, published: Published) -> None:
    load = load_with_audio(driver, published.links.episode_page(published.episode.slug))
    assert any(url.endswith(".mp3") for url in load.requested), load.requested
    assert load.hosts() == {"127.0.0.1"}, load.requested + load.resources
    assert load.failed == []
    assert load.errors == []
    assert driver.get_cookies() == []


@pytest.mark.parametrize("page", ["show", "episode", "video", "year"])
def test_pages_have_no_accessibility_violations(
    driver: Any, published: Published, page: str
) -> None:
    url = {
        "show": published.links.show_page,
        "episode": published.links.episode_page(published.episode.slug),
        "video": published.links.episode_page(published.video.slug),
        "year": published.links.url(year_page_key(2021)),
    }[page]
    violations, report = axe_violations(driver, url)
    assert violations == [], report


def test_newsletter_link_lands_on_the_episode(driver: Any, published: Published) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, published.newsletter_url)
    link = driver.find_element(By.LINK_TEXT, "Hier vindt u de podcast")
    assert link.is_displayed()
    link.click()
    wait_for(driver, "return document.readyState === 'complete'")
    assert driver.current_url == published.links.episode_page(published.episode.slug)
    assert driver.find_element(By.TAG_NAME, "h1").text == published.episode.title
    key = episode_page_key(published.episode.slug)
    assert driver.current_url.endswith(key)


def test_a_chapter_time_seeks_the_page_player_and_stays_on_the_page(
    driver: Any, published: Published
) -> None:
    from selenium.webdriver.common.by import By

    page = published.links.episode_page(published.episode.slug)
    open_page(driver, page)
    wait_for(driver, AUDIO_READY)
    (link,) = [
        a for a in driver.find_elements(By.CSS_SELECTOR, ".chapters a.time") if a.text == "0:02"
    ]
    link.click()
    position = wait_for(
        driver,
        "const a = document.querySelector('audio'); return a.currentTime >= 2 && a.currentTime;",
    )
    assert 2 <= position <= published.episode.media.duration + 0.1
    assert driver.current_url == page
    assert driver.execute_script("return document.querySelector('audio').currentSrc") == (
        published.links.media(published.episode)
    )


def test_a_video_keeps_16_9_whatever_its_poster_and_picture(
    driver: Any, published: Published
) -> None:
    open_page(driver, published.links.episode_page(published.video.slug))
    wait_for(driver, "return document.readyState === 'complete'")
    width, height = driver.execute_script(
        "const r = document.querySelector('video').getBoundingClientRect();"
        " return [r.width, r.height];"
    )
    assert width > 0 and height == pytest.approx(width * 9 / 16, abs=1)


def test_pages_show_the_sized_artwork(driver: Any, published: Published) -> None:
    open_page(driver, published.links.show_page)
    wait_for(driver, "const i = document.querySelector('img.artwork'); return i.complete;")
    shown = driver.execute_script("return document.querySelector('img.artwork').currentSrc")
    assert shown.startswith(published.links.url("images/artwork-")), shown
