"""Signed dict caches that grow by appending each run's changes."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from mediafeed import localcache

HEADER = ("test", 1)


def fresh_process() -> None:
    """What a new command starts with: no memory of how it left the files."""
    localcache._layout.clear()


def saved(path: Path, before: dict[str, object], after: dict[str, object]) -> dict[str, object]:
    """Save as one run would, then load as the next run does."""
    localcache.save_dict(path, HEADER, before, after)
    fresh_process()
    return localcache.load_dict(path, HEADER)


@pytest.fixture
def base(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    path = tmp_path / "cache.pickle"
    entries: dict[str, object] = {f"entry-{n:04d}": ("value", n, f"{n:04d}" * 50)
                                  for n in range(500)}  # fmt: skip
    assert saved(path, {}, entries) == entries
    return path, localcache.load_dict(path, HEADER)


def test_a_saved_dict_loads_as_it_was(base: tuple[Path, dict[str, object]]) -> None:
    path, loaded = base
    assert len(loaded) == 500
    assert loaded["entry-0007"] == ("value", 7, "0007" * 50)


def test_one_new_entry_is_appended_not_written_whole(base: tuple[Path, dict[str, object]]
                                                     ) -> None:  # fmt: skip
    path, loaded = base
    size, inode = path.stat().st_size, path.stat().st_ino
    after = {**loaded, "new": "one more"}
    assert saved(path, loaded, after) == after
    assert path.stat().st_ino == inode, "the same file, appended to"
    assert size < path.stat().st_size < size + 200


def test_removed_and_replaced_entries_are_applied_in_order(
    base: tuple[Path, dict[str, object]],
) -> None:
    path, loaded = base
    first = {k: v for k, v in loaded.items() if k != "entry-0001"} | {"entry-0002": "changed"}
    assert saved(path, loaded, first) == first
    second = {**first, "entry-0001": "back", "entry-0002": "again"}
    assert saved(path, localcache.load_dict(path, HEADER), second) == second


def test_nothing_changed_writes_nothing(base: tuple[Path, dict[str, object]]) -> None:
    path, loaded = base
    localcache.load_dict(path, HEADER)
    before = path.stat()
    localcache.save_dict(path, HEADER, loaded, dict(loaded))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_changes_that_outgrow_their_share_are_written_whole(
    base: tuple[Path, dict[str, object]],
) -> None:
    path, loaded = base
    inode = path.stat().st_ino
    after = {**loaded, **{f"more-{n}": f"{n:04d}" * 50 for n in range(200)}}
    assert saved(path, loaded, after) == after
    assert path.stat().st_ino != inode, "rewritten in a new file, replacing the old"


def append_cut_short(path: Path, loaded: dict[str, object]) -> None:
    """A run that appended one entry and was stopped three bytes before the end."""
    localcache.save_dict(path, HEADER, loaded, {**loaded, "new": "one more"})
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 3)
    fresh_process()


def test_an_append_cut_short_loses_only_that_runs_changes(
    base: tuple[Path, dict[str, object]],
) -> None:
    path, loaded = base
    append_cut_short(path, loaded)
    assert localcache.load_dict(path, HEADER) == loaded


def test_a_file_cut_short_is_written_whole_by_the_next_save(
    base: tuple[Path, dict[str, object]],
) -> None:
    path, loaded = base
    append_cut_short(path, loaded)
    before = localcache.load_dict(path, HEADER)
    after = {**before, "other": "entry"}
    assert saved(path, before, after) == after
    assert localcache.load_dict(path, HEADER) == after


def test_a_file_another_process_rewrote_meanwhile_is_not_appended_to(
    base: tuple[Path, dict[str, object]],
) -> None:
    path, loaded = base
    localcache.load_dict(path, HEADER)  # this process knows the file as it is now
    other = {"theirs": 1}
    localcache.save_dict(path, HEADER, {}, other)  # another process writes it whole
    localcache._layout.clear()
    localcache.load_dict(path, HEADER)
    mine = {**loaded, "mine": 2}
    localcache._layout[path] = (1, 1)  # what this process remembered: no longer the file
    assert saved(path, loaded, mine) == mine


def test_another_header_reads_as_empty(base: tuple[Path, dict[str, object]]) -> None:
    path, _ = base
    assert localcache.load_dict(path, ("test", 2)) == {}


def test_an_appended_record_with_a_wrong_signature_is_never_unpickled(
    base: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, loaded = base
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.mkdir, (str(marker),))

    body = pickle.dumps({"evil": Payload()})
    with open(path, "ab") as handle:
        handle.write(len(body).to_bytes(8, "big") + b"\0" * 32 + body)
    fresh_process()
    assert localcache.load_dict(path, HEADER) == loaded
    assert not marker.exists()


@pytest.mark.parametrize("damage", [b"", b"garbage", localcache.MAGIC, localcache.MAGIC + b"\xff" * 60])
def test_a_damaged_file_reads_as_empty(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "cache.pickle"
    path.write_bytes(damage)
    assert localcache.load_dict(path, HEADER) == {}
    assert saved(path, {}, {"a": 1}) == {"a": 1}
