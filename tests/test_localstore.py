"""The embedded SeaweedFS store: start, reuse, stop, anonymous read, private credentials."""

from __future__ import annotations

import http.client
import json
import os
import stat
import urllib.parse
from pathlib import Path

import pytest

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
        with pytest.raises(ProcessLookupError):
            os.kill(first.pid, 0)
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
