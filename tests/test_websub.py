"""WebSub: each publish that changes feed.xml pings the show's hubs once, after the feed is
readable from the store; a hub that fails leaves the publish successful, with a warning."""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from mediafeed.store.target import Target
from tests import mediafactory
from tests.showmaker import write_episode
from tests.test_cache import mediafeed_cli

PUBLISHED = dt.datetime(2021, 11, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class Hub:
    """A WebSub hub on loopback that records each ping and what the feed said then."""

    answer: int = 204
    delay: float = 0.0
    pings: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


def serve_hub(hub: Hub) -> Iterator[Hub]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            form = parse_qs(body)
            feed_url = form.get("hub.url", [""])[0]
            try:
                with urllib.request.urlopen(feed_url, timeout=5) as response:
                    feed = response.read().decode()
            except OSError as exc:
                feed = f"unreadable: {exc}"
            hub.pings.append({"form": form, "type": self.headers.get("Content-Type"), "feed": feed})
            time.sleep(hub.delay)
            try:
                self.send_response(hub.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the publisher gave up waiting

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hub.url = f"http://127.0.0.1:{server.server_address[1]}/hub"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    yield from serve_hub(Hub())


def hubbed_show(published_show: tuple[Path, Target], hub: Hub) -> Path:
    show, _ = published_show
    config = show / "mediafeed.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[publish]\n", f'[publish]\nwebsub_hubs = ["{hub.url}"]\n'))
    media = mediafactory.mp3_cbr(show / "media", "een.mp3")
    write_episode(show, "een", media, published=PUBLISHED, notes="De eerste.")
    return show


def add_episode(show: Path, slug: str) -> None:
    media = mediafactory.mp3_cbr(show / "media", f"{slug}.mp3")
    write_episode(show, slug, media, published=PUBLISHED + dt.timedelta(days=1))


def test_a_changed_publish_pings_the_hub_once_after_the_feed_landed(
    published_show: tuple[Path, Target], hub: Hub
) -> None:
    show = hubbed_show(published_show, hub)
    assert mediafeed_cli(show, "publish").returncode == 0
    add_episode(show, "twee")
    result = mediafeed_cli(show, "publish")
    assert result.returncode == 0, result.stderr
    assert len(hub.pings) == 2
    ping = hub.pings[-1]
    assert ping["type"] == "application/x-www-form-urlencoded"
    assert ping["form"]["hub.mode"] == ["publish"]
    [feed_url] = ping["form"]["hub.url"]
    assert feed_url.endswith("/feed.xml") and feed_url in result.stdout
    assert "Aflevering twee" in ping["feed"]  # the new feed, readable when the hub heard
    assert "Warning" not in result.stderr


def test_an_unchanged_publish_and_a_dry_run_ping_no_hub(
    published_show: tuple[Path, Target], hub: Hub
) -> None:
    show = hubbed_show(published_show, hub)
    assert mediafeed_cli(show, "publish").returncode == 0
    assert mediafeed_cli(show, "publish").returncode == 0
    add_episode(show, "twee")
    assert mediafeed_cli(show, "publish", "--dry-run").returncode == 0
    assert len(hub.pings) == 1


@pytest.mark.parametrize(("answer", "delay", "words"), [(500, 0.0, "answered 500"),
                                                        (204, 8.0, "no answer in time")])  # fmt: skip
def test_a_failing_hub_leaves_the_publish_done_with_one_warning(
    published_show: tuple[Path, Target], answer: int, delay: float, words: str
) -> None:
    for hub in serve_hub(Hub(answer=answer, delay=delay)):
        show = hubbed_show(published_show, hub)
        result = mediafeed_cli(show, "publish")
        assert result.returncode == 0, result.stderr
        [warning] = [line for line in result.stderr.splitlines() if line.strip()]
        assert warning.startswith("Warning: WebSub hub ") and words in warning
        assert "feed.xml" in result.stdout
