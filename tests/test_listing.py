"""Listings: a store's, in key ranges at once, gives exactly what one plain listing gives;
and `mediafeed list`, the show's, in columns, with what the last publish really sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mediafeed.cli import cli
from mediafeed.store import listing, transfer
from mediafeed.store.publish import stored_record
from mediafeed.store.record import RECORD_KEY, Record
from mediafeed.store.target import Target
from tests.mediafactory import mp3_cbr

EPISODES = 700


@pytest.fixture(autouse=True)
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges of a hundred keys and pages of forty, so a few thousand keys make eight
    ranges of several pages each."""
    monkeypatch.setattr(transfer, "RANGE_KEYS", 100)
    monkeypatch.setattr(listing, "PAGE_KEYS", 40)


def _put(client: Any, bucket: str, keys: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"x" * (len(key) % 7)),
                keys,
            )
        )


def _plain(client: Any, bucket: str, prefix: str) -> dict[str, int]:
    """One sequential listing by boto3's own paginator: what the ranges must add up to."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}


def _starts(client: Any) -> list[str | None]:
    """Where each listing request starts (StartAfter), continuation pages left out."""
    seen: list[str | None] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        if "ContinuationToken" not in params:
            seen.append(params.get("StartAfter"))

    client.meta.events.register("provide-client-params.s3.ListObjectsV2", note)
    return seen


def _listed(client: Any, bucket: str, head: str, sample: Sequence[str] = ()) -> dict[str, int]:
    """transfer.list_sizes by full key, as `_plain` gives them, from a sample of full keys."""
    names = [key[len(head) :] for key in sample]
    return {head + n: size for n, size in transfer.list_sizes(client, bucket, head, names).items()}


def _cut_points(sample: list[str]) -> list[str]:
    return listing.cut_points(sample, listers=transfer.LISTERS, range_keys=transfer.RANGE_KEYS)


def _show_keys(head: str) -> list[str]:
    episodes = [f"{head}episodes/aflevering-{n:04d}/index.html" for n in range(EPISODES)]
    media = [f"{head}media/aflevering-{n:04d}.mp3" for n in range(EPISODES)]
    return [*episodes, *media, f"{head}feed.xml", f"{head}index.html"]


@pytest.mark.parametrize("prefix", ["show", ""])
def test_ranges_add_up_to_the_plain_listing(s3_target: tuple[Any, Target], prefix: str) -> None:
    client, target = s3_target
    head = f"{prefix}/" if prefix else ""
    ours = _show_keys(head)
    # Every third name in the record is gone from the store, so some range ends at a key
    # the store does not hold.
    ghosts = [f"{head}episodes/aflevering-{n:04d}x/index.html" for n in range(0, EPISODES, 3)]
    # Not in the record: before the first range, between ranges, after the last one.
    foreign = [
        f"{head}.aaa",
        f"{head}episodes/aflevering-0350/extra.txt",
        f"{head}media/aflevering-0500.mp3.part",
        f"{head}zz/late.txt",
    ]
    outside = ["other/feed.xml", "showcase.txt"] if prefix else []
    _put(client, target.bucket, [*ours, *foreign, *outside])
    sample = [*ours, *ghosts]
    bounds = _cut_points(sample)
    assert len(bounds) == 7 and set(bounds) & set(ghosts) and set(bounds) & set(ours)
    starts = _starts(client)

    listed = _listed(client, target.bucket, head, sample)

    # One request per range and no plain listing after them: the ranges joined up.
    assert sorted(starts, key=str) == sorted([None, *bounds], key=str)
    assert listed == _plain(client, target.bucket, head)
    assert set(listed) == set(ours) | set(foreign)


def test_without_a_sample_one_plain_listing_is_made(s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    keys = _show_keys("show/")[:300]
    _put(client, target.bucket, keys)
    starts = _starts(client)

    listed = _listed(client, target.bucket, "show/")

    assert set(listed) == set(keys)
    assert starts == [None]


def test_an_empty_prefix_lists_nothing_in_any_range(s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    _put(client, target.bucket, ["elsewhere/feed.xml"])
    assert _listed(client, target.bucket, "show/", _show_keys("show/")) == {}


def test_a_store_that_lists_folder_by_folder_still_gives_every_key(
    s3_target: tuple[Any, Target], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SeaweedFS lists "a/b" before "a-c" (folder "a" sorts before file "a-c"), not in
    byte order, so a range cut at "a-c" stops at "a/b" and would miss "a-" and "a-c"."""
    client, target = s3_target
    keys = ["show/a-", "show/a-c", "show/a/b", "show/z"]
    _put(client, target.bucket, keys)
    sample = ["show/a-", "show/a-c", "show/z"]
    monkeypatch.setattr(transfer, "RANGE_KEYS", 1)
    assert _cut_points(sample) == ["show/a-c", "show/z"]

    listed = _listed(client, target.bucket, "show/", sample)

    assert listed == _plain(client, target.bucket, "show/")
    assert set(listed) == set(keys)


def test_record_body_is_compact_and_the_same_for_the_same_record() -> None:
    names = [f"media/aflevering-{n:04d}.mp3" for n in range(50)]
    entries = {n: {"sha256": f"{i:064x}", "size": i} for i, n in enumerate(names)}
    shuffled = {n: {"size": e["size"], "sha256": e["sha256"]} for n, e in reversed(entries.items())}
    first = Record(entries, frozenset(names[:3]), {"guid-1": "episodes/a/index.html"})
    second = Record(shuffled, frozenset(reversed(names[:3])), {"guid-1": "episodes/a/index.html"})

    assert first.body() == second.body()
    assert b"\n" not in first.body() and b", " not in first.body()


def test_record_round_trips_through_the_store(s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    record = Record(
        {"feed.xml": {"sha256": "ab" * 32, "size": 12}},
        frozenset({"media/x.mp3"}),
        {"guid-1": "episodes/x/index.html"},
    )
    client.put_object(Bucket=target.bucket, Key=f"show/{RECORD_KEY}", Body=record.body())
    assert stored_record(client, target) == record


def test_record_in_the_earlier_indented_form_is_still_read(s3_target: tuple[Any, Target]) -> None:
    client, target = s3_target
    earlier = {
        "generator": "mediafeed 0.1",
        "objects": {"feed.xml": {"sha256": "ab" * 32, "size": 12}},
        "pending": [],
        "permalinks": {},
    }
    client.put_object(
        Bucket=target.bucket, Key=f"show/{RECORD_KEY}", Body=json.dumps(earlier, indent=1).encode()
    )
    assert stored_record(client, target).objects == earlier["objects"]


# ---- mediafeed list ---------------------------------------------------------------------


def run(show: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["-C", str(show), *args])
    assert result.exit_code == 0, result.output
    return result


def add(show: Path, tmp_path: Path, title: str, *args: str, seconds: float = 1.0) -> None:
    run(show, "add", str(mp3_cbr(tmp_path, f"{title}.mp3", seconds=seconds)), "--title", title,
        *args)  # fmt: skip


def statuses(show: Path) -> dict[str, str]:
    return {row["slug"]: row["status"] for row in json.loads(run(show, "list", "--json").stdout)}


def test_list_lines_up_its_columns(show_dir: Path, tmp_path: Path) -> None:
    add(show_dir, tmp_path, "Een", "--date", "2021-11-02T09:00:00+01:00")
    add(show_dir, tmp_path, "Een heel lang gesprek over ontmoeting", "--draft", seconds=2.0)
    lines = run(show_dir, "list").stdout.splitlines()
    assert len(lines) == 3 and lines[0].split() == [
        "STATUS", "DATE", "DURATION", "SIZE", "SLUG", "TITLE"
    ]  # fmt: skip
    slug_at = lines[0].index("SLUG")
    title_at = lines[0].index("TITLE")
    size_ends = lines[0].index("SIZE") + len("SIZE")
    for line, slug in zip(lines[1:], ["een-heel-lang-gesprek-over-ontmoeting", "een"],
                          strict=True):  # fmt: skip
        assert line.index(f" {slug} ") + 1 == slug_at, lines
        assert line[title_at - 2 : title_at] == "  " and line[title_at] != " ", lines
        assert line[size_ends - 2 : size_ends] == "MB", lines


def test_a_due_episode_never_uploaded_is_ready_not_published(
    show_dir: Path, tmp_path: Path
) -> None:
    add(show_dir, tmp_path, "Ontmoeting", "--date", "2021-11-02T09:00:00+01:00")
    run(show_dir, "build")
    (row,) = json.loads(run(show_dir, "list", "--json").stdout)
    assert row["status"] == "ready" and row["in_feed"] is False
    assert row["file_status"] == "published"
    assert run(show_dir, "list").stdout.splitlines()[1].startswith("ready ")


@pytest.mark.slow
def test_list_says_published_once_a_publish_put_it_in_the_feed(
    published_show: tuple[Path, Target], tmp_path: Path
) -> None:
    show, _ = published_show
    add(show, tmp_path, "Ontmoeting", "--date", "2021-11-02T09:00:00+01:00")
    add(show, tmp_path, "Later", "--date", "2030-01-01T09:00:00+01:00")
    run(show, "publish")
    assert statuses(show) == {"ontmoeting": "published", "later": "scheduled"}
    # Due now, but the feed listeners see still lacks it until the next publish.
    due = CliRunner(env={"MEDIAFEED_NOW": "2030-01-02T09:00:00+01:00"})
    rows = json.loads(due.invoke(cli, ["-C", str(show), "list", "--json"]).stdout)
    assert {row["slug"]: row["status"] for row in rows} == {
        "ontmoeting": "published",
        "later": "ready",
    }


def test_list_json_keeps_its_keys(show_dir: Path, tmp_path: Path) -> None:
    add(show_dir, tmp_path, "Ontmoeting")
    (row,) = json.loads(run(show_dir, "list", "--json").stdout)
    assert {"slug", "title", "guid", "status", "published", "duration", "duration_seconds",
            "length", "size_mb", "mime_type"} <= set(row)  # fmt: skip


def test_list_help_names_and_explains_every_status() -> None:
    help_text = CliRunner().invoke(cli, ["list", "--help"]).output
    for status in ("draft", "scheduled", "ready", "published", "unpublished"):
        (line,) = [ln for ln in help_text.splitlines() if ln.strip().startswith(f"{status} ")]
        assert len(line.split()) > 3, line
