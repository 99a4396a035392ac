"""Publishing an unchanged show skips check and build, and anything that changed undoes that."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import mediafeed.build
from mediafeed.cli import cli
from mediafeed.store import unchanged
from mediafeed.store.target import Target
from tests.mediafactory import mp3_cbr


def publish(show: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, ["-C", str(show), "publish", *args], env=env)
    assert result.exit_code == 0, result.output
    return result


def add(show: Path, tmp_path: Path, title: str, date: str) -> None:
    media = mp3_cbr(tmp_path, f"{title}.mp3")
    result = CliRunner().invoke(
        cli, ["-C", str(show), "add", str(media), "--title", title, "--date", date]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every build that publish starts."""
    calls: list[Any] = []
    real = mediafeed.build.build
    monkeypatch.setattr(mediafeed.build, "build", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


@pytest.fixture
def once(
    published_show: tuple[Path, Target], tmp_path: Path, builds: list[Any]
) -> tuple[Path, Target]:
    show, target = published_show
    add(show, tmp_path, "Eerste", "2021-11-02T09:00:00+01:00")
    publish(show)
    builds.clear()
    return show, target


@pytest.fixture(params=["one listing", "in ranges"])
def listed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged publish lists the store in one go, or (as a large show's does) in key
    ranges at once: here a range per object, so each one is where a range ends."""
    if request.param == "in ranges":
        monkeypatch.setattr(unchanged, "RANGE_KEYS", 1)


@pytest.mark.slow
@pytest.mark.usefixtures("listed")
def test_an_unchanged_show_is_confirmed_without_a_build(
    once: tuple[Path, Target], builds: list[Any]
) -> None:
    result = publish(once[0])
    assert builds == []
    assert "Uploaded 0 objects" in result.output and "1 episode in the feed" in result.output


@pytest.mark.slow
def test_an_edited_episode_file_means_a_full_publish(
    once: tuple[Path, Target], builds: list[Any]
) -> None:
    show, _ = once
    path = next((show / "episodes").glob("*.md"))
    path.write_text(path.read_text().replace("title: Eerste", "title: Eerste, herzien"))
    assert "Uploaded 0 objects" not in publish(show).output
    assert len(builds) == 1


@pytest.mark.slow
def test_a_touched_media_file_with_the_same_bytes_changes_nothing(
    once: tuple[Path, Target], builds: list[Any]
) -> None:
    show, _ = once
    media = next((show / "media").glob("*.mp3"))
    os.utime(media, ns=(media.stat().st_atime_ns, media.stat().st_mtime_ns + 10**9))
    assert "Uploaded 0 objects" in publish(show).output
    assert builds == []


@pytest.mark.slow
def test_artwork_replaced_by_an_older_file_means_a_full_publish(
    once: tuple[Path, Target], builds: list[Any], tmp_path: Path
) -> None:
    show, _ = once
    from PIL import Image

    other = tmp_path / "other.jpg"
    Image.new("RGB", (1400, 1400), (200, 40, 40)).save(other)
    os.utime(other, ns=(10**18, 10**18))  # older than anything the last run saw
    (show / "artwork.jpg").write_bytes(other.read_bytes())
    os.utime(show / "artwork.jpg", ns=(10**18, 10**18))
    assert "Uploaded 0 objects" not in publish(show).output
    assert len(builds) == 1


@pytest.mark.slow
def test_a_scheduled_episode_falling_due_means_a_full_publish(
    once: tuple[Path, Target], builds: list[Any], tmp_path: Path
) -> None:
    show, _ = once
    add(show, tmp_path, "Later", "2031-01-01T09:00:00+01:00")
    publish(show)
    builds.clear()
    publish(show)
    assert builds == [], "nothing due yet: still confirmed without a build"
    result = publish(show, env={"MEDIAFEED_NOW": "2031-01-01T09:00:00+01:00"})
    assert len(builds) == 1 and "2 episodes in the feed" in result.output


@pytest.mark.slow
@pytest.mark.usefixtures("listed")
def test_an_object_deleted_from_the_store_is_sent_again(
    once: tuple[Path, Target], builds: list[Any], s3_target: tuple[Any, Target]
) -> None:
    show, target = once
    client, _ = s3_target
    client.delete_object(Bucket=target.bucket, Key=f"{target.prefix}/index.html")
    result = publish(show)
    assert len(builds) == 1 and "Uploaded index.html" in result.output


@pytest.mark.slow
def test_dry_run_and_prune_always_look_at_everything(
    once: tuple[Path, Target], builds: list[Any]
) -> None:
    publish(once[0], "--dry-run")
    publish(once[0], "--prune")
    assert len(builds) == 2
