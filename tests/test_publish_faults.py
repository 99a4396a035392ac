"""Publishing through a faulty network to a real SeaweedFS: retries, resume, a safe feed."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from mediafeed.episodes import render_episode_file
from mediafeed.errors import StoreError
from mediafeed.media.probe import probe
from mediafeed.model import Manifest
from mediafeed.store import upload
from mediafeed.store.local import LocalStore
from mediafeed.store.publish import publish
from mediafeed.store.record import CLAIMS_KEY, RECORD_KEY, Record
from mediafeed.store.target import Target, make_client
from tests import mediafactory
from tests.conftest import S3Server, publish_table
from tests.faultproxy import FaultProxy
from tests.showmaker import build_object

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


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A build folder: a real MP3, its page and the feed."""
    root = tmp_path / "feed"
    mediafactory.mp3_cbr(root / "media", name="first.mp3")
    build_object(root, "episodes/first/index.html", b"<!doctype html><title>first</title>")
    build_object(root, "feed.xml", FEED_V1)
    return root


def _manifest(root: Path, *keys: str) -> Manifest:
    keys = keys or ("media/first.mp3", "episodes/first/index.html", "feed.xml")
    return Manifest(tuple(build_object(root, key) for key in keys))


@pytest.fixture
def proxy(seaweed: LocalStore) -> Iterator[FaultProxy]:
    with FaultProxy(seaweed.endpoint_url, lifetime=120, stall=10) as running:
        yield running


@pytest.fixture
def faulty(
    seaweed: LocalStore, s3_target: tuple[Any, Target], proxy: FaultProxy
) -> tuple[Any, Target]:
    """A client that writes through the proxy (short read timeout); anonymous reads and the
    public URL still go straight to the store."""
    return _through(seaweed, s3_target[1], proxy, read_timeout=1.5)


@pytest.fixture
def any_proxy(any_store: S3Server) -> Iterator[FaultProxy]:
    with FaultProxy(any_store.endpoint_url, lifetime=120, stall=10) as running:
        yield running


@pytest.fixture
def any_faulty(
    any_store: S3Server, any_target: tuple[Any, Target], any_proxy: FaultProxy
) -> tuple[Any, Target]:
    """`faulty` on each S3 implementation the suite runs."""
    return _through(any_store, any_target[1], any_proxy, read_timeout=1.5)


def _through(
    store: LocalStore | S3Server, target: Target, proxy: FaultProxy, **options: Any
) -> tuple[Any, Target]:
    through = replace(target, endpoint_url=proxy.endpoint_url)
    credentials = (store.access_key, store.secret_key)
    return make_client(through, credentials=credentials, **options), through


def _assert_published(target: Target, manifest: Manifest) -> None:
    for obj in manifest.objects:
        response = _head(f"{target.base_url()}/{obj.key}")
        answer = (response.status, response.getheader("Content-Length"))
        assert answer == (200, str(obj.size)), obj.key


@pytest.mark.parametrize("kind", ["reset", "500", "503"])
def test_failed_requests_are_retried_until_everything_lands(
    build: Path, any_faulty: tuple[Any, Target], any_proxy: FaultProxy, kind: str
) -> None:
    client, target = any_faulty
    any_proxy.inject(kind, times=2, method="PUT")
    publish(_manifest(build), client, target)
    assert len(any_proxy.outcomes(kind)) == 2
    _assert_published(target, _manifest(build))


def test_connection_dropped_mid_body_is_sent_again(
    tmp_path: Path, faulty: tuple[Any, Target], proxy: FaultProxy
) -> None:
    client, target = faulty
    data = os.urandom(300_000)
    manifest = Manifest((build_object(tmp_path, "media/big.bin", data),))
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
    tmp_path: Path,
    any_faulty: tuple[Any, Target],
    any_proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, target = any_faulty
    monkeypatch.setattr(upload, "MULTIPART_BYTES", 16 * 1024 * 1024)
    data = os.urandom(17 * 1024 * 1024)
    manifest = Manifest((build_object(tmp_path, "media/large.bin", data),))
    any_proxy.inject("503", times=2, method="PUT", path="partNumber=2")
    any_proxy.inject("reset", times=1, method="PUT", path="partNumber=1")
    publish(manifest, client, target)
    assert len(any_proxy.outcomes("503")) == 2 and len(any_proxy.outcomes("reset")) == 1
    assert _get(f"{target.base_url()}/media/large.bin") == data


def test_lasting_failure_keeps_the_old_feed_and_a_rerun_sends_only_what_is_missing(
    build: Path, any_store: S3Server, any_target: tuple[Any, Target], any_proxy: FaultProxy
) -> None:
    client, target = _through(any_store, any_target[1], any_proxy, max_attempts=2)
    publish(_manifest(build), client, target)
    mediafactory.mp3_vbr(build / "media", name="second.mp3")
    build_object(build, "episodes/first/index.html", b"<!doctype html><title>edited</title>")
    build_object(build, "feed.xml", FEED_V2)
    keys = ("media/first.mp3", "media/second.mp3", "episodes/first/index.html", "feed.xml")
    any_proxy.inject("503", times=100, method="PUT", path="index.html")
    with pytest.raises(StoreError, match="SlowDown.*run publish again"):
        publish(_manifest(build, *keys), client, target)
    assert _get(f"{target.base_url()}/feed.xml") == FEED_V1
    any_proxy.clear()
    again = publish(_manifest(build, *keys), client, target)
    assert set(again.uploaded) == {"episodes/first/index.html", "feed.xml"}
    assert _get(f"{target.base_url()}/feed.xml") == FEED_V2


def test_names_are_claimed_before_they_are_sent(
    build: Path, seaweed: LocalStore, s3_target: tuple[Any, Target], proxy: FaultProxy
) -> None:
    admin, _ = s3_target
    client, target = _through(seaweed, s3_target[1], proxy, max_attempts=2)
    proxy.inject("503", times=100, method="PUT", path="feed.xml")
    with pytest.raises(StoreError):
        publish(_manifest(build), client, target)
    body = admin.get_object(Bucket=target.bucket, Key=f"show/{CLAIMS_KEY}")["Body"].read()
    assert set(json.loads(body)["pending"]) >= {"media/first.mp3", "feed.xml"}


def test_a_finished_run_leaves_no_claims_behind(
    build: Path, seaweed: LocalStore, s3_target: tuple[Any, Target], proxy: FaultProxy
) -> None:
    admin, target = s3_target
    client, through = _through(seaweed, target, proxy, max_attempts=2)
    proxy.inject("503", times=100, method="PUT", path="feed.xml")
    with pytest.raises(StoreError):
        publish(_manifest(build), client, through)
    publish(_manifest(build), admin, target)
    held = admin.list_objects_v2(Bucket=target.bucket, Prefix=f"show/{CLAIMS_KEY}")
    assert held.get("KeyCount", 0) == 0
    body = admin.get_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")["Body"].read()
    assert json.loads(body)["pending"] == [] and "feed.xml" in json.loads(body)["objects"]


def test_prune_never_deletes_a_pending_name_without_our_hash(
    build: Path, any_target: tuple[Any, Target]
) -> None:
    client, target = any_target
    client.put_object(Bucket=target.bucket, Key="show/media/foreign.mp3", Body=b"not ours")
    client.put_object(
        Bucket=target.bucket, Key="show/media/ours.mp3", Body=b"ours", Metadata={"sha256": "0" * 64}
    )
    record = Record({}, frozenset({"media/foreign.mp3", "media/ours.mp3"}))
    client.put_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}", Body=record.body())
    report = publish(_manifest(build), client, target, prune=True)
    assert report.deleted == ("media/ours.mp3",)
    assert _head(f"{target.base_url()}/media/foreign.mp3").status == 200


def test_unfinished_multipart_upload_of_a_stopped_run_is_aborted(
    build: Path, any_target: tuple[Any, Target]
) -> None:
    client, target = any_target
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


# ---------------------------------------------------------------------------------------
# `mediafeed publish` killed at random moments: the public feed is always whole
# ---------------------------------------------------------------------------------------

TRIALS = 6
NOW = "2024-06-01T12:00:00+00:00"


def _add_episode(show: Path, source: Path, number: int) -> str:
    slug = f"aflevering-{number}"
    media = show / "media" / f"{slug}.mp3"
    os.link(source, media)
    info = probe(media)
    fields = {
        "title": f"Aflevering {number}",
        "guid": f"urn:test:{slug}",
        "published": dt.datetime(2024, 1, number, 9, tzinfo=dt.UTC),
        "audio": f"media/{slug}.mp3",
        "duration": round(info.duration, 3),
        "length": info.length,
        "mime_type": info.mime_type,
        "sha256": info.sha256,
    }
    (show / "episodes" / f"{slug}.md").write_text(
        render_episode_file(fields, "Gesprek."), encoding="utf-8"
    )
    return slug


def _enclosures_answer(feed: bytes) -> None:
    """Every enclosure in the feed a listener sees answers HEAD 200 with its stated length."""
    for enclosure in ElementTree.fromstring(feed).iter("enclosure"):
        response = _head(enclosure.attrib["url"])
        assert (response.status, response.getheader("Content-Length")) == (
            200,
            enclosure.attrib["length"],
        ), enclosure.attrib["url"]


def _holdings(admin: Any, target: Target) -> dict[str, tuple[int, str | None]]:
    """Size and our sha256 of every object under the prefix, by name."""
    held = {}
    for item in admin.list_objects_v2(Bucket=target.bucket, Prefix="show/").get("Contents", []):
        meta = admin.head_object(Bucket=target.bucket, Key=item["Key"])["Metadata"]
        held[item["Key"].removeprefix("show/")] = (item["Size"], meta.get("sha256"))
    return held


@pytest.mark.slow
def test_publish_killed_at_random_moments_keeps_the_feed_whole_and_converges(
    show_dir: Path, tmp_path: Path, seaweed: LocalStore, s3_target: tuple[Any, Target]
) -> None:
    admin, target = s3_target
    rng = random.Random(20211102)
    source = mediafactory.mp3_cbr(tmp_path, "opname.mp3", seconds=30.0)
    admin.put_object(Bucket=target.bucket, Key="show/media/foreign.mp3", Body=b"not ours")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": seaweed.access_key,
        "AWS_SECRET_ACCESS_KEY": seaweed.secret_key,
        "MEDIAFEED_NOW": NOW,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "MEDIAFEED_STATE_DIR": str(tmp_path / "state"),
    }
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    slugs = [_add_episode(show_dir, source, n) for n in (1, 2)]
    feed_url = f"{target.base_url()}/feed.xml"
    old_feed: bytes | None = None
    window = 4.0  # seconds from the first request to the end of a run, once measured
    finished: list[float] = []

    with FaultProxy(seaweed.endpoint_url, lifetime=110, latency=0.03, rate=200_000) as proxy:
        with (show_dir / "mediafeed.toml").open("a", encoding="utf-8") as handle:
            handle.write(publish_table(target).replace(seaweed.endpoint_url, proxy.endpoint_url, 1))
        for trial in range(TRIALS):
            prune = trial % 2 == 0 and trial > 0
            if prune:
                dropped = slugs.pop(0)
                (show_dir / "episodes" / f"{dropped}.md").unlink()
            elif trial:
                slugs.append(_add_episode(show_dir, source, len(slugs) + trial + 1))
            command = [
                sys.executable,
                "-m",
                "mediafeed",
                "-C",
                str(show_dir),
                "publish",
                "--force",
                "--json",
                *(["--prune"] if prune else []),
            ]

            seen = len(proxy.seen)
            killed = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + 30
            while len(proxy.seen) == seen and killed.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            first_request = time.monotonic()
            try:
                killed.wait(rng.uniform(0, window))
                # Finished before the kill came: aim later kills inside the longest such run.
                finished.append(time.monotonic() - first_request)
                window = max(finished)
            except subprocess.TimeoutExpired:
                killed.kill()
                killed.wait()
            after_kill = _get_or_none(feed_url)
            if after_kill is not None:
                _enclosures_answer(after_kill)
            landed = _holdings(admin, target)

            rerun = subprocess.run(command, env=env, capture_output=True, timeout=60)
            assert rerun.returncode == 0, rerun.stderr.decode()
            report = json.loads(rerun.stdout)
            new_feed = (show_dir / "feed" / "feed.xml").read_bytes()
            assert after_kill in (old_feed, new_feed), f"trial {trial}: a third feed"
            assert _get(feed_url) == new_feed
            _enclosures_answer(new_feed)
            # Only what had not landed is sent again.
            wanted = {s["key"]: (s["size"], s["sha256"]) for s in report["plan"]}
            resent = [key for key in report["uploaded"] if landed.get(key) == wanted[key]]
            assert resent == [], f"trial {trial}: sent twice"

            again = subprocess.run(
                [*command, "--dry-run"], env=env, capture_output=True, timeout=60
            )
            plan_after = json.loads(again.stdout)
            assert (plan_after["uploaded"], plan_after["deleted"]) == ([], [])
            if prune:
                held = admin.list_objects_v2(Bucket=target.bucket, Prefix="show/media/")
                names = [item["Key"] for item in held["Contents"]]
                assert not [n for n in names if n.startswith(f"show/media/{dropped}")]
                assert len(names) == len(slugs) + 1
            assert _head(f"{target.base_url()}/media/foreign.mp3").status == 200
            old_feed = new_feed


def _get_or_none(url: str) -> bytes | None:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("GET", parts.path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return body if response.status == 200 else None


# The child reports VmHWM, its own high-water mark: ru_maxrss would also count the RSS of
# the pytest worker it was spawned from (Linux carries it over fork and exec).
_UPLOAD_ONE = """
import re, sys
from pathlib import Path
from mediafeed.model import Manifest
from mediafeed.store import upload
from mediafeed.store.publish import publish
from mediafeed.store.target import Target, make_client

root, bucket, endpoint, access, secret = sys.argv[1:]
target = Target(bucket=bucket, prefix="show", endpoint_url=endpoint, region="us-east-1")
from mediafeed.manifest import sha256_file
from mediafeed.model import OutputObject
path = Path(root) / "media/large.bin"
obj = OutputObject("media/large.bin", str(path), path.stat().st_size, sha256_file(path),
                   "application/octet-stream", "no-cache")
publish(Manifest((obj,)), make_client(target, credentials=(access, secret)), target)
print(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1])
"""


@pytest.mark.slow
def test_memory_stays_bounded_whatever_the_file_size(
    tmp_path: Path, seaweed: LocalStore, s3_target: tuple[Any, Target]
) -> None:
    admin, target = s3_target
    # Larger than the bound, so reading the whole file into memory would show; sparse,
    # so making it costs nothing.
    size = 320 * 1024 * 1024
    (tmp_path / "media").mkdir()
    with (tmp_path / "media" / "large.bin").open("wb") as out:
        out.write(os.urandom(1 << 20))
        out.truncate(size)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _UPLOAD_ONE,
            str(tmp_path),
            target.bucket,
            seaweed.endpoint_url,
            seaweed.access_key,
            seaweed.secret_key,
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    peak_mb = int(done.stdout.split()[-1]) / 1024  # KiB
    head = admin.head_object(Bucket=target.bucket, Key="show/media/large.bin")
    assert head["ContentLength"] == size
    # The bound the project promises; parts in flight (16 MiB x 6) plus the interpreter stay
    # far below it, and a whole-file read (320 MB) would break it.
    assert peak_mb < 300, f"peak RSS {peak_mb:.0f} MB for a {size >> 20} MB upload"


# ---------------------------------------------------------------------------------------
# `mediafeed publish` from cron and under Ctrl-C: what it says while and when it stops
# ---------------------------------------------------------------------------------------


@pytest.fixture
def stalling_show(
    show_dir: Path, tmp_path: Path, seaweed: LocalStore, s3_target: tuple[Any, Target]
) -> Iterator[tuple[Path, Target, FaultProxy, dict[str, str]]]:
    """A show published once through a proxy that stalls for 6 s when told to, with one
    more episode added since, and the environment `mediafeed` runs in."""
    _, target = s3_target
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": seaweed.access_key,
        "AWS_SECRET_ACCESS_KEY": seaweed.secret_key,
        "MEDIAFEED_NOW": NOW,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "MEDIAFEED_STATE_DIR": str(tmp_path / "state"),
    }
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    source = mediafactory.mp3_cbr(tmp_path, "opname.mp3")
    _add_episode(show_dir, source, 1)
    with FaultProxy(seaweed.endpoint_url, lifetime=60, stall=6) as proxy:
        with (show_dir / "mediafeed.toml").open("a", encoding="utf-8") as handle:
            handle.write(publish_table(target).replace(seaweed.endpoint_url, proxy.endpoint_url, 1))
        done = subprocess.run(_publish_command(show_dir), env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        _add_episode(show_dir, source, 2)
        yield show_dir, target, proxy, env


def _publish_command(show: Path) -> list[str]:
    return [sys.executable, "-m", "mediafeed", "-C", str(show), "publish", "--force"]


def _feed_title(target: Target) -> list[str]:
    feed = ElementTree.fromstring(_get(f"{target.base_url()}/feed.xml"))
    return [item.findtext("title") or "" for item in feed.iter("item")]


def test_piped_output_tells_each_upload_as_it_lands(
    stalling_show: tuple[Path, Target, FaultProxy, dict[str, str]],
) -> None:
    show, target, proxy, env = stalling_show
    proxy.inject("stall", method="PUT", path="/feed.xml")
    running = subprocess.Popen(
        _publish_command(show), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert running.stdout is not None
    first = running.stdout.readline()
    assert first.startswith("Uploaded media/aflevering-2"), first
    assert running.poll() is None and _feed_title(target) == ["Aflevering 1"]
    running.send_signal(signal.SIGINT)
    running.communicate(timeout=30)


def test_ctrl_c_says_the_old_feed_is_live_and_a_rerun_finishes(
    stalling_show: tuple[Path, Target, FaultProxy, dict[str, str]],
) -> None:
    show, target, proxy, env = stalling_show
    proxy.inject("stall", method="PUT", path="/media/aflevering-2")
    running = subprocess.Popen(
        _publish_command(show), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while not proxy.outcomes("stall"):
        assert time.monotonic() < deadline and running.poll() is None
        time.sleep(0.02)
    running.send_signal(signal.SIGINT)
    _, errors = running.communicate(timeout=30)
    assert running.returncode == 130
    assert errors.strip().splitlines() == [
        "Stopped: the old feed is still live; run the same command again to finish the job."
    ]
    assert _feed_title(target) == ["Aflevering 1"]
    again = subprocess.run(_publish_command(show), env=env, capture_output=True, timeout=60)
    assert again.returncode == 0, again.stderr.decode()
    assert _feed_title(target) == ["Aflevering 2", "Aflevering 1"]
