"""`mediafeed serve`'s handler answers like a podcast host: HEAD, Range, 206 and 416."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediafeed.commands.serve import make_server
from tests.mediafactory import m4a, mp3_cbr


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
