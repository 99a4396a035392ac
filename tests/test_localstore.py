"""The embedded SeaweedFS store: start, reuse, stop, anonymous read, private credentials."""

from __future__ import annotations

import http.client
import json
import os
import stat
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from mediafeed.errors import StoreError
from mediafeed.model import Manifest
from mediafeed.store import local as localstore
from mediafeed.store.local import LocalStore
from mediafeed.store.publish import publish
from mediafeed.store.target import local_target, make_client
from tests import mediafactory
from tests.showmaker import output_object


def _http(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request(method, parts.path, body=body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def _state_dir(store: LocalStore) -> Path:
    return store.data_dir.parent


def _write_record(state_dir: Path, record: dict[str, object]) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / localstore.STORE_FILE).write_text(json.dumps(record), encoding="utf-8")


def _read_record(state_dir: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((state_dir / localstore.STORE_FILE).read_text())
    return record


def _servers_of(state_dir: Path) -> list[psutil.Process]:
    """The live weed processes whose data folder is `state_dir`'s."""
    flag = f"-dir={state_dir.absolute() / 'data'}"
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if flag in (process.info["cmdline"] or []) and process.info["status"] != "zombie":
            found.append(process)
    return found


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """Another program, alive for the whole test: nothing here may signal it."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    yield proc
    proc.kill()
    proc.wait()


HOLD_LOCK = """\
import sys, time
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def hold_lock(tmp_path: Path) -> Iterator[Callable[[float], subprocess.Popen[str]]]:
    """Another process holding the store lock of `tmp_path` for the seconds asked."""
    holders: list[subprocess.Popen[str]] = []

    def hold(seconds: float) -> subprocess.Popen[str]:
        lock = tmp_path / localstore.LOCK_FILE
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(lock), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(proc)
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        return proc

    yield hold
    for proc in holders:
        proc.kill()
        proc.wait()


def test_running_store_is_reused(seaweed: LocalStore) -> None:
    again = localstore.ensure_running(_state_dir(seaweed), preferred_s3_port=None)
    assert (again.pid, again.endpoint_url, again.secret_key) == (
        seaweed.pid,
        seaweed.endpoint_url,
        seaweed.secret_key,
    )


def test_stop_ends_the_server_and_restart_keeps_the_feed_url(tmp_path: Path) -> None:
    first = localstore.ensure_running(tmp_path / "state", preferred_s3_port=None)
    try:
        assert localstore.stop(tmp_path / "state") is True
        with pytest.raises(ConnectionRefusedError):
            _http("HEAD", first.public_url())
        assert not psutil.pid_exists(first.pid)
        second = localstore.ensure_running(tmp_path / "state", preferred_s3_port=None)
        assert (second.public_url("show"), second.pid != first.pid) == (
            first.public_url("show"),
            True,
        )
    finally:
        localstore.stop(tmp_path / "state")


def test_a_new_bucket_restarts_the_store_on_the_same_url(tmp_path: Path) -> None:
    first = localstore.ensure_running(tmp_path, preferred_s3_port=None)
    try:
        other = localstore.ensure_running(tmp_path, bucket="second", preferred_s3_port=None)
        assert other.endpoint_url == first.endpoint_url
        assert _http("HEAD", other.public_url())[0] == 200
        assert _http("HEAD", first.public_url())[0] == 200
    finally:
        localstore.stop(tmp_path)


def test_stop_without_a_running_store_says_so(tmp_path: Path) -> None:
    assert localstore.stop(tmp_path) is False


def test_a_record_naming_another_program_is_never_signalled(tmp_path: Path) -> None:
    record = {"pid": os.getpid(), "ports": {"s3.port": 1}, "access_key": "a", "secret_key": "b"}
    (tmp_path / "store.json").write_text(json.dumps(record))
    assert localstore.stop(tmp_path) is False


def test_stop_never_signals_another_live_program_whose_pid_is_recorded(
    tmp_path: Path, stranger: subprocess.Popen[bytes]
) -> None:
    started = psutil.Process(stranger.pid).create_time()
    _write_record(tmp_path, {"pid": stranger.pid, "create_time": started, "ports": {}})
    assert localstore.stop(tmp_path) is False
    assert stranger.poll() is None


def test_a_recorded_pid_of_another_program_is_not_reused(
    tmp_path: Path, stranger: subprocess.Popen[bytes]
) -> None:
    started = psutil.Process(stranger.pid).create_time()
    _write_record(tmp_path, {"pid": stranger.pid, "create_time": started, "ports": {}})
    try:
        store = localstore.ensure_running(tmp_path, preferred_s3_port=None)
        assert store.pid != stranger.pid
        assert _http("HEAD", store.public_url())[0] == 200
        assert stranger.poll() is None
    finally:
        localstore.stop(tmp_path)


def test_a_record_with_the_right_pid_but_another_start_time_is_not_ours(tmp_path: Path) -> None:
    store = localstore.ensure_running(tmp_path, preferred_s3_port=None)
    record = _read_record(tmp_path)
    try:
        _write_record(tmp_path, {**record, "create_time": record["create_time"] - 3600})
        assert localstore.stop(tmp_path) is False
        assert _http("HEAD", store.public_url())[0] == 200
    finally:
        _write_record(tmp_path, record)
        localstore.stop(tmp_path)


def test_an_old_record_without_a_start_time_is_reused_when_it_names_our_weed(
    tmp_path: Path,
) -> None:
    store = localstore.ensure_running(tmp_path, preferred_s3_port=None)
    try:
        old = {key: value for key, value in _read_record(tmp_path).items() if key != "create_time"}
        _write_record(tmp_path, old)
        assert localstore.ensure_running(tmp_path, preferred_s3_port=None).pid == store.pid
    finally:
        localstore.stop(tmp_path)


START_WHEN_TOLD = """\
import sys, time
from pathlib import Path
from mediafeed.store import local
print("ready", flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.005)
print(local.ensure_running(Path(sys.argv[1]), preferred_s3_port=None).pid, flush=True)
"""


def test_two_processes_starting_the_store_at_once_end_with_one_server(tmp_path: Path) -> None:
    state, go = tmp_path / "state", tmp_path / "go"
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", START_WHEN_TOLD, str(state), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for starter in starters:
            assert starter.stdout is not None and starter.stdout.readline() == "ready\n"
        go.touch()
        pids = [int(starter.communicate(timeout=120)[0]) for starter in starters]
        assert pids[0] == pids[1]
        assert [process.pid for process in _servers_of(state)] == pids[:1]
    finally:
        for starter in starters:
            starter.kill()
        localstore.stop(state)
        for process in _servers_of(state):  # should the test fail: leave no server behind
            process.kill()


def test_a_second_caller_waits_while_another_process_holds_the_lock(
    tmp_path: Path, hold_lock: Callable[[float], object]
) -> None:
    _write_record(tmp_path, {"pid": os.getpid(), "ports": {}})
    hold_lock(1.5)
    began = time.monotonic()
    localstore.stop(tmp_path)
    assert time.monotonic() - began > 1.0


def test_a_lock_held_past_the_timeout_gives_a_one_line_store_error(
    tmp_path: Path, hold_lock: Callable[[float], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(localstore, "LOCK_TIMEOUT", 0.5)
    _write_record(tmp_path, {"pid": os.getpid(), "ports": {}})
    hold_lock(30)
    with pytest.raises(StoreError, match="starting or stopping the local store") as raised:
        localstore.stop(tmp_path)
    assert "\n" not in str(raised.value)


def test_a_start_that_fails_releases_the_lock(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("in the way of the data folder")
    with pytest.raises(StoreError, match="data folder"):
        localstore.ensure_running(tmp_path, preferred_s3_port=None)
    take_at_once = (
        "import sys; from filelock import FileLock; FileLock(sys.argv[1], timeout=0).acquire()"
    )
    taken = subprocess.run(
        [sys.executable, "-c", take_at_once, str(tmp_path / localstore.LOCK_FILE)]
    )
    assert taken.returncode == 0


def test_anonymous_read_works_and_anonymous_write_is_refused(seaweed: LocalStore) -> None:
    target, credentials = local_target(seaweed, "readtest")
    client = make_client(target, credentials=credentials)
    client.put_object(Bucket=seaweed.bucket, Key="readtest/hello.txt", Body=b"hello")
    url = f"{seaweed.public_url('readtest')}/hello.txt"
    assert _http("GET", url) == (200, b"hello")
    assert _http("PUT", url, b"overwritten")[0] == 403
    assert _http("GET", url) == (200, b"hello")


def test_state_files_are_readable_by_their_owner_only(seaweed: LocalStore) -> None:
    for name in ("store.json", "s3.json"):
        mode = stat.S_IMODE((_state_dir(seaweed) / name).stat().st_mode)
        assert mode == 0o600, name


def test_credentials_never_reach_the_show_folder(
    seaweed: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show = tmp_path / "show"
    mp3 = mediafactory.mp3_cbr(show / "feed" / "media", name="first.mp3")
    monkeypatch.chdir(show)
    monkeypatch.setenv("MEDIAFEED_STATE_DIR", str(_state_dir(seaweed)))
    store = localstore.ensure_running(localstore.default_state_dir(), preferred_s3_port=None)
    target, credentials = local_target(store, "secrets-test")
    manifest = Manifest((output_object("media/first.mp3", mp3),))
    publish(manifest, make_client(target, credentials=credentials), target)
    files = [path for path in show.rglob("*") if path.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert store.secret_key.encode() not in data, path
        assert store.access_key.encode() not in data, path


def test_repr_hides_the_credentials(seaweed: LocalStore) -> None:
    assert seaweed.secret_key not in repr(seaweed)
    assert seaweed.access_key not in repr(seaweed)


def test_public_url_is_path_style(seaweed: LocalStore) -> None:
    assert seaweed.public_url("/show/") == f"{seaweed.endpoint_url}/podcast/show"
    assert seaweed.endpoint_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MEDIAFEED_STATE_DIR": "/x/state", "XDG_STATE_HOME": "/y"}, "/x/state"),
        ({"XDG_STATE_HOME": "/y"}, "/y/mediafeed"),
        ({"HOME": "/home/u"}, "/home/u/.local/state/mediafeed"),
    ],
)
def test_default_state_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name in ("MEDIAFEED_STATE_DIR", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert localstore.default_state_dir() == Path(expected)
