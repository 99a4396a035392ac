"""Publishing to a real SeaweedFS: content types, changed-only uploads, order, prune, errors."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import urllib.parse
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError

from mediafeed.config import load_show
from mediafeed.errors import ConfigError, StoreError
from mediafeed.manifest import CACHE_FEED, CACHE_MEDIA
from mediafeed.model import Manifest, PublishSettings
from mediafeed.store import upload
from mediafeed.store.local import LocalStore
from mediafeed.store.publish import plan, publish
from mediafeed.store.record import CLAIMS_KEY, RECORD_KEY
from mediafeed.store.target import Target, make_client
from tests import mediafactory
from tests.showmaker import build_object


def _http(method: str, url: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """An anonymous request, as a podcast app makes it."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request(method, parts.path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.fixture
def show(tmp_path: Path) -> Path:
    """A build folder: one real MP3, one episode page and the feed."""
    root = tmp_path / "feed"
    mediafactory.mp3_cbr(root / "media", name="first.mp3")
    build_object(root, "episodes/first/index.html", b"<!doctype html><title>first</title>")
    build_object(root, "feed.xml", b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>")
    return root


def _manifest(root: Path, *keys: str) -> Manifest:
    keys = keys or ("media/first.mp3", "episodes/first/index.html", "feed.xml")
    return Manifest(tuple(build_object(root, key) for key in keys))


def _keys(client: Any, target: Target) -> set[str]:
    answer = client.list_objects_v2(Bucket=target.bucket)
    return {item["Key"] for item in answer.get("Contents", [])}


def test_objects_are_served_anonymously_with_type_and_cache_lifetime(
    show: Path, any_target: tuple[Any, Target]
) -> None:
    client, target = any_target
    report = publish(_manifest(show), client, target)
    media = _http("HEAD", f"{target.base_url()}/media/first.mp3")
    feed = _http("HEAD", report.feed_url)
    assert (media.status, media.getheader("Content-Type")) == (200, "audio/mpeg")
    assert media.getheader("Cache-Control") == CACHE_MEDIA
    assert media.getheader("Content-Length") == str((show / "media/first.mp3").stat().st_size)
    assert (feed.getheader("Content-Type"), feed.getheader("Cache-Control")) == (
        "application/rss+xml; charset=utf-8",
        CACHE_FEED,
    )


def test_json_is_served_as_chapters_only_for_the_chapters_file(
    tmp_path: Path, any_target: tuple[Any, Target]
) -> None:
    """oEmbed consumers and transcript readers are sent plain JSON, not chapters."""
    client, target = any_target
    keys = ("episodes/first/chapters.json", "episodes/first/oembed.json")
    for key in keys:
        build_object(tmp_path, key, b"{}")
    publish(_manifest(tmp_path, *keys), client, target)
    types = [_http("HEAD", f"{target.base_url()}/{key}").getheader("Content-Type") for key in keys]
    assert types == ["application/json+chapters; charset=utf-8", "application/json; charset=utf-8"]


def _served_as(target: Target, key: str) -> str | None:
    return _http("HEAD", f"{target.base_url()}/{key}").getheader("Content-Type")


def test_an_object_whose_content_type_changed_is_sent_again(
    tmp_path: Path, any_target: tuple[Any, Target]
) -> None:
    """The same bytes, now served as another type (a newer version's table): sent again."""
    client, target = any_target
    key = "episodes/first/oembed.json"
    before = Manifest((build_object(tmp_path, key, b"{}"),))
    publish(before, client, target)
    now = Manifest((replace(before.objects[0], content_type="application/json+oembed"),))
    assert publish(now, client, target).uploaded == (key,)
    assert _served_as(target, key) == "application/json+oembed"
    assert publish(now, client, target).uploaded == ()


def test_an_older_record_is_checked_by_head_for_what_each_object_is_served_as(
    tmp_path: Path, any_target: tuple[Any, Target]
) -> None:
    """A record written before it noted content types: HEAD says what the store serves,
    and only what it serves wrongly is sent again."""
    client, target = any_target
    keys = ("episodes/first/chapters.json", "episodes/first/oembed.json")
    manifest = Manifest(tuple(build_object(tmp_path, key, b"{}") for key in keys))
    publish(manifest, client, target)
    wrong = "application/json+chapters; charset=utf-8"  # as the oEmbed went out before
    stored = f"show/{keys[1]}"
    sha256 = manifest.objects[1].sha256
    client.copy_object(Bucket=target.bucket, Key=stored, CopySource={"Bucket": target.bucket,
                       "Key": stored}, ContentType=wrong, Metadata={"sha256": sha256},
                       MetadataDirective="REPLACE")  # fmt: skip
    record = json.loads(
        client.get_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")["Body"].read()
    )
    for held in record["objects"].values():
        del held["served"]
    client.put_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}", Body=json.dumps(record))
    assert _served_as(target, keys[1]) == wrong
    assert publish(manifest, client, target).uploaded == (keys[1],)
    assert _served_as(target, keys[1]) == "application/json; charset=utf-8"


def test_media_answers_range_requests(show: Path, any_target: tuple[Any, Target]) -> None:
    client, target = any_target
    publish(_manifest(show), client, target)
    response = _http("GET", f"{target.base_url()}/media/first.mp3", {"Range": "bytes=0-99"})
    assert response.status == 206
    assert response.getheader("Content-Length") == "100"


def test_report_names_the_feed_url(show: Path, s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    report = publish(_manifest(show), client, target)
    assert report.feed_url == f"{target.public_url}/feed.xml"
    assert sorted(report.uploaded) == ["episodes/first/index.html", "feed.xml", "media/first.mp3"]


def test_second_publish_uploads_nothing(show: Path, any_target: tuple[Any, Target]) -> None:
    client, target = any_target
    publish(_manifest(show), client, target)
    again = publish(_manifest(show), client, target)
    assert (again.uploaded, again.bytes_sent, len(again.unchanged)) == ((), 0, 3)


def test_changed_file_is_uploaded_again(show: Path, any_target: tuple[Any, Target]) -> None:
    client, target = any_target
    publish(_manifest(show), client, target)
    (show / "episodes/first/index.html").write_bytes(b"<!doctype html><title>edited</title>")
    again = publish(_manifest(show), client, target)
    assert again.uploaded == ("episodes/first/index.html",)
    body = client.get_object(Bucket=target.bucket, Key="show/episodes/first/index.html")["Body"]
    assert body.read() == b"<!doctype html><title>edited</title>"


def test_same_size_change_is_found_by_hash(show: Path, any_target: tuple[Any, Target]) -> None:
    client, target = any_target
    publish(_manifest(show), client, target)
    (show / "episodes/first/index.html").write_bytes(b"<!doctype html><title>FIRST</title>")
    assert publish(_manifest(show), client, target).uploaded == ("episodes/first/index.html",)


def test_lost_record_does_not_resend_what_the_store_holds(
    show: Path, any_target: tuple[Any, Target]
) -> None:
    client, target = any_target
    publish(_manifest(show), client, target)
    client.delete_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")
    assert plan(_manifest(show), client, target).uploads == ()


def test_feed_is_sent_after_every_other_object_is_stored(
    show: Path, any_target: tuple[Any, Target]
) -> None:
    client, target = any_target
    events: list[tuple[str, str]] = []

    def started(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["object_key"] = params["Key"]
        events.append(("start", params["Key"]))

    def stored(context: dict[str, Any], **_: Any) -> None:
        events.append(("stored", context["object_key"]))

    client.meta.events.register("before-parameter-build.s3.PutObject", started)
    client.meta.events.register("after-call.s3.PutObject", stored)
    publish(_manifest(show), client, target)
    feed_start = events.index(("start", "show/feed.xml"))
    stored_before = {key for kind, key in events[:feed_start] if kind == "stored"}
    stored_before -= {f"show/{RECORD_KEY}", f"show/{CLAIMS_KEY}"}
    assert stored_before == {"show/media/first.mp3", "show/episodes/first/index.html"}


def test_record_lists_every_published_object(show: Path, s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    record = json.loads(
        client.get_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")["Body"].read()
    )
    mp3 = show / "media/first.mp3"
    assert record["objects"]["media/first.mp3"]["size"] == mp3.stat().st_size
    assert set(record["objects"]) == {"media/first.mp3", "episodes/first/index.html", "feed.xml"}


def test_prune_deletes_only_our_own_stale_objects(
    show: Path, any_target: tuple[Any, Target]
) -> None:
    client, target = any_target
    publish(_manifest(show), client, target)
    client.put_object(Bucket=target.bucket, Key="show/media/foreign.mp3", Body=b"not ours")
    report = publish(_manifest(show, "media/first.mp3", "feed.xml"), client, target, prune=True)
    assert report.deleted == ("episodes/first/index.html",)
    assert _keys(client, target) == {
        "show/media/first.mp3",
        "show/media/foreign.mp3",
        "show/feed.xml",
        f"show/{RECORD_KEY}",
    }


def test_without_prune_stale_objects_stay_owned(show: Path, s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    smaller = _manifest(show, "media/first.mp3", "feed.xml")
    assert publish(smaller, client, target).deleted == ()
    assert publish(smaller, client, target, prune=True).deleted == ("episodes/first/index.html",)


def test_dry_run_changes_nothing(show: Path, s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    report = publish(_manifest(show), client, target, dry_run=True)
    assert len(report.uploaded) == 3
    assert _keys(client, target) == set()


def test_dry_run_prune_deletes_nothing(show: Path, s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    before = client.get_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")["Body"].read()
    smaller = _manifest(show, "feed.xml")
    report = publish(smaller, client, target, dry_run=True, prune=True)
    assert len(report.deleted) == 2
    assert len(_keys(client, target)) == 4
    after = client.get_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")["Body"].read()
    assert after == before


def test_missing_bucket_is_named(show: Path, any_target: tuple[Any, Target]) -> None:
    client, target = any_target
    with pytest.raises(StoreError, match="bucket 'no-such-bucket' does not exist"):
        publish(_manifest(show), client, replace(target, bucket="no-such-bucket"))


def test_wrong_credentials_fail_without_showing_the_secret(
    show: Path, seaweed: LocalStore, s3_target: tuple[Any, Target]
) -> None:
    _, target = s3_target
    wrong = "wrong-" + seaweed.secret_key
    client = make_client(target, credentials=(seaweed.access_key, wrong))
    with pytest.raises(StoreError, match="access denied") as caught:
        publish(_manifest(show), client, target)
    assert wrong not in str(caught.value)
    assert seaweed.secret_key not in str(caught.value)


@pytest.mark.parametrize(
    "key",
    [
        "../escape.mp3",
        "/media/abs.mp3",
        "media/../../up.mp3",
        "media/caf\u00e9.mp3",
        "media/new\nline.mp3",
        "media//twice.mp3",
        "./media/here.mp3",
        "media/./here.mp3",
        "media/..",
        "media/",
        "media\\windows.mp3",
        "",
        ".mediafeed/manifest.json",
    ],
)
def test_path_trick_keys_are_refused_before_any_upload(
    show: Path, s3_target: tuple[Any, Target], key: str
) -> None:
    client, target = s3_target
    trick = replace(build_object(show, "feed.xml"), key=key)
    with pytest.raises(StoreError):
        publish(Manifest((*_manifest(show).objects, trick)), client, target)
    assert _keys(client, target) == set()


def test_large_file_goes_multipart_and_round_trips(
    tmp_path: Path, any_target: tuple[Any, Target], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, target = any_target
    monkeypatch.setattr(upload, "MULTIPART_BYTES", 16 * 1024 * 1024)
    data = os.urandom(20 * 1024 * 1024 + 123)
    manifest = Manifest((build_object(tmp_path, "media/large.bin", data),))
    uploads: list[str] = []
    client.meta.events.register(
        "before-parameter-build.s3.CreateMultipartUpload",
        lambda params, **_: uploads.append(params["Key"]),
    )
    report = publish(manifest, client, target)
    head = _http("HEAD", f"{target.base_url()}/media/large.bin")
    assert uploads == ["show/media/large.bin"]
    assert head.getheader("Content-Length") == str(len(data))
    assert report.bytes_sent == len(data)
    got = client.get_object(Bucket=target.bucket, Key="show/media/large.bin")["Body"].read()
    assert got == data


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def test_failure_mid_upload_leaves_the_public_feed_alone(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    old_feed = (show / "feed.xml").read_bytes()
    (show / "episodes/first/index.html").write_bytes(b"<!doctype html><title>second</title>")
    (show / "feed.xml").write_bytes(old_feed.replace(b"<channel/>", b"<channel><item/></channel>"))
    error = b"<Error><Code>BadDigest</Code><Message>digest mismatch</Message></Error>"

    def refuse_pages(request: Any, **_: Any) -> AWSResponse | None:
        if request.method == "PUT" and request.url.endswith("index.html"):
            return AWSResponse(request.url, 400, {}, _Body(error))
        return None

    client.meta.events.register("before-send.s3.PutObject", refuse_pages)
    with pytest.raises(StoreError, match="BadDigest"):
        publish(_manifest(show), client, target)
    feed = client.get_object(Bucket=target.bucket, Key="show/feed.xml")["Body"].read()
    assert feed == old_feed


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def start(self, total_bytes: int, total_files: int) -> None:
        self.calls.append(("start", total_bytes, total_files))

    def advance(self, nbytes: int) -> None:
        self.calls.append(("advance", nbytes, 0))

    def landed(self, name: str) -> None:
        pass

    def done(self) -> None:
        self.calls.append(("done", 0, 0))


def test_progress_hears_every_byte(show: Path, s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    manifest = _manifest(show)
    recorder = _Recorder()
    publish(manifest, client, target, progress=recorder)
    total = sum(o.size for o in manifest.objects)
    advanced = sum(n for kind, n, _ in recorder.calls if kind == "advance")
    assert recorder.calls[0] == ("start", total, 3)
    assert (advanced, recorder.calls[-1][0]) == (total, "done")


def _count_calls(client: Any) -> dict[str, int]:
    calls: dict[str, int] = {}

    def count(model: Any, **_: Any) -> None:
        calls[model.name] = calls.get(model.name, 0) + 1

    client.meta.events.register("before-call.s3", count)
    return calls


def test_plan_with_a_consistent_record_reads_it_and_lists_once(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    calls = _count_calls(client)
    assert plan(_manifest(show), client, target).uploads == ()
    assert calls == {"GetObject": 2, "ListObjectsV2": 1}  # the record and the claims


def test_a_trusted_record_plans_a_change_without_listing_the_store(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    build_object(show, "episodes/second/index.html", b"<!doctype html><title>second</title>")
    calls = _count_calls(client)
    report = publish(
        _manifest(show, "episodes/second/index.html", "feed.xml"), client, target, trust_record=True
    )
    assert report.uploaded == ("episodes/second/index.html",)
    assert "ListObjectsV2" not in calls


def _published_then_stopped(show: Path, client: Any, target: Target) -> None:
    """A publish, then a record as a run stopped before sending feed.xml leaves it."""
    publish(_manifest(show), client, target)
    record = json.loads(
        client.get_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")["Body"].read()
    )
    record["pending"] = ["feed.xml"]
    client.put_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}", Body=json.dumps(record))


def test_a_record_with_pending_names_is_not_trusted(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    _published_then_stopped(show, client, target)
    calls = _count_calls(client)
    plan(_manifest(show), client, target, trust_record=True)
    assert calls.get("ListObjectsV2") == 1


def test_rerun_after_a_stopped_run_asks_only_about_pending_names(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    _published_then_stopped(show, client, target)
    heads: list[str] = []
    client.meta.events.register(
        "before-parameter-build.s3.HeadObject", lambda params, **_: heads.append(params["Key"])
    )
    assert plan(_manifest(show), client, target).uploads == ()
    assert heads == ["show/feed.xml"]


def test_a_finished_publish_leaves_nothing_pending(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    body = client.get_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}")["Body"].read()
    assert json.loads(body)["pending"] == []


def test_unchanged_publish_does_not_rewrite_the_record(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    calls = _count_calls(client)
    publish(_manifest(show), client, target)
    assert "PutObject" not in calls


def test_plan_steps_carry_key_hash_size_type_and_cache_control(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    publish(_manifest(show, "media/first.mp3", "episodes/first/index.html"), client, target)
    (show / "episodes/first/index.html").write_bytes(b"<!doctype html><title>edited</title>")
    steps = {s.key: s for s in plan(_manifest(show), client, target).steps()}
    feed = build_object(show, "feed.xml")
    assert [
        steps[k].action for k in ("media/first.mp3", "episodes/first/index.html", "feed.xml")
    ] == ["unchanged", "changed", "new"]
    assert asdict(steps["feed.xml"]) == {
        "key": "feed.xml",
        "action": "new",
        "size": feed.size,
        "sha256": feed.sha256,
        "content_type": "application/rss+xml; charset=utf-8",
        "cache_control": CACHE_FEED,
    }


def test_stale_steps_say_delete_with_prune_and_keep_without(
    show: Path, s3_target: tuple[Any, Target]
) -> None:
    client, target = s3_target
    publish(_manifest(show), client, target)
    smaller = _manifest(show, "media/first.mp3", "feed.xml")
    kept = [s.action for s in plan(smaller, client, target).steps() if s.key.endswith(".html")]
    pruned = [
        s.action
        for s in plan(smaller, client, target, prune=True).steps()
        if s.key.endswith(".html")
    ]
    assert (kept, pruned) == (["keep"], ["delete"])


# ---------------------------------------------------------------------------------------
# The command: --dry-run prints the plan, --json is for scripts, no bar outside a terminal
# ---------------------------------------------------------------------------------------


def _cli(show_dir: Path, *args: str) -> Any:
    from click.testing import CliRunner

    from mediafeed.cli import cli

    result = CliRunner().invoke(cli, ["-C", str(show_dir), "publish", "--force", *args])
    assert result.exit_code == 0, result.output
    return result


def test_dry_run_prints_each_planned_object_and_sends_nothing(
    published_show: tuple[Path, Target], s3_target: tuple[Any, Target]
) -> None:
    show_dir, target = published_show
    client, _ = s3_target
    output = _cli(show_dir, "--dry-run").output
    from tests.test_pipeline import ok

    ok(show_dir, "build")  # the feed the dry run described, now written
    feed_size = (show_dir / "feed" / "feed.xml").stat().st_size
    assert re.search(rf"^new +{feed_size / 1e6:.2f} MB  feed\.xml$", output, re.MULTILINE)
    assert _keys(client, target) == set()


def test_json_plan_is_machine_readable(published_show: tuple[Path, Target]) -> None:
    show_dir, _ = published_show
    _cli(show_dir)
    report = json.loads(_cli(show_dir, "--dry-run", "--json").stdout)
    feed = next(step for step in report["plan"] if step["key"] == "feed.xml")
    assert (report["uploaded"], feed["action"], feed["cache_control"]) == (
        [],
        "unchanged",
        CACHE_FEED,
    )


def _planned_bytes(show_dir: Path) -> tuple[int, int]:
    """The objects a dry run plans to send, and their bytes, from its --json plan."""
    plan = json.loads(_cli(show_dir, "--dry-run", "--json").stdout)["plan"]
    sizes = [step["size"] for step in plan if step["action"] in ("new", "changed")]
    return len(sizes), sum(sizes)


def test_a_dry_run_tells_the_bytes_it_would_send(published_show: tuple[Path, Target]) -> None:
    show_dir, _ = published_show
    objects, planned = _planned_bytes(show_dir)
    line = f"Would upload {objects} objects ({planned / 1e6:.1f} MB), 0 unchanged"
    assert line in _cli(show_dir, "--dry-run").output


def test_a_publish_tells_the_bytes_it_sent(published_show: tuple[Path, Target]) -> None:
    show_dir, _ = published_show
    objects, planned = _planned_bytes(show_dir)
    line = f"Uploaded {objects} objects ({planned / 1e6:.1f} MB), 0 unchanged"
    assert line in _cli(show_dir).output


def test_no_progress_bar_or_colour_codes_when_output_is_not_a_terminal(
    published_show: tuple[Path, Target],
) -> None:
    show_dir, _ = published_show
    result = _cli(show_dir)
    assert "\x1b[" not in result.output and "Uploading" not in result.output
    assert result.output.splitlines().count("Uploaded feed.xml") == 1


def test_progress_bar_shows_bytes_on_a_terminal() -> None:
    import io

    from rich.console import Console

    from mediafeed.progress import progress_bar

    screen = io.StringIO()
    with progress_bar(console=Console(file=screen, force_terminal=True, width=100)) as bar:
        bar.start(10_000_000, 2)
        bar.advance(5_000_000)
    assert "Uploading 2 files" in screen.getvalue() and "5.0/10.0 MB" in screen.getvalue()


@pytest.fixture
def lost_artwork(
    published_show: tuple[Path, Target], s3_target: tuple[Any, Target]
) -> tuple[Path, Target, str]:
    """A published show whose artwork was then deleted behind the record's back, as a
    hand edit of the bucket does; the name of the lost object."""
    show_dir, target = published_show
    client, _ = s3_target
    _cli(show_dir)
    lost = next(k for k in _keys(client, target) if k.startswith("show/images/"))
    client.delete_object(Bucket=target.bucket, Key=lost)
    return show_dir, target, lost.removeprefix("show/")


def _edit_description(show_dir: Path, text: str) -> None:
    config = show_dir / "mediafeed.toml"
    config.write_text(
        re.sub(r'(?m)^description = ".*"$', f'description = "{text}"', config.read_text())
    )


def test_an_unchanged_publish_restores_what_went_missing_behind_the_record(
    lost_artwork: tuple[Path, Target, str],
) -> None:
    show_dir, target, lost = lost_artwork
    assert f"Uploaded {lost}" in _cli(show_dir).output
    assert _http("HEAD", f"{target.base_url()}/{lost}").status == 200


def test_a_change_trusts_the_record_and_verify_lists_the_store(
    lost_artwork: tuple[Path, Target, str],
) -> None:
    show_dir, target, lost = lost_artwork
    _edit_description(show_dir, "Een nieuwe beschrijving.")
    assert f"Uploaded {lost}" not in _cli(show_dir).output
    _edit_description(show_dir, "Nog een beschrijving.")
    assert f"Uploaded {lost}" in _cli(show_dir, "--verify").output
    assert _http("HEAD", f"{target.base_url()}/{lost}").status == 200


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the show folder with its bytes and modification time."""
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "lock"
    }


def test_dry_run_writes_nothing_into_the_show(
    published_show: tuple[Path, Target], s3_target: tuple[Any, Target]
) -> None:
    show_dir, target = published_show
    client, _ = s3_target
    _cli(show_dir)
    _edit_description(show_dir, "Een nieuwe beschrijving.")
    before = _snapshot(show_dir)
    output = _cli(show_dir, "--dry-run").output
    assert re.search(r"^changed .*  feed\.xml$", output, re.MULTILINE), output
    assert _snapshot(show_dir) == before
    assert "Uploaded feed.xml" in _cli(show_dir).output


def test_dry_run_does_not_start_the_embedded_store(show_dir: Path, private_state_dir: Path) -> None:
    output = _cli(show_dir, "--dry-run").output
    assert not private_state_dir.exists()
    assert re.search(r"^new .*  feed\.xml$", output, re.MULTILINE), output
    assert "local store is not running" in output
    assert sorted(p.name for p in show_dir.iterdir()) == [
        "artwork.jpg",
        "episodes",
        "media",
        "mediafeed.toml",
    ]


# ---------------------------------------------------------------------------------------
# Request checksums: botocore's default since 1.36 breaks several S3-compatible stores
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (None, "when_supported"),
        ("https://s3.eu-central-1.amazonaws.com", "when_supported"),
        ("https://0123abcd.r2.cloudflarestorage.com", "when_required"),
        ("https://s3.eu-central-003.backblazeb2.com", "when_required"),
        ("http://127.0.0.1:3900", "when_required"),
        ("https://evil-amazonaws.com.example.org", "when_required"),
    ],
)
def test_checksum_default_follows_the_endpoint(endpoint: str | None, expected: str) -> None:
    settings = PublishSettings(target="s3://b/p", endpoint_url=endpoint, public_url="https://p")
    config = make_client(Target.from_settings(settings)).meta.config
    assert (config.request_checksum_calculation, config.response_checksum_validation) == (
        expected,
        expected,
    )


def test_checksums_setting_overrides_the_default(show_dir: Path) -> None:
    config = show_dir / "mediafeed.toml"
    table = '\n[publish]\ntarget = "s3://b/p"\nendpoint_url = "http://127.0.0.1:3900"\n'
    table += 'public_url = "https://p"\nchecksums = "when_supported"\n'
    config.write_text(config.read_text("utf-8") + table, encoding="utf-8")
    assert Target.from_settings(load_show(show_dir).publish).checksums == "when_supported"
    config.write_text(config.read_text("utf-8").replace('"when_supported"', '"always"'))
    with pytest.raises(ConfigError, match="publish.checksums: must be one of"):
        load_show(show_dir)


@pytest.mark.parametrize("checksums", ["when_supported", "when_required"])
def test_uploads_send_checksums_only_when_the_setting_says(
    show: Path, any_target: tuple[Any, Target], any_store: Any, checksums: str
) -> None:
    _, target = any_target
    target = replace(target, checksums=checksums)
    client = make_client(target, credentials=(any_store.access_key, any_store.secret_key))
    sent: list[str] = []

    def headers(request: Any, **_: Any) -> None:
        if request.method == "PUT":
            sent.extend(name.lower() for name in request.headers if "checksum" in name.lower())

    client.meta.events.register("before-send.s3", headers)
    publish(_manifest(show), client, target)
    assert _http("GET", f"{target.base_url()}/media/first.mp3").status == 200
    assert bool(sent) is (checksums == "when_supported"), sent


@pytest.mark.parametrize("checksums", ["when_supported", "when_required"])
def test_every_upload_carries_a_digest_the_store_checks_and_no_head_follows(
    show: Path, s3_target: tuple[Any, Target], seaweed: LocalStore, checksums: str
) -> None:
    _, target = s3_target
    target = replace(target, checksums=checksums)
    client = make_client(target, credentials=(seaweed.access_key, seaweed.secret_key))
    digests: dict[str, str] = {}

    def headers(request: Any, **_: Any) -> None:
        if request.method == "PUT" and "/show/.mediafeed/" not in request.url:
            wanted = "x-amz-checksum-sha256" if checksums == "when_supported" else "content-md5"
            digests[request.url.rsplit("/show/", 1)[1]] = request.headers[wanted].decode()

    client.meta.events.register("before-send.s3", headers)
    calls = _count_calls(client)
    manifest = _manifest(show)
    publish(manifest, client, target)
    for obj in manifest.objects:
        data = Path(obj.path).read_bytes()
        if checksums == "when_supported":  # the SHA-256 the build knew, as S3 wants it
            assert base64.b64decode(digests[obj.key]).hex() == obj.sha256
        else:
            assert base64.b64decode(digests[obj.key]) == hashlib.md5(data).digest()
    assert "HeadObject" not in calls


@pytest.mark.parametrize(
    ("checksums", "field", "lie"),
    [("when_required", "ETag", '"' + "0" * 32 + '"'), ("when_supported", "ChecksumSHA256", "AA==")],
)
def test_an_answer_that_speaks_of_other_bytes_stops_the_publish_before_the_feed(
    show: Path, s3_target: tuple[Any, Target], seaweed: LocalStore, checksums: str, field: str,
    lie: str,
) -> None:  # fmt: skip
    _, target = s3_target
    target = replace(target, checksums=checksums)
    client = make_client(target, credentials=(seaweed.access_key, seaweed.secret_key))

    def tamper(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if field in parsed and parsed.get("ResponseMetadata", {}).get("HTTPStatusCode") == 200:
            parsed[field] = lie

    client.meta.events.register("after-call.s3.PutObject", tamper)
    with pytest.raises(StoreError, match="other bytes than were sent"):
        publish(_manifest(show, "episodes/first/index.html", "feed.xml"), client, target)
    assert "show/feed.xml" not in _keys(client, target)


def test_a_streamed_file_sent_again_after_a_drop_is_counted_once(
    tmp_path: Path, s3_target: tuple[Any, Target], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, target = s3_target
    monkeypatch.setattr(upload, "SMALL_BYTES", 64 * 1024)
    monkeypatch.setattr(upload, "REPORT_BYTES", 16 * 1024)
    data = os.urandom(700_000)
    manifest = Manifest((build_object(tmp_path, "media/mid.bin", data),))
    attempts: list[int] = []

    def drop_first(request: Any, **_: Any) -> AWSResponse | None:
        if "mid.bin" not in request.url:
            return None
        attempts.append(1)
        if len(attempts) == 1:  # read the body half-way, as a connection dropped mid-way
            request.body.read(300_000)
            raise ConnectionClosedError(endpoint_url=request.url)
        return None

    client.meta.events.register("before-send.s3.PutObject", drop_first)
    recorder = _Recorder()
    report = publish(manifest, client, target, progress=recorder)
    advanced = sum(n for kind, n, _ in recorder.calls if kind == "advance")
    assert (len(attempts), report.bytes_sent, advanced) == (2, len(data), len(data))
    got = client.get_object(Bucket=target.bucket, Key="show/media/mid.bin")["Body"].read()
    assert got == data
