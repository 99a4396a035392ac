"""Extra formats: the build makes each rendition once, publish puts it on the store before the
feed, the feed offers it as podcast:alternateEnclosure, and the page's player plays it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest
from lxml import etree

from mediafeed.commands.show import preview_show
from mediafeed.store.local import LocalStore
from tests import mediafactory as mf
from tests.browser import AUDIO_READY, chromium, needs_chromium, open_page, wait_for
from tests.test_pipeline import fetch, ok

NS = {"podcast": "https://podcastindex.org/namespace/1.0"}
FORMATS = '\nformats = ["opus", "aac"]\n'


def with_formats(show: Path, formats: str = FORMATS) -> None:
    """Put `formats` at the top of mediafeed.toml, before any table."""
    config = show / "mediafeed.toml"
    config.write_text(formats.lstrip("\n") + config.read_text(encoding="utf-8"), encoding="utf-8")


def add_episode(show: Path, media: Path) -> None:
    ok(show, "add", str(media), "--slug", "ep", "--title", "Ontmoeting",
       "--date", "2021-11-02T09:00:00+01:00")  # fmt: skip


def media_files(show: Path) -> dict[str, int]:
    """feed/media/ by name, with each file's inode: a file made again is a new inode."""
    return {p.name: p.stat().st_ino for p in (show / "feed" / "media").iterdir()}


@pytest.fixture(scope="module")
def published(seaweed: LocalStore, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A show with Opus and AAC renditions of its one MP3 episode, published once for the
    module to the session's real SeaweedFS, in the embedded store's own bucket (a store
    holds only so many buckets); and the public URL of its folder."""
    tmp = tmp_path_factory.mktemp("renditions")
    show = tmp / "show"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDIAFEED_STATE_DIR", str(seaweed.data_dir.parent))
        ok(show, "init", str(show), "--title", "Renditions", "--language", "nl")
        with_formats(show)
        add_episode(show, mf.mp3_cbr(tmp, "opname.mp3", seconds=6.0))
        output = ok(show, "publish", "--force").output
    [feed] = re.findall(r"^Feed: (\S+)/feed\.xml$", output, re.MULTILINE)
    return show, feed


def test_the_feed_with_renditions_parses_in_podcast_clients(published: tuple[Path, str]) -> None:
    _, base = published
    data = fetch(f"{base}/feed.xml").read()
    [item] = podcastparser.parse(f"{base}/feed.xml", fetch(f"{base}/feed.xml"))["episodes"]
    assert [e["mime_type"] for e in item["enclosures"]] == ["audio/mpeg"], "the enclosure stays"
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [link["type"] for link in parsed.entries[0].enclosures] == ["audio/mpeg"]


def test_every_alternate_enclosure_is_on_the_store_as_the_feed_says(
    published: tuple[Path, str],
) -> None:
    _, base = published
    tree = etree.fromstring(fetch(f"{base}/feed.xml").read())
    found = tree.xpath("//item/podcast:alternateEnclosure", namespaces=NS)
    assert [e.get("type") for e in found] == ["audio/mpeg", "audio/ogg", "audio/mp4"]
    assert [e.get("default") for e in found] == ["true", None, None]
    for element in found:
        where = etree.tostring(element).decode()
        [uri] = element.xpath("podcast:source/@uri", namespaces=NS)
        [integrity] = element.xpath("podcast:integrity", namespaces=NS)
        length, bitrate = int(element.get("length")), int(element.get("bitrate"))
        head = fetch(uri, method="HEAD")
        assert head.status == 200, where
        assert int(head.headers["Content-Length"]) == length, where
        body = fetch(uri).read()
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert (integrity.get("type"), integrity.get("value")) == ("sri", f"sha256-{digest}")
        assert bitrate == pytest.approx(length * 8 / 6.0, rel=0.05), where  # bits per second


def test_a_rendition_is_made_once_and_again_when_its_settings_change(
    show_dir: Path, tmp_path: Path
) -> None:
    with_formats(show_dir, "formats = { opus = 32 }\n")
    add_episode(show_dir, mf.mp3_cbr(tmp_path, "opname.mp3", seconds=6.0))
    ok(show_dir, "build")
    first = media_files(show_dir)
    ok(show_dir, "build")
    assert media_files(show_dir) == first, "kept between runs"
    config = show_dir / "mediafeed.toml"
    config.write_text(config.read_text().replace("opus = 32", "opus = 24"))
    ok(show_dir, "build")
    [old] = [name for name in first if name.endswith(".opus")]
    [new] = [name for name in media_files(show_dir) if name.endswith(".opus")]
    assert new != old


@pytest.mark.parametrize("first", ["build", "serve"])
def test_serves_preview_and_the_build_share_a_rendition_not_encode_it_twice(
    show_dir: Path, tmp_path: Path, first: str
) -> None:
    with_formats(show_dir, "formats = { opus = 32 }\n")
    add_episode(show_dir, mf.mp3_cbr(tmp_path, "opname.mp3", seconds=6.0))
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    preview = show_dir / ".mediafeed" / "preview" / "media"
    for step in (first, "serve" if first == "build" else "build"):
        if step == "build":
            ok(show_dir, "build")
        else:
            preview_show(show_dir, "http://127.0.0.1:8000", now)
    [name] = [name for name in media_files(show_dir) if name.endswith(".opus")]
    assert (preview / name).samefile(show_dir / "feed" / "media" / name)


def at_a_terminal(show: Path, *args: str) -> str:
    """What `mediafeed` prints when run at a terminal, as a producer runs it."""
    primary, secondary = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "mediafeed", "-C", str(show), *args],
                          stdin=secondary, stdout=secondary, stderr=secondary,
                          env={**os.environ, "COLUMNS": "120"}) as process:  # fmt: skip
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=120) == 0, seen
    os.close(primary)
    return seen.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
def test_build_and_publish_show_a_bar_while_they_encode(show_dir: Path, tmp_path: Path) -> None:
    with_formats(show_dir, 'formats = ["opus"]\n')
    add_episode(show_dir, mf.mp3_cbr(tmp_path, "opname.mp3", seconds=6.0))
    assert "Encoding ep (opus)" in at_a_terminal(show_dir, "build")
    config = show_dir / "mediafeed.toml"
    config.write_text(config.read_text().replace('formats = ["opus"]', 'formats = ["aac"]'))
    assert "Encoding ep (aac)" in at_a_terminal(show_dir, "publish", "--dry-run", "--force")


def test_an_encode_cut_short_leaves_nothing_a_build_trusts(show_dir: Path, tmp_path: Path) -> None:
    with_formats(show_dir, 'formats = ["opus"]\n')
    add_episode(show_dir, mf.mp3_cbr(tmp_path, "opname.mp3", seconds=6.0))
    media = show_dir / "feed" / "media"
    media.mkdir(parents=True)
    (media / ".rendition-0badf00d.opus").write_bytes(b"OggS half an encode")
    ok(show_dir, "build")
    names = sorted(media_files(show_dir))
    assert [name for name in names if name.startswith(".")] == []
    [opus] = [name for name in names if name.endswith(".opus")]
    assert mf.seconds_of(media / opus) == pytest.approx(6.0, abs=0.1)


def test_a_video_gets_an_audio_only_rendition(show_dir: Path, tmp_path: Path) -> None:
    with_formats(show_dir, 'formats = ["audio", "opus"]\n')
    add_episode(show_dir, mf.mp4_video(tmp_path, "film.mp4", seconds=3.0))
    ok(show_dir, "build")
    tree = etree.parse(str(show_dir / "feed" / "feed.xml"))
    types = tree.xpath("//item/podcast:alternateEnclosure/@type", namespaces=NS)
    assert types == ["video/mp4", "audio/mp4"], "audio-only for video; no Opus of a video"
    [audio] = [p for p in (show_dir / "feed" / "media").iterdir() if "-audio-" in p.name]
    streams = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", audio],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert streams == ["audio"]


def test_the_page_offers_the_smallest_first_and_a_download_for_each(
    published: tuple[Path, str],
) -> None:
    show, _ = published
    page = (show / "feed" / "episodes" / "ep" / "index.html").read_text()
    html = etree.HTML(page)
    sources = html.xpath("//audio//source")  # libxml2 nests the void elements it does not know
    sizes = [(show / "feed" / "episodes" / "ep" / s.get("src")).stat().st_size for s in sources]
    assert len(sources) == 3 and sizes == sorted(sizes)
    assert sources[0].get("type") == 'audio/ogg; codecs="opus"'
    downloads = html.xpath("//p[@class='download']/a/@href")
    assert downloads == [s.get("src") for s in sources]


@needs_chromium
@pytest.mark.browser
def test_the_pages_player_plays_a_rendition_to_the_end_after_a_seek(
    published: tuple[Path, str], tmp_path: Path
) -> None:
    _, base = published
    with chromium(tmp_path / "chromium") as driver:
        open_page(driver, f"{base}/episodes/ep/index.html")
        state: dict[str, Any] = wait_for(driver, AUDIO_READY)
        assert state["src"].endswith(".opus"), state
        driver.execute_script(
            "const a = document.querySelector('audio'); a.currentTime = a.duration - 2; a.play();"
        )
        ended = wait_for(driver, "const a = document.querySelector('audio');"
                         "return a.ended && {time: a.currentTime, error: a.error};")  # fmt: skip
    assert ended["error"] is None
    assert ended["time"] == pytest.approx(state["duration"], abs=0.1)


@pytest.mark.usefixtures("embedded_store")
def test_a_dry_run_says_what_it_would_publish_and_writes_nothing(
    show_dir: Path, tmp_path: Path
) -> None:
    with_formats(show_dir, 'formats = ["opus"]\n')
    add_episode(show_dir, mf.mp3_cbr(tmp_path, "opname.mp3", seconds=3.0))
    result = ok(show_dir, "publish", "--dry-run", "--force", "--json")
    assert "-opus-" in result.output and ".opus" in result.output
    assert not (show_dir / "feed").exists()
