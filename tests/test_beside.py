"""The check of a publish beside the build: it refuses exactly as it does alone, nothing
reaches the store before it passed, and a check that stops unexpectedly is run again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mediafeed import beside
from mediafeed.cli import cli
from mediafeed.store.publish import RECORD_KEY, Target
from tests.showmaker import many_episodes


def publish(show: Path) -> Any:
    return CliRunner().invoke(cli, ["-C", str(show), "publish"])


@pytest.fixture
def republished(published_show: tuple[Path, Target], tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Target, list[bool]]:  # fmt: skip
    """A show published once to its own bucket; later publishes record whether the check
    ran beside the build."""
    show, target = published_show
    slugs = many_episodes(show, tmp_path, 2)
    assert publish(show).exit_code == 0
    used: list[bool] = []
    real = beside.CheckBeside.start

    def start(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        used.append(found is not None)
        return found

    monkeypatch.setattr(beside.CheckBeside, "start", start)
    (show / "episodes" / f"{slugs[0]}.md").write_text(
        (show / "episodes" / f"{slugs[0]}.md").read_text().replace("Aflevering 1", "Eerste"))
    return show, target, used


def record(client: Any, target: Target) -> Any:
    return json.loads(client.get_object(Bucket=target.bucket,
                                        Key=f"show/{RECORD_KEY}")["Body"].read())  # fmt: skip


def test_a_change_is_checked_beside_the_build_and_published(
    republished: tuple[Path, Target, list[bool]],
) -> None:
    show, _, used = republished
    result = publish(show)
    assert result.exit_code == 0, result.output
    assert used == [True] if beside.forking_is_safe() else used == [False]
    assert "Uploaded episodes/aflevering-00001/index.html" in result.output


def test_a_refusal_beside_the_build_is_one_line_and_sends_nothing(
    republished: tuple[Path, Target, list[bool]], s3_target: tuple[Any, Target]
) -> None:
    show, target, _ = republished
    client, _ = s3_target
    before = record(client, target)
    next((show / "media").glob("*.mp3")).unlink()  # a check error, and a build error too
    result = publish(show)
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "error" in line and "mediafeed check" in line and "Traceback" not in result.output
    assert record(client, target) == before


def test_a_check_that_stops_unexpectedly_is_run_again_here(
    republished: tuple[Path, Target, list[bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    show, _, _ = republished

    parent = os.getpid()
    real = beside._check

    def broken(root: Path, now: Any) -> None:
        if os.getpid() != parent:
            raise RuntimeError("the child stops")
        real(root, now)

    monkeypatch.setattr(beside, "_check", broken)
    result = publish(show)
    assert result.exit_code == 0, result.output
