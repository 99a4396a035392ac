"""Pages in headless Chromium: the player loads, nothing leaves 127.0.0.1, axe finds nothing."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mediafeed.links import Links, episode_page_key, image_key, media_key, transcript_key
from mediafeed.media import probe
from mediafeed.model import Episode, Show
from mediafeed.newsletter import newsletter_block
from mediafeed.pages import render_site
from tests import mediafactory
from tests.test_pages import make_episode, make_show

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


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


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """The built site, its media and a newsletter page, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("show")
    out = root / "feed"
    audio = mediafactory.mp3_cbr(root / "media", "ontmoeting.mp3", seconds=3.0)
    mediafactory.png(root, "cover.png", size=256)
    show = make_show(root)
    episode = replace(make_episode(root), audio="media/ontmoeting.mp3", media=probe(audio))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(out)))
    links = Links(f"http://127.0.0.1:{server.server_address[1]}")
    files = {
        media_key(episode): audio,
        image_key(show.artwork): root / "cover.png",
        transcript_key(episode): root / "transcripts" / "ontmoeting.vtt",
    }
    for key, source in files.items():
        (out / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out / key)
    for key, body in render_site(show, [episode], links=links).items():
        (out / key).parent.mkdir(parents=True, exist_ok=True)
        (out / key).write_bytes(body)
    block = newsletter_block(show, episode, links=links, fmt="html")
    (out / "newsletter.html").write_text(
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Nieuwsbrief</title>'
        f"</head><body><main>{block}</main></body></html>",
        encoding="utf-8",
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Published(links, show, episode, links.url("newsletter.html"))
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


def network_events(driver: Any) -> list[dict[str, Any]]:
    """Chrome's network events since the last call (reading the log empties it)."""
    events = (json.loads(entry["message"])["message"] for entry in driver.get_log("performance"))
    return [event for event in events if event["method"].startswith("Network.")]


def open_page(driver: Any, url: str) -> None:
    network_events(driver)
    driver.get(url)


def wait_for(driver: Any, script: str, timeout: float = 15) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def test_episode_page_loads_the_audio(driver: Any, published: Published) -> None:
    open_page(driver, published.links.episode_page(published.episode.slug))
    state = wait_for(
        driver,
        "const a = document.querySelector('audio');"
        "return a.readyState >= 1 && {readyState: a.readyState, duration: a.duration,"
        " src: a.currentSrc};",
    )
    assert state["src"] == published.links.media(published.episode)
    assert state["duration"] == pytest.approx(published.episode.media.duration, abs=0.1)


def test_episode_page_shows_dutch_date_and_transcript(driver: Any, published: Published) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, published.links.episode_page(published.episode.slug))
    text = driver.find_element(By.TAG_NAME, "main").text
    assert "2 november 2021" in text
    assert "Eenzaamheid begint vaak in het fysieke domein." in text


def test_episode_page_requests_only_its_own_host(driver: Any, published: Published) -> None:
    open_page(driver, published.links.episode_page(published.episode.slug))
    wait_for(driver, "return document.querySelector('audio').readyState >= 1")
    wait_for(driver, "return document.readyState === 'complete'")
    events = network_events(driver)
    # data: URLs are the browser's own player icons; they never reach a network.
    requested = [
        e["params"]["request"]["url"]
        for e in events
        if e["method"] == "Network.requestWillBeSent"
        and not e["params"]["request"]["url"].startswith("data:")
    ]
    assert any(url.endswith(".mp3") for url in requested), requested
    assert {urlsplit(url).hostname for url in requested} == {"127.0.0.1"}, requested
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert {urlsplit(url).hostname for url in resources} <= {"127.0.0.1"}, resources
    failed = [e["params"] for e in events if e["method"] == "Network.loadingFailed"]
    # A media element cancels its own metadata fetch once it has enough; that is no failure.
    assert [f for f in failed if not f.get("canceled")] == []
    statuses = [
        (e["params"]["response"]["url"], e["params"]["response"]["status"])
        for e in events
        if e["method"] == "Network.responseReceived"
    ]
    assert [s for s in statuses if s[1] >= 400] == [], statuses
    assert driver.get_cookies() == []


@pytest.mark.parametrize("page", ["show", "episode"])
def test_pages_have_no_accessibility_violations(
    driver: Any, published: Published, page: str
) -> None:
    from axe_selenium_python import Axe

    url = published.links.show_page
    if page == "episode":
        url = published.links.episode_page(published.episode.slug)
    open_page(driver, url)
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    assert results["violations"] == [], axe.report(results["violations"])


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
