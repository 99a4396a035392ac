"""Shared pytest fixtures."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from mediafeed.store import local as localstore
from mediafeed.store.local import LocalStore
from mediafeed.store.target import Target, local_target, make_client

# No time limit per example: a loaded machine (two cores, the suite on both) made slow
# examples fail where nothing was wrong, and tests assert behaviour, not speed.
settings.register_profile("mediafeed", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mediafeed")

# A test run started in the background by a shell ignores SIGINT, and so would every
# command a test starts: the tests of Ctrl+C need it handled as at a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# ---------------------------------------------------------------------------------------
# Storage: a real SeaweedFS S3 server, one per test session (so one per xdist worker).
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    """A running local store on free loopback ports, stopped when the session ends."""
    state_dir = tmp_path_factory.mktemp("seaweed")
    store = localstore.ensure_running(state_dir, preferred_s3_port=None)
    try:
        yield store
    finally:
        localstore.stop(state_dir)


@dataclass(frozen=True)
class S3Server:
    """An S3-compatible server the tests run: its endpoint and write credentials."""

    name: str
    endpoint_url: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's standalone S3 server, a second implementation independent of SeaweedFS, as a
    real HTTP server on a free loopback port; stopped by its pid when the session ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "moto did not start"
                time.sleep(0.1)
        yield S3Server("moto", f"http://127.0.0.1:{port}", "moto-key", "moto-secret")
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _public_bucket(server: S3Server, bucket: str) -> tuple[Any, Target]:
    """A fresh bucket anyone may read, as a producer sets up on AWS; moto asks for
    s3:HeadObject besides s3:GetObject before it answers an anonymous HEAD."""
    target = Target(bucket, "show", server.endpoint_url, "us-east-1",
                    public_url=f"{server.endpoint_url}/{bucket}/show")  # fmt: skip
    client = make_client(target, credentials=(server.access_key, server.secret_key))
    client.create_bucket(Bucket=bucket)
    statement = {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:HeadObject"],
                 "Resource": f"arn:aws:s3:::{bucket}/*"}  # fmt: skip
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return client, target


@pytest.fixture(params=["seaweedfs", "moto"])
def any_store(request: pytest.FixtureRequest) -> S3Server:
    """Each S3 implementation the suite runs, for the tests where a second one adds
    coverage: SeaweedFS (the embedded store) and moto."""
    if request.param == "moto":
        server: S3Server = request.getfixturevalue("moto_server")
        return server
    weed: LocalStore = request.getfixturevalue("seaweed")
    return S3Server("seaweedfs", weed.endpoint_url, weed.access_key, weed.secret_key)


def _emptied(client: Any, bucket: str) -> None:
    """Delete a test's bucket and what it holds: SeaweedFS gives each bucket volumes of its
    own, and a session that keeps them all runs out of writable volumes."""
    with contextlib.suppress(Exception):
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        client.delete_bucket(Bucket=bucket)


@pytest.fixture
def any_target(any_store: S3Server) -> Iterator[tuple[Any, Target]]:
    """A fresh, empty, publicly readable bucket on each store: an admin client, a target."""
    bucket = f"t-{uuid.uuid4().hex[:20]}"
    if any_store.name == "moto":
        client, target = _public_bucket(any_store, bucket)
    else:
        target = Target(bucket, "show", any_store.endpoint_url, "us-east-1",
                        public_url=f"{any_store.endpoint_url}/{bucket}/show")  # fmt: skip
        client = make_client(target, credentials=(any_store.access_key, any_store.secret_key))
        client.create_bucket(Bucket=bucket)
    yield client, target
    _emptied(client, bucket)


@pytest.fixture
def embedded_store(seaweed: LocalStore, monkeypatch: pytest.MonkeyPatch) -> LocalStore:
    """The session's store as the embedded default a show without a [publish] target
    uses (its `podcast` bucket), so a test need not start one of its own."""
    monkeypatch.setenv("MEDIAFEED_STATE_DIR", str(seaweed.data_dir.parent))
    return seaweed


@pytest.fixture
def s3_target(seaweed: LocalStore) -> Iterator[tuple[Any, Target]]:
    """A fresh, empty bucket on the session's store: an admin client and its target."""
    bucket = f"t-{uuid.uuid4().hex[:20]}"
    target, credentials = local_target(replace(seaweed, bucket=bucket), "show")
    client = make_client(target, credentials=credentials)
    client.create_bucket(Bucket=bucket)
    yield client, target
    _emptied(client, bucket)


# ---------------------------------------------------------------------------------------
# Shows: a fresh show folder made by `mediafeed init`, with a config a directory accepts.
# ---------------------------------------------------------------------------------------

SHOW_CONFIG = """\
title = "Een tegen eenzaamheid"
description = "Gesprekken over eenzaamheid en ontmoeting."
author = "Programma Een tegen eenzaamheid"
language = "nl"
categories = [["Health & Fitness", "Mental Health"], ["Government"]]
explicit = false
type = "episodic"
artwork = "artwork.jpg"
link = "https://www.eentegeneenzaamheid.nl/"
guid = "0b1c4c5e-3f0a-5c6e-9a59-2d6b1f7c8e10"

[owner]
name = "Programma Een tegen eenzaamheid"
email = "podcast@example.org"
"""


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep every test away from the user's own embedded store and its state, and stop
    any store a test started there."""
    state = tmp_path / "mediafeed-state"
    monkeypatch.setenv("MEDIAFEED_STATE_DIR", str(state))
    yield state
    if (state / localstore.STORE_FILE).exists():
        localstore.stop(state)


@pytest.fixture
def show_dir(tmp_path: Path) -> Path:
    """An empty show: config, artwork, episodes/ and media/ folders."""
    from mediafeed.commands.init import init_show

    root = tmp_path / "show"
    init_show(root, title="Een tegen eenzaamheid", language="nl")
    (root / "mediafeed.toml").write_text(SHOW_CONFIG, encoding="utf-8")
    # The show's own cover, not the placeholder init draws (check refuses that for a target).
    shutil.copyfile(Path(__file__).resolve().parent.parent / "artwork.jpg", root / "artwork.jpg")
    return root


def publish_table(target: Target) -> str:
    """The [publish] table that points a show at a test bucket."""
    return (
        f'\n[publish]\ntarget = "s3://{target.bucket}/{target.prefix}"\n'
        f'endpoint_url = "{target.endpoint_url}"\nregion = "us-east-1"\n'
        f'public_url = "{target.base_url()}"\n'
    )


@pytest.fixture
def published_show(
    show_dir: Path,
    s3_target: tuple[Any, Target],
    seaweed: LocalStore,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, Target]:
    """A show whose [publish] target is a fresh bucket; write credentials come from the
    environment, the standard AWS chain, as a producer's would."""
    return _publishing(show_dir, s3_target[1], (seaweed.access_key, seaweed.secret_key),
                       monkeypatch)  # fmt: skip


@pytest.fixture
def any_published_show(
    show_dir: Path,
    any_target: tuple[Any, Target],
    any_store: S3Server,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, Target]:
    """`published_show` on each S3 implementation the suite runs."""
    credentials = (any_store.access_key, any_store.secret_key)
    return _publishing(show_dir, any_target[1], credentials, monkeypatch)


def _publishing(
    show_dir: Path, target: Target, credentials: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Target]:
    with (show_dir / "mediafeed.toml").open("a", encoding="utf-8") as handle:
        handle.write(publish_table(target))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials[1])
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(show_dir.parent / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(show_dir.parent / "no-aws-creds"))
    return show_dir, target


# ---------------------------------------------------------------------------------------
# Files opened: what a command reads, seen as Python reports it.
# ---------------------------------------------------------------------------------------

# Python reports every open of a file by name (builtins.open, io.open, os.open) as an
# "open" audit event. A hook cannot be removed, so one hook serves every test, and watches
# only while a test has put a file in `_WATCHED`.
_WATCHED: dict[str, list[str]] = {}


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _WATCHED and isinstance(args[0], str | bytes | os.PathLike):
        name = os.path.realpath(os.fsdecode(args[0]))
        if name in _WATCHED:
            _WATCHED[name].append(str(args[1]))


sys.addaudithook(_audit)


@pytest.fixture
def opens() -> Iterator[Callable[[Path], list[str]]]:
    """Watch a file: the list fills with the mode of each open of it."""

    def watch(path: Path) -> list[str]:
        return _WATCHED.setdefault(os.path.realpath(path), [])

    yield watch
    _WATCHED.clear()
