"""Publishing through a faulty network to a real SeaweedFS: retries, resume, a safe feed."""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mediafeed.errors import StoreError
from mediafeed.localstore import LocalStore
from mediafeed.manifest import HashCache, output_object
from mediafeed.model import Manifest, OutputObject
from mediafeed.publish import RECORD_KEY, Record, Target, make_client, publish
from tests import mediafactory
from tests.faultproxy import FaultProxy

FEED_V1 = b"<?xml version='1.0'?><rss version='2.0'><channel><title>v1</title></channel></rss>"
FEED_V2 = b"<?xml version='1.0'?><rss version='2.0'><channel><title>v2</title></channel></rss>"


def _head(url: str) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("HEAD", parts.path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _get(url: str) -> bytes:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("GET", parts.path)
    body = conn.getresponse().read()
    conn.close()
    return body


def _object(root: Path, key: str, data: bytes | None = None) -> OutputObject:
    path = root / key
    if data is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return output_object(key, path, HashCache(root / ".hashes.json"))


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A build folder: a real MP3, its page and the feed."""
    root = tmp_path / "feed"
    mediafactory.mp3_cbr(root / "media", name="first.mp3")
    _object(root, "episodes/first/index.html", b"<!doctype html><title>first</title>")
    _object(root, "feed.xml", FEED_V1)
    return root


def _manifest(root: Path, *keys: str) -> Manifest:
    keys = keys or ("media/first.mp3", "episodes/first/index.html", "feed.xml")
    return Manifest(tuple(_object(root, key) for key in keys))


@pytest.fixture
def proxy(seaweed: LocalStore) -> Iterator[FaultProxy]:
    with FaultProxy(seaweed.endpoint_url, lifetime=120, stall=10) as running:
        yield running


@pytest.fixture
def faulty(seaweed: LocalStore, s3_target: tuple[Any, Target], proxy: FaultProxy
           ) -> tuple[Any, Target]:  # fmt: skip
    """A client that writes through the proxy (short read timeout); anonymous reads and the
    public URL still go straight to the store."""
    return _through(seaweed, s3_target[1], proxy, read_timeout=1.5)


def _through(seaweed: LocalStore, target: Target, proxy: FaultProxy, **options: Any
             ) -> tuple[Any, Target]:  # fmt: skip
    through = replace(target, endpoint_url=proxy.endpoint_url)
    credentials = (seaweed.access_key, seaweed.secret_key)
    return make_client(through, credentials=credentials, **options), through


def _assert_published(target: Target, manifest: Manifest) -> None:
    for obj in manifest.objects:
        response = _head(f"{target.base_url()}/{obj.key}")
        answer = (response.status, response.getheader("Content-Length"))
        assert answer == (200, str(obj.size)), obj.key


@pytest.mark.parametrize("kind", ["reset", "500", "503"])
def test_failed_requests_are_retried_until_everything_lands(
    build: Path, faulty: tuple[Any, Target], proxy: FaultProxy, kind: str
) -> None:
    client, target = faulty
    proxy.inject(kind, times=2, method="PUT")
    publish(_manifest(build), client, target)
    assert len(proxy.outcomes(kind)) == 2
    _assert_published(target, _manifest(build))


def test_connection_dropped_mid_body_is_sent_again(
    tmp_path: Path, faulty: tuple[Any, Target], proxy: FaultProxy
) -> None:
    client, target = faulty
    data = os.urandom(300_000)
    manifest = Manifest((_object(tmp_path, "media/big.bin", data),))
    proxy.inject("drop", times=2, method="PUT", path="big.bin")
    publish(manifest, client, target)
    assert len(proxy.outcomes("drop")) == 2
    assert _get(f"{target.base_url()}/media/big.bin") == data


def test_stalled_answer_times_out_and_is_retried(
    build: Path, faulty: tuple[Any, Target], proxy: FaultProxy
) -> None:
    client, target = faulty
    proxy.inject("stall", times=1, method="PUT", path="index.html")
    publish(_manifest(build), client, target)
    stalled = proxy.outcomes("stall")
    retried = [s for s in proxy.seen if s.method == "PUT" and "index.html" in s.target]
    assert len(stalled) == 1 and len(retried) == 2
    # Retried after the 1.5 s read timeout, long before the proxy would let go (10 s).
    assert retried[1].at - stalled[0].at < 6
    _assert_published(target, _manifest(build))


def test_failed_multipart_parts_are_retried(
    tmp_path: Path, faulty: tuple[Any, Target], proxy: FaultProxy
) -> None:
    client, target = faulty
    data = os.urandom(17 * 1024 * 1024)
    manifest = Manifest((_object(tmp_path, "media/large.bin", data),))
    proxy.inject("503", times=2, method="PUT", path="partNumber=2")
    proxy.inject("reset", times=1, method="PUT", path="partNumber=1")
    publish(manifest, client, target)
    assert len(proxy.outcomes("503")) == 2 and len(proxy.outcomes("reset")) == 1
    assert _get(f"{target.base_url()}/media/large.bin") == data


def test_lasting_failure_keeps_the_old_feed_and_a_rerun_sends_only_what_is_missing(
    build: Path, seaweed: LocalStore, s3_target: tuple[Any, Target], proxy: FaultProxy
) -> None:
    client, target = _through(seaweed, s3_target[1], proxy, max_attempts=2)
    publish(_manifest(build), client, target)
    mediafactory.mp3_vbr(build / "media", name="second.mp3")
    _object(build, "episodes/first/index.html", b"<!doctype html><title>edited</title>")
    _object(build, "feed.xml", FEED_V2)
    keys = ("media/first.mp3", "media/second.mp3", "episodes/first/index.html", "feed.xml")
    proxy.inject("503", times=100, method="PUT", path="index.html")
    with pytest.raises(StoreError, match="SlowDown.*run publish again"):
        publish(_manifest(build, *keys), client, target)
    assert _get(f"{target.base_url()}/feed.xml") == FEED_V1
    proxy.clear()
    again = publish(_manifest(build, *keys), client, target)
    assert set(again.uploaded) == {"episodes/first/index.html", "feed.xml"}
    assert _get(f"{target.base_url()}/feed.xml") == FEED_V2


def test_names_are_claimed_in_the_record_before_they_are_sent(
    build: Path, seaweed: LocalStore, s3_target: tuple[Any, Target], proxy: FaultProxy
) -> None:
    admin, _ = s3_target
    client, target = _through(seaweed, s3_target[1], proxy, max_attempts=2)
    proxy.inject("503", times=100, method="PUT", path="feed.xml")
    with pytest.raises(StoreError):
        publish(_manifest(build), client, target)
    body = admin.get_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")["Body"].read()
    assert set(json.loads(body)["pending"]) >= {"media/first.mp3", "feed.xml"}


def test_prune_never_deletes_a_pending_name_without_our_hash(
    build: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    client.put_object(Bucket=target.bucket, Key="show/media/foreign.mp3", Body=b"not ours")
    client.put_object(Bucket=target.bucket, Key="show/media/ours.mp3", Body=b"ours",
                      Metadata={"sha256": "0" * 64})  # fmt: skip
    record = Record({}, frozenset({"media/foreign.mp3", "media/ours.mp3"}))
    client.put_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}", Body=record.body())
    report = publish(_manifest(build), client, target, prune=True)
    assert report.deleted == ("media/ours.mp3",)
    assert _head(f"{target.base_url()}/media/foreign.mp3").status == 200


def test_unfinished_multipart_upload_of_a_stopped_run_is_aborted(
    build: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    key = "show/media/first.mp3"
    client.create_multipart_upload(Bucket=target.bucket, Key=key)
    record = Record({}, frozenset({"media/first.mp3"}))
    client.put_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}", Body=record.body())
    publish(_manifest(build), client, target)
    left = client.list_multipart_uploads(Bucket=target.bucket, Prefix="show/").get("Uploads", [])
    assert [u["Key"] for u in left] == []


def test_store_that_never_answers_gives_one_clear_line(
    build: Path, seaweed: LocalStore, s3_target: tuple[Any, Target], proxy: FaultProxy
) -> None:
    client, through = _through(seaweed, s3_target[1], proxy, max_attempts=2)
    proxy.inject("reset", times=100)
    with pytest.raises(StoreError, match="run publish again") as caught:
        publish(_manifest(build), client, through)
    assert seaweed.secret_key not in str(caught.value)

