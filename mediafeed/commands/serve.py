"""`mediafeed serve`: preview the built show over HTTP, with HEAD and Range like a real host.

The standard library's file server answers neither Range nor 206, which podcast apps and
browsers use to seek and to read durations; the small handler below adds single ranges.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mediafeed.errors import MediafeedError
from mediafeed.manifest import content_type

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Asked for by range, often many times a second: served as built, never a reason to build.
_MEDIA = ("audio/", "video/", "image/")


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """Serves files with Content-Type from the project's own map and byte ranges; before a
    page (not media), the server's `fresh` builds again, so an edit shows at a reload."""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return content_type(str(path))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if os.environ.get("MEDIAFEED_SERVE_LOG"):
            super().log_message(format, *args)

    def send_head(self) -> Any:
        self._remaining: int | None = None
        path = Path(self.translate_path(self.path))
        if "\0" in str(path):  # a %00: open() raises ValueError, which the stdlib does not catch
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        if path.is_dir():
            path = path / "index.html"
        fresh = self.server.fresh if isinstance(self.server, PreviewServer) else None
        if fresh and not self.guess_type(path).startswith(_MEDIA) and (problem := fresh()):
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "The build failed", problem)
            return None
        match = _RANGE.match((self.headers.get("Range") or "").strip())
        if not match or match.groups() == ("", "") or not path.is_file():
            return super().send_head()  # the whole file, or what the standard handler says
        first, last = match.groups()
        size = path.stat().st_size
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        handle = path.open("rb")
        handle.seek(start)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return handle

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        remaining = self._remaining
        if remaining is None:
            shutil.copyfileobj(source, outputfile)
            return
        while remaining > 0 and (chunk := source.read(min(1 << 16, remaining))):
            outputfile.write(chunk)
            remaining -= len(chunk)


class Rebuilt:
    """`build` run again when a page is asked for, at most once a `second` (its fast path
    finds nothing changed in milliseconds for a small show). Gives None when the build
    went well, else its one-line error, which pages show until it is mended; `tell` hears
    each new error once."""

    def __init__(
        self, build: Callable[[], object], tell: Callable[[str], None], *, second: float = 1.0
    ) -> None:
        self._build, self._tell, self._second = build, tell, second
        self._lock = threading.Lock()
        self._last, self._problem = time.monotonic(), ""  # built once before serving

    def __call__(self) -> str | None:
        with self._lock:  # one build at a time; requests meanwhile wait for its outcome
            if time.monotonic() - self._last >= self._second:
                try:
                    self._build()
                    problem = ""
                except MediafeedError as exc:
                    problem = str(exc)
                if problem and problem != self._problem:
                    self._tell(problem)
                self._problem, self._last = problem, time.monotonic()
            return self._problem or None


class PreviewServer(ThreadingHTTPServer):
    fresh: Callable[[], str | None] | None = None  # asked before each page: see `Rebuilt`


def make_server(directory: Path, *, port: int = 0) -> PreviewServer:
    """A server of `directory` on `port` of 127.0.0.1, never on an outside address."""
    handler = partial(RangeRequestHandler, directory=str(directory))
    try:
        return PreviewServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise MediafeedError(
            f"port {port} on 127.0.0.1 is in use: stop what serves there, or pick another port "
            "with --port N (--port 0 picks a free one)"
        ) from None
