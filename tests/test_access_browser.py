"""axe-core in headless Chromium on the pages issue 15 adds to: an episode page with a draft
transcript, a video page with captions, and the accessibility statement, all of a show
built by `build` and served on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mediafeed.build import build
from mediafeed.commands.init import init_show
from mediafeed.config import load_show
from mediafeed.links import ACCESSIBILITY_KEY, Links
from tests import mediafactory
from tests.browser import axe_violations, chromium, needs_chromium, open_page
from tests.conftest import SHOW_CONFIG
from tests.showmaker import write_episode
from tests.test_accessibility import VTT
from tests.test_browser import RangeHandler

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Links]:
    root = tmp_path_factory.mktemp("access") / "show"
    init_show(root, title="Een tegen eenzaamheid", language="nl")
    (root / "mediafeed.toml").write_text(
        "require_transcript = true\n" + SHOW_CONFIG
        + '\n[accessibility]\ncontact = "https://www.example.nl/contact"\nchecked = 2026-11-30\n',
        encoding="utf-8",
    )  # fmt: skip
    shutil.copyfile(REPO / "artwork.jpg", root / "artwork.jpg")
    (root / "transcripts").mkdir()
    for slug, media in (
        ("gesprek", mediafactory.mp3_cbr(root / "media", "gesprek.mp3", seconds=2.0)),
        ("beeld", mediafactory.mp4_video(root / "media", "beeld.mp4", seconds=2.0)),
    ):
        (root / "transcripts" / f"{slug}.vtt").write_text(VTT, encoding="utf-8")
        write_episode(root, slug, media, published=dt.datetime(2021, 11, 2, tzinfo=dt.UTC),
                      notes="Over ontmoeting.", transcript=f"transcripts/{slug}.vtt",
                      transcript_status="draft")  # fmt: skip
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(RangeHandler, directory=str(root / "feed"))
    )
    links = Links(f"http://127.0.0.1:{server.server_address[1]}")
    build(load_show(root), links=links, now=NOW)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield links
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


@pytest.mark.parametrize("page", ["draft-transcript", "statement", "video-captions"])
def test_no_accessibility_violations(driver: Any, site: Links, page: str) -> None:
    url = {
        "draft-transcript": site.episode_page("gesprek"),
        "statement": site.url(ACCESSIBILITY_KEY),
        "video-captions": site.episode_page("beeld"),
    }[page]
    violations, report = axe_violations(driver, url)
    assert violations == [], report


def test_the_video_plays_with_the_captions_of_its_transcript(driver: Any, site: Links) -> None:
    open_page(driver, site.episode_page("beeld"))
    track = driver.execute_script(
        "var t = document.querySelector('video track[kind=captions]');"
        "return t && {src: t.src, lang: t.srclang, state: t.readyState};"
    )
    assert track is not None, "no captions track"
    assert track["src"] == site.url("episodes/beeld/transcript.vtt")
    assert track["lang"] == "nl"


def test_the_draft_note_is_visible(driver: Any, site: Links) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, site.episode_page("gesprek"))
    note = driver.find_element(By.CSS_SELECTOR, ".transcript-draft")
    assert note.is_displayed()
    assert note.text == "Automatisch gemaakt, nog niet nagekeken."
