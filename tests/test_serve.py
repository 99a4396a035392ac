"""`mediafeed serve`'s handler answers like a podcast host: HEAD, Range, 206 and 416; the
preview it serves is built apart from feed/, and again when a page is asked after an edit."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediafeed.commands.serve import make_server
from tests.mediafactory import m4a, mp3_cbr
from tests.showmaker import START, write_episode


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    media = mp3_cbr(tmp_path / "site" / "media", "a.mp3")
    server = make_server(tmp_path / "site")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/media/a.mp3", media.read_bytes()
    finally:
        server.shutdown()
        server.server_close()


def request(url: str, **headers: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers=headers)


def test_head_gives_length_type_and_accept_ranges(served: tuple[str, bytes]) -> None:
    url, data = served
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD")) as response:
        assert response.status == 200
        assert int(response.headers["Content-Length"]) == len(data)
        assert response.headers["Content-Type"] == "audio/mpeg"
        assert response.headers["Accept-Ranges"] == "bytes"


def test_range_returns_exactly_the_asked_bytes(served: tuple[str, bytes]) -> None:
    url, data = served
    with urllib.request.urlopen(request(url, Range="bytes=100-199")) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        assert response.read() == data[100:200]


def test_suffix_range_returns_the_tail(served: tuple[str, bytes]) -> None:
    url, data = served
    with urllib.request.urlopen(request(url, Range="bytes=-50")) as response:
        assert response.status == 206 and response.read() == data[-50:]


def test_range_past_the_end_is_416(served: tuple[str, bytes]) -> None:
    url, data = served
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request(url, Range=f"bytes={len(data) + 10}-"))
    assert caught.value.code == 416


def test_a_nul_byte_in_the_path_is_404_not_a_dropped_connection(
    served: tuple[str, bytes],
) -> None:
    url, _ = served
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url + "%00")
    assert caught.value.code == 404


def test_an_m4b_is_served_as_audio(tmp_path: Path) -> None:
    m4a(tmp_path / "site" / "media", "book.m4b")
    server = make_server(tmp_path / "site")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/media/book.m4b"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD")) as response:
            assert response.headers["Content-Type"] == "audio/mp4"
    finally:
        server.shutdown()
        server.server_close()


def test_a_taken_port_names_the_port_and_the_way_out(show_dir: Path) -> None:
    import socket

    from click.testing import CliRunner

    from mediafeed.cli import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["-C", str(show_dir), "serve", "--port", str(port)])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert f"port {port} on 127.0.0.1 is in use" in line and "--port 0" in line


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is how Ctrl+C arrives on POSIX")
def test_ctrl_c_stops_serving_quietly_with_exit_0(show_dir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediafeed", "-C", str(show_dir), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert "(Ctrl+C stops)" in lines[1], lines
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert err == "" and out == ""


@pytest.fixture
def serving(show_dir: Path) -> Iterator[tuple[Path, str, subprocess.Popen[str]]]:
    """`mediafeed serve` of a one-episode show that was built first: its root, address and
    process (its standard error read by the test once it is stopped)."""
    shutil.copyfile(mp3_cbr(show_dir.parent, "een.mp3"), show_dir / "media" / "een.mp3")
    write_episode(show_dir, "een", show_dir / "media" / "een.mp3", published=START)
    build = [sys.executable, "-m", "mediafeed", "-C", str(show_dir)]
    subprocess.run([*build, "build"], check=True, capture_output=True)
    proc = subprocess.Popen([*build, "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    try:
        address = proc.stdout.readline().split(" at ")[1].rsplit("/", 1)[0]
        yield show_dir, address, proc
    finally:
        proc.kill()
        proc.wait()


def _page(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_serve_leaves_feed_as_the_build_made_it(
    serving: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    root, address, _ = serving
    built = {path: path.read_bytes() for path in (root / "feed").rglob("*") if path.is_file()}
    status, feed = _page(f"{address}/feed.xml")
    assert status == 200 and f'<atom:link href="{address}/feed.xml"' in feed
    assert {path: path.read_bytes() for path in built} == built
    assert address.encode() not in (root / "feed" / "feed.xml").read_bytes()


def test_an_edit_shows_at_the_next_reload(
    serving: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    root, address, _ = serving
    episode = root / "episodes" / "een.md"
    episode.write_text(episode.read_text().replace("Aflevering een", "Nieuwe titel"))
    time.sleep(1.1)  # the server builds again at most once a second
    assert "Nieuwe titel" in _page(f"{address}/index.html")[1]
    assert "Nieuwe titel" in _page(f"{address}/feed.xml")[1]


def test_a_broken_episode_file_is_shown_on_the_page_and_said_once(
    serving: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    root, address, proc = serving
    episode = root / "episodes" / "een.md"
    good = episode.read_text()
    episode.write_text(re.sub(r"^duration: .*$", "duration: lang", good, flags=re.MULTILINE))
    time.sleep(1.1)
    status, page = _page(f"{address}/index.html")
    assert status == 500 and "een.md" in page
    time.sleep(1.1)
    assert _page(f"{address}/feed.xml")[0] == 500
    episode.write_text(good)
    time.sleep(1.1)
    assert _page(f"{address}/index.html")[0] == 200
    proc.kill()
    (said,) = proc.communicate()[1].splitlines()
    assert said.startswith("Error: ") and "een.md" in said
