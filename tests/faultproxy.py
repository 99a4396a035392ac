"""A fault-injecting HTTP proxy on 127.0.0.1, put in front of the test store's S3 port.

Per request it can reset the connection, drop it half-way through the body, answer with
S3's own 500 InternalError or 503 SlowDown, or stall past the client's read timeout; it
can also slow every request down. Everything else passes through byte for byte. It stops
by itself after `lifetime` seconds, so a forgotten proxy never outlives its test.
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

KINDS = ("reset", "drop", "500", "503", "stall")
_ERRORS = {
    "500": (
        b"500 Internal Server Error",
        b"InternalError",
        b"We encountered an internal error. Please try again.",
    ),
    "503": (b"503 Slow Down", b"SlowDown", b"Please reduce your request rate."),
}


@dataclass
class Fault:
    """`kind` for the next `times` requests whose method and path match."""

    kind: str
    times: int
    method: str | None = None
    path: str | None = None  # a substring of the request target, query included

    def matches(self, method: str, target: str) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method == method)
            and (self.path is None or self.path in target)
        )


@dataclass(frozen=True)
class Seen:
    method: str
    target: str
    outcome: str  # "pass" or the fault's kind
    at: float


class FaultProxy:
    def __init__(
        self,
        upstream_url: str,
        *,
        lifetime: float = 120.0,
        stall: float = 30.0,
        latency: float = 0.0,
        rate: float | None = None,
    ) -> None:
        parts = urllib.parse.urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.lifetime = lifetime
        self.stall = stall
        self.latency = latency  # seconds added before each request is passed on
        self.rate = rate  # bytes per second for request bodies, per connection
        self.seen: list[Seen] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(
        self, kind: str, times: int = 1, *, method: str | None = None, path: str | None = None
    ) -> Fault:
        assert kind in KINDS, kind
        fault = Fault(kind, times, method, path)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def outcomes(self, kind: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.outcome == kind]

    def start(self) -> FaultProxy:
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- connections -------------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _accept(self) -> None:
        deadline = time.monotonic() + self.lifetime
        while not self._stopped.is_set() and time.monotonic() < deadline:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            self._spawn(self._serve, self._track(client))
        self._stopped.set()

    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        upstream: socket.socket | None = None
        try:
            while not self._stopped.is_set():
                head = _read_head(reader)
                if head is None:
                    return
                method, target, headers = _parse(head)
                kind = self._choose(method, target)
                if kind == "reset":
                    return _reset(client)
                if kind in _ERRORS:
                    if headers.get("expect", "").lower() != "100-continue":
                        _drain_body(reader, headers)
                    return _answer_error(client, kind, method)
                if kind == "stall":
                    # Keep reading so a sender is never blocked: only the answer stalls.
                    self._spawn(_discard, reader)
                    self._stopped.wait(self.stall)
                    return _reset(client)
                if self.latency:
                    time.sleep(self.latency)
                if upstream is None:
                    upstream = self._track(socket.create_connection(self._upstream, timeout=30))
                    self._spawn(self._pump, upstream, client)
                upstream.sendall(head)
                limit = 64 * 1024 if kind == "drop" else None
                if not self._copy_body(reader, upstream, headers, limit):
                    return _reset(client)
        except OSError:
            return
        finally:
            reader.close()
            _shut(client)
            if upstream is not None:
                _shut(upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        """Answers flow back untouched."""
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            _shut(sink)

    def _choose(self, method: str, target: str) -> str:
        with self._lock:
            outcome = "pass"
            for fault in self._faults:
                if fault.matches(method, target):
                    fault.times -= 1
                    outcome = fault.kind
                    break
            self.seen.append(Seen(method, target, outcome, time.monotonic()))
            return outcome

    def _copy_body(
        self,
        reader: io.BufferedReader,
        upstream: socket.socket,
        headers: dict[str, str],
        limit: int | None,
    ) -> bool:
        """Pass the body on; False when `limit` bytes went through and the rest must not."""
        sent = 0
        for chunk in _body_chunks(reader, headers):
            if limit is not None and sent + len(chunk) > limit:
                upstream.sendall(chunk[: max(0, limit - sent)])
                return False
            upstream.sendall(chunk)
            sent += len(chunk)
            if self.rate:
                time.sleep(len(chunk) / self.rate)
        return True


def _read_head(reader: io.BufferedReader) -> bytes | None:
    lines = []
    while True:
        line = reader.readline(65537)
        if not line:
            return None
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def _parse(head: bytes) -> tuple[str, str, dict[str, str]]:
    first, *rest = head.decode("latin-1").split("\r\n")
    method, target, _ = first.split(" ", 2)
    headers = {}
    for line in rest:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


def _body_chunks(reader: io.BufferedReader, headers: dict[str, str]) -> Iterator[bytes]:
    """The raw bytes of a request body, as framed on the wire."""
    read, readline = reader.read, reader.readline
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = readline(1024)
            yield size_line
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (trailer := readline(65537)) not in (b"\r\n", b"\n", b""):
                    yield trailer
                yield b"\r\n"
                return
            remaining = size + 2
            while remaining:
                chunk = read(min(remaining, 65536))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk
        return
    remaining = int(headers.get("content-length", "0") or 0)
    while remaining:
        chunk = read(min(remaining, 65536))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def _drain_body(reader: io.BufferedReader, headers: dict[str, str]) -> None:
    for _ in _body_chunks(reader, headers):
        pass


def _discard(reader: io.BufferedReader) -> None:
    with contextlib.suppress(OSError, ValueError):
        while reader.read1(65536):
            pass


def _answer_error(client: socket.socket, kind: str, method: str) -> None:
    status, code, message = _ERRORS[kind]
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
        + code
        + b"</Code><Message>"
        + message
        + b"</Message><RequestId>faultproxy</RequestId></Error>"
    )
    head = (
        b"HTTP/1.1 "
        + status
        + b"\r\nContent-Type: application/xml\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
    )
    client.sendall(head if method == "HEAD" else head + body)
    _shut(client)


def _reset(client: socket.socket) -> None:
    """Close with a TCP RST, as a load balancer dropping the connection does."""
    with contextlib.suppress(OSError):
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
