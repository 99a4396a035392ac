"""An old podcast host on 127.0.0.1 for import tests: GET with Range, HEAD, a request log,
and an optional pace that makes downloads last long enough to be interrupted."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Request:
    method: str
    name: str
    start: int  # the Range start, 0 without one


class OldHost(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, *, pace: float = 0.0, chunk: int = 8192):
        self.root = root
        self.pace = pace  # seconds between chunks
        self.chunk = chunk
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def log(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: OldHost

    def log_message(self, *args: object) -> None:
        pass

    def _found(self) -> tuple[str, bytes] | None:
        name = self.path.lstrip("/").split("?")[0]
        path = self.server.root / name
        if not path.is_file():
            self.send_error(404)
            return None
        return name, path.read_bytes()

    def do_HEAD(self) -> None:
        found = self._found()
        if found:
            self.server.log(Request("HEAD", found[0], 0))
            self.send_response(200)
            self.send_header("Content-Length", str(len(found[1])))
            self.end_headers()

    def do_GET(self) -> None:
        found = self._found()
        if not found:
            return
        name, data = found
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.server.log(Request("GET", name, start))
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        try:
            for offset in range(start, len(data), self.server.chunk):
                self.wfile.write(data[offset : offset + self.server.chunk])
                if self.server.pace:
                    time.sleep(self.server.pace)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (killed): as a real host sees it


@contextmanager
def old_host(root: Path, *, pace: float = 0.0, chunk: int = 8192) -> Iterator[OldHost]:
    server = OldHost(root, pace=pace, chunk=chunk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
