"""A publish with nothing to send, as cron runs it: one request, no boto3, and still a store
that lost something behind the record's back is put right."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mediafeed.store.record import CLAIMS_KEY, RECORD_KEY
from mediafeed.store.target import Target
from tests.conftest import S3Server, publish_table
from tests.faultproxy import FaultProxy
from tests.showmaker import modules_loaded_by


def _publish(show_dir: Path) -> str:
    from click.testing import CliRunner

    from mediafeed.cli import cli

    result = CliRunner().invoke(cli, ["-C", str(show_dir), "publish"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def proxy(any_store: S3Server) -> Iterator[FaultProxy]:
    with FaultProxy(any_store.endpoint_url, lifetime=120) as running:
        yield running


@pytest.fixture
def through_proxy(
    any_published_show: tuple[Path, Target], proxy: FaultProxy
) -> tuple[Path, FaultProxy]:
    """A published show whose requests to the store pass a proxy that sees them, after
    one unchanged publish (which keeps the store's record locally)."""
    show_dir, target = any_published_show
    config = show_dir / "mediafeed.toml"
    table = publish_table(target)
    config.write_text(
        config.read_text().replace(
            table, publish_table(replace(target, endpoint_url=proxy.endpoint_url))
        )
    )
    _publish(show_dir)
    _publish(show_dir)
    proxy.seen.clear()
    return show_dir, proxy


def test_an_unchanged_publish_asks_the_store_once(through_proxy: tuple[Path, FaultProxy]) -> None:
    show_dir, proxy = through_proxy
    assert "Uploaded 0 objects" in _publish(show_dir)
    assert [(seen.method, seen.target.split("?")[0]) for seen in proxy.seen] == [
        ("GET", f"/{proxy_bucket(show_dir)}/")
    ]


def proxy_bucket(show_dir: Path) -> str:
    text = (show_dir / "mediafeed.toml").read_text()
    return text.split('target = "s3://', 1)[1].split("/", 1)[0]


def _with_profile(show_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The keys moved from the environment into a named profile of the shared credentials
    file, as a producer with several accounts keeps them."""
    keys = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    credentials.write_text(
        f"[cron]\naws_access_key_id = {keys[0]}\naws_secret_access_key = {keys[1]}\n"
    )
    config = show_dir / "mediafeed.toml"
    config.write_text(config.read_text().replace("[publish]\n", '[publish]\nprofile = "cron"\n'))


@pytest.mark.parametrize("where", ["target", "profile", "embedded"])
def test_an_unchanged_publish_loads_no_boto3(
    where: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if where == "embedded":
        show_dir = request.getfixturevalue("show_dir")  # no [publish]: the embedded store
    else:
        show_dir, _ = request.getfixturevalue("published_show")
    if where == "profile":
        _with_profile(show_dir, monkeypatch)
    _publish(show_dir)
    _publish(show_dir)
    printed, loaded = modules_loaded_by(show_dir, "publish", ("boto3", "s3transfer"))
    assert "Uploaded 0 objects" in printed and loaded == []


def test_a_record_rewritten_behind_our_back_is_read_again_and_put_right(
    published_show: tuple[Path, Target], s3_target: tuple[Any, Target]
) -> None:
    show_dir, target = published_show
    client, _ = s3_target
    _publish(show_dir)
    key = target.key(RECORD_KEY)
    record = json.loads(client.get_object(Bucket=target.bucket, Key=key)["Body"].read())
    record["objects"]["feed.xml"]["size"] += 1
    client.put_object(Bucket=target.bucket, Key=key, Body=json.dumps(record).encode())
    _publish(show_dir)
    again = json.loads(client.get_object(Bucket=target.bucket, Key=key)["Body"].read())
    feed = client.head_object(Bucket=target.bucket, Key=target.key("feed.xml"))
    assert again["objects"]["feed.xml"]["size"] == feed["ContentLength"]


def test_claims_a_stopped_run_left_make_an_unchanged_publish_finish(
    published_show: tuple[Path, Target], s3_target: tuple[Any, Target]
) -> None:
    show_dir, target = published_show
    client, _ = s3_target
    _publish(show_dir)
    claims = target.key(CLAIMS_KEY)
    client.put_object(Bucket=target.bucket, Key=claims, Body=b'{"pending":["feed.xml"]}')
    _publish(show_dir)
    listed = client.list_objects_v2(Bucket=target.bucket, Prefix=claims).get("Contents", [])
    assert listed == []


def test_an_unchanged_publish_to_a_stopped_embedded_store_starts_it(
    show_dir: Path, private_state_dir: Path
) -> None:
    from mediafeed.store import local as localstore

    _publish(show_dir)
    localstore.stop(private_state_dir)
    output = _publish(show_dir)
    assert "Uploaded 0 objects" in output and localstore.running(private_state_dir) is not None
