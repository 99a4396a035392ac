"""The published demo show as listeners meet it: in Chromium, in gPodder, over plain HTTP."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from click.testing import CliRunner

from mediafeed.cli import cli
from mediafeed.episodes import load_episode, load_episodes
from mediafeed.links import Links
from mediafeed.model import Episode
from mediafeed.store import local as localstore
from mediafeed.store.local import LocalStore
from mediafeed.store.target import Target, local_target, make_client
from tests.browser import (
    AUDIO_READY,
    axe_violations,
    chromium,
    load_with_audio,
    needs_chromium,
    open_page,
    wait_for,
)
from tests.conftest import publish_table

REPO = Path(__file__).resolve().parents[1]
DEMO_FILES = ("mediafeed.toml", "artwork.jpg", "episodes", "media", "transcripts")
SLUG = "ontmoeting-in-het-fysieke-domein"
GPO = shutil.which("gpo")
TIMEOUT = 120

# The browser and gPodder tests share one published demo show: keep them on one worker.
same_worker = pytest.mark.xdist_group("e2e-demo-published")


def copy_demo(root: Path) -> Path:
    """The repository's demo show, copied so a test never writes into the working tree."""
    root.mkdir(parents=True)
    for name in DEMO_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    return root


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    return urllib.request.urlopen(request, timeout=10)


@dataclass(frozen=True)
class DemoSite:
    """The demo show, configured to publish to a bucket of its own on the test store."""

    root: Path
    target: Target
    env: dict[str, str | None] = field(repr=False)  # write credentials, as a producer's

    @property
    def links(self) -> Links:
        return Links(self.target.base_url())

    def episodes(self) -> list[Episode]:
        return load_episodes(self.root / "episodes")

    def publish(self) -> str:
        """`mediafeed publish` with the real CLI; the credentials come from the environment."""
        result = CliRunner().invoke(cli, ["-C", str(self.root), "publish"], env=self.env)
        assert result.exit_code == 0, result.output
        assert f"Feed: {self.links.feed}" in result.output
        return result.output


def demo_site(seaweed: LocalStore, scratch: Path) -> DemoSite:
    """A copy of the demo show whose [publish] table points at a fresh, empty bucket."""
    root = copy_demo(scratch / "show")
    bucket = f"e2e-{uuid.uuid4().hex[:20]}"
    target, credentials = local_target(replace(seaweed, bucket=bucket), "een-tegen-eenzaamheid")
    make_client(target, credentials=credentials).create_bucket(Bucket=bucket)
    with (root / "mediafeed.toml").open("a", encoding="utf-8") as handle:
        handle.write(publish_table(target))
    env: dict[str, str | None] = {
        "AWS_ACCESS_KEY_ID": seaweed.access_key,
        "AWS_SECRET_ACCESS_KEY": seaweed.secret_key,
        "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_SESSION_TOKEN": None,
        "MEDIAFEED_STATE_DIR": str(scratch / "state"),
    }
    return DemoSite(root, target, env)


@pytest.fixture(scope="module")
def demo(seaweed: LocalStore, tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    """The demo show, published once for the tests that only read it."""
    site = demo_site(seaweed, tmp_path_factory.mktemp("demo"))
    site.publish()
    return site


def same_site_links(site: DemoSite) -> set[str]:
    """Every URL under the show's base that the feed or a page points to, srcset lists
    included (keys are ASCII without spaces or commas, so a URL ends at either)."""
    base = site.links.base_url + "/"
    absolute = re.compile(re.escape(base) + r"[^\s,\"'<>]*")
    found = set(absolute.findall(fetch(site.links.feed).read().decode("utf-8")))
    pages = [site.links.show_page, *(site.links.episode_page(ep.slug) for ep in site.episodes())]
    for page in pages:
        found.add(page)
        html = fetch(page).read().decode("utf-8")
        found |= set(absolute.findall(html))
        document = lxml.html.fromstring(html, base_url=page)
        document.make_links_absolute(page)
        found |= {
            link.split("#")[0]
            for _, attribute, link, _ in document.iterlinks()
            if attribute != "srcset"
        }
    return {url for url in found if url.startswith(base)}


@pytest.mark.slow
@same_worker
def test_every_link_in_the_feed_and_pages_answers(demo: DemoSite) -> None:
    links = same_site_links(demo)
    expected = {demo.links.feed, demo.links.chapters(SLUG), demo.links.image("artwork.jpg")}
    expected |= {demo.links.media(ep) for ep in demo.episodes()}
    assert expected <= links
    for url in sorted(links):
        assert fetch(url, method="HEAD").status == 200, url


# ---------------------------------------------------------------------------------------
# Headless Chromium against the store's public URLs
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


def cue_texts(vtt: Path) -> list[str]:
    """The spoken lines of a WebVTT file: what a reader of the page should find."""
    blocks = vtt.read_text(encoding="utf-8").split("\n\n")[1:]
    return [
        " ".join(line for line in block.splitlines() if "-->" not in line)
        for block in blocks
        if block.strip()
    ]


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
@same_worker
def test_store_episode_page_loads_everything_from_127_0_0_1(driver: Any, demo: DemoSite) -> None:
    load = load_with_audio(driver, demo.links.episode_page(SLUG))
    assert any(url.endswith(".mp3") for url in load.requested), load.requested
    assert load.hosts() == {"127.0.0.1"}, load.requested + load.resources
    assert load.failed == []
    assert load.errors == []


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
@same_worker
def test_store_episode_page_player_reaches_the_episode_duration(
    driver: Any, demo: DemoSite
) -> None:
    episode = load_episode(demo.root / "episodes" / f"{SLUG}.md")
    open_page(driver, demo.links.episode_page(SLUG))
    state = wait_for(driver, AUDIO_READY)
    assert state["readyState"] >= 1
    assert state["src"] == demo.links.media(episode)
    assert state["duration"] == pytest.approx(episode.media.duration, abs=0.05)


PLAY_LAST_HALF_SECOND = """
const done = arguments[arguments.length - 1];
const audio = document.querySelector('audio');
audio.muted = true;
audio.addEventListener('ended', () => done({ended: true, time: audio.currentTime}));
audio.addEventListener('error', () => done({error: audio.error.code}));
audio.currentTime = audio.duration - 0.5;
audio.play().catch(error => done({error: String(error)}));
"""


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
@same_worker
def test_store_episode_page_player_seeks_and_plays_to_the_end(driver: Any, demo: DemoSite) -> None:
    episode = load_episode(demo.root / "episodes" / f"{SLUG}.md")
    open_page(driver, demo.links.episode_page(SLUG))
    wait_for(driver, AUDIO_READY)
    driver.set_script_timeout(15)
    result = driver.execute_async_script(PLAY_LAST_HALF_SECOND)
    assert result.get("ended"), result
    assert result["time"] == pytest.approx(episode.media.duration, abs=0.05)


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
@same_worker
def test_store_episode_page_shows_dutch_date_and_transcript(driver: Any, demo: DemoSite) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, demo.links.episode_page(SLUG))
    text = " ".join(driver.find_element(By.TAG_NAME, "main").text.split())
    assert "2 november 2021" in text
    cues = cue_texts(demo.root / "transcripts" / f"{SLUG}.vtt")
    assert len(cues) == 2
    for cue in cues:
        assert cue in text


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
@same_worker
@pytest.mark.parametrize("page", ["show", "episode"])
def test_store_pages_have_no_accessibility_violations(
    driver: Any, demo: DemoSite, page: str
) -> None:
    url = demo.links.episode_page(SLUG) if page == "episode" else demo.links.show_page
    violations, report = axe_violations(driver, url)
    assert violations == [], report


# ---------------------------------------------------------------------------------------
# gPodder, a real podcast client, subscribing to the published feed
# ---------------------------------------------------------------------------------------


def gpo(home: Path, *args: str) -> str:
    """Run gPodder's command line with its own home, no display and no session bus."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"}
    }
    env.update(
        HOME=str(home),
        GPODDER_HOME=str(home / "gpodder"),
        GPODDER_DOWNLOAD_DIR=str(home / "downloads"),
        LANG="C.UTF-8",
        PYTHONIOENCODING="utf-8",
    )
    assert GPO is not None
    done = subprocess.run(
        [GPO, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    # gpo reports most failures on stderr with exit code 0, so the output is checked too.
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
@pytest.mark.skipif(GPO is None, reason="gPodder's gpo is not installed (apt install gpodder)")
@same_worker
def test_gpodder_subscribes_updates_and_downloads_the_media_unchanged(
    demo: DemoSite, tmp_path: Path
) -> None:
    feed_url = demo.links.feed
    assert f"Successfully added {feed_url}" in gpo(tmp_path, "subscribe", feed_url)
    assert "3 new episodes" in gpo(tmp_path, "update")
    assert "3 episodes downloaded." in gpo(tmp_path, "download")

    listing = gpo(tmp_path, "episodes", feed_url)
    titles = [ep.title for ep in demo.episodes()]
    assert len(titles) == 3
    for title in titles:
        # ▉ is gpo's mark for a downloaded episode.
        assert re.search(rf"▉\s+{re.escape(title)}$", listing, re.MULTILINE), listing

    downloads = sorted((tmp_path / "downloads").rglob("*.mp3"))
    assert len(downloads) == 3, downloads
    for episode in demo.episodes():
        [got] = [path for path in downloads if path.name.startswith(f"{episode.slug}-")]
        assert got.read_bytes() == (demo.root / episode.audio).read_bytes(), episode.slug


@pytest.mark.slow
@pytest.mark.skipif(GPO is None, reason="gPodder's gpo is not installed (apt install gpodder)")
@same_worker
def test_gpodder_finds_the_feed_from_the_show_page(demo: DemoSite, tmp_path: Path) -> None:
    gpo(tmp_path, "subscribe", demo.links.show_page)
    assert gpo(tmp_path, "list").splitlines()[1:] == [demo.links.feed]


@pytest.mark.slow
@pytest.mark.skipif(GPO is None, reason="gPodder's gpo is not installed (apt install gpodder)")
def test_gpodder_keeps_a_retitled_episode_as_the_same_episode(
    seaweed: LocalStore, tmp_path: Path
) -> None:
    site = demo_site(seaweed, tmp_path / "site")
    site.publish()
    feed_url = site.links.feed
    gpo(tmp_path, "subscribe", feed_url)
    assert "3 new episodes" in gpo(tmp_path, "update")
    gpo(tmp_path, "download")

    path = site.root / "episodes" / f"{SLUG}.md"
    old = "title: Ontmoeting in het fysieke domein\n"
    assert old in path.read_text(encoding="utf-8")
    path.write_text(
        path.read_text(encoding="utf-8").replace(old, "title: Ontmoeten in de buurt\n"),
        encoding="utf-8",
    )
    site.publish()

    assert "0 new episodes" in gpo(tmp_path, "update")
    listing = gpo(tmp_path, "episodes", feed_url)
    assert re.search(r"▉\s+Ontmoeten in de buurt$", listing, re.MULTILINE), listing
    assert "Ontmoeting in het fysieke domein" not in listing
    assert len(re.findall(r"^\s+\d+\.", listing, re.MULTILINE)) == 3, listing


# ---------------------------------------------------------------------------------------
# The README's first command: publish the demo show to the embedded store
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def port_taken(port: int) -> Iterator[None]:
    """Keep `port` busy on 127.0.0.1, as another program (or the user's own store) would.
    Held by this test itself: another test's store on it could let go of it mid-run."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    deadline = time.monotonic() + 300
    while True:
        try:
            sock.bind((localstore.HOST, port))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)  # another test's store holds it for now
    sock.listen()
    try:
        yield
    finally:
        sock.close()


def mediafeed(show: Path, state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m mediafeed ARGS` in the show folder, as a new user runs it, with its own
    store folder so the user's store is never touched."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["MEDIAFEED_STATE_DIR"] = str(state_dir)
    return subprocess.run(
        [sys.executable, "-m", "mediafeed", *args],
        cwd=show,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_demo_publish_to_the_embedded_store_serves_every_enclosure(tmp_path: Path) -> None:
    show = copy_demo(tmp_path / "show")
    state_dir = tmp_path / "state"
    try:
        with port_taken(localstore.DEFAULT_S3_PORT):
            published = mediafeed(show, state_dir, "publish")
        assert published.returncode == 0, published.stdout + published.stderr
        match = re.search(r"^Feed: (\S+)$", published.stdout, re.MULTILINE)
        assert match, published.stdout
        feed_url = match[1]
        assert urlsplit(feed_url).hostname == "127.0.0.1"
        assert urlsplit(feed_url).port != localstore.DEFAULT_S3_PORT

        parsed = feedparser.parse(fetch(feed_url).read())
        assert not parsed.bozo, parsed.bozo_exception
        lengths = {ep.media.length for ep in load_episodes(show / "episodes")}
        enclosures = [link for entry in parsed.entries for link in entry.enclosures]
        assert len(enclosures) == 3
        assert {int(link.length) for link in enclosures} == lengths
        for link in enclosures:
            head = fetch(link.href, method="HEAD")
            assert head.status == 200, link.href
            assert int(head.headers["Content-Length"]) == int(link.length), link.href
            ranged = fetch(link.href, headers={"Range": "bytes=0-99"})
            assert ranged.status == 206, link.href
            assert ranged.headers["Content-Range"] == f"bytes 0-99/{link.length}"
            assert len(ranged.read()) == 100
    finally:
        stopped = mediafeed(show, state_dir, "store", "stop")
        localstore.stop(state_dir)  # in case the command failed: never leave a server behind
    assert stopped.returncode == 0 and "Local store stopped." in stopped.stdout, stopped
    with pytest.raises(OSError):
        fetch(feed_url)
