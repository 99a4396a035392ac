"""`mediafeed serve`: preview the built show over HTTP, with HEAD and Range like a real host.

The standard library's file server answers neither Range nor 206, which podcast apps and
browsers use to seek and to read durations; the small handler below adds single ranges.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mediafeed.errors import MediafeedError
from mediafeed.manifest import content_type

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeRequestHandler(SimpleHTTPRequestHandler):
    """Serves files with Content-Type from the project's own map and byte ranges."""

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


def make_server(directory: Path, *, port: int = 0) -> ThreadingHTTPServer:
    """A server of `directory` on `port` of 127.0.0.1, never on an outside address."""
    handler = partial(RangeRequestHandler, directory=str(directory))
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise MediafeedError(
            f"port {port} on 127.0.0.1 is in use: stop what serves there, or pick another port "
            "with --port N (--port 0 picks a free one)"
        ) from None
