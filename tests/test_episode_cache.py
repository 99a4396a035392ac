"""Parsed episode files kept between commands: reused only while the file is unchanged,
and a cache file this user's mediafeed did not write is never loaded."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from mediafeed import episodecache, episodes, localcache
from mediafeed.episodecache import PARSED_CACHE
from mediafeed.episodes import load_episodes
from mediafeed.errors import EpisodeError
from tests.test_episodes import VALID


@pytest.fixture
def show(tmp_path: Path) -> Path:
    root = tmp_path / "show"
    (root / "episodes").mkdir(parents=True)
    (root / "episodes" / "ontmoeting.md").write_text(VALID, encoding="utf-8")
    return root


def fresh_process() -> None:
    """What a new command starts with: nothing parsed in memory."""
    episodecache._caches.clear()


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = episodes.parse_episode

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        parsed.append(path.name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(episodes, "parse_episode", counting)
    return parsed


def age(path: Path, seconds: int = 60) -> None:
    """Date a file back, as a file edited a minute ago is."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 1_000_000_000))


def test_an_unchanged_file_is_not_parsed_again_by_the_next_command(
    show: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    age(show / "episodes" / "ontmoeting.md")
    first = load_episodes(show / "episodes")
    fresh_process()
    parsed = count_parses(monkeypatch)
    assert load_episodes(show / "episodes") == first
    assert parsed == []


def test_an_edit_that_keeps_size_and_time_is_still_seen(show: Path) -> None:
    path = show / "episodes" / "ontmoeting.md"
    load_episodes(show / "episodes")
    stat = path.stat()
    path.write_text(VALID.replace("Ontmoeting", "Ontdekking"), encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    fresh_process()
    assert load_episodes(show / "episodes")[0].title == "Ontdekking"


def test_the_revision_is_the_hash_of_the_file(show: Path) -> None:
    path = show / "episodes" / "ontmoeting.md"
    before = load_episodes(show / "episodes")[0].revision
    path.write_text(VALID.replace("Notities.", "Andere notities."), encoding="utf-8")
    after = load_episodes(show / "episodes")[0].revision
    assert before and after and before != after


def test_a_deleted_file_is_gone_from_the_next_load(show: Path) -> None:
    (show / "episodes" / "tweede.md").write_text(
        VALID.replace("29e6eedd", "39e6eedd"), encoding="utf-8")  # fmt: skip
    assert len(load_episodes(show / "episodes")) == 2
    (show / "episodes" / "tweede.md").unlink()
    fresh_process()
    assert [ep.slug for ep in load_episodes(show / "episodes")] == ["ontmoeting"]


def test_a_moved_show_folder_gets_episodes_with_their_new_paths(show: Path, tmp_path: Path) -> None:
    load_episodes(show / "episodes")
    moved = shutil.copytree(show, tmp_path / "elders")
    fresh_process()
    [ep] = load_episodes(moved / "episodes")
    assert ep.source == moved / "episodes" / "ontmoeting.md"


def test_a_cache_file_from_elsewhere_is_never_unpickled(show: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.mkdir, (str(marker),))

    body = pickle.dumps(Payload())
    cache = show / PARSED_CACHE
    cache.parent.mkdir(parents=True, exist_ok=True)
    length = len(body).to_bytes(8, "big")
    cache.write_bytes(localcache.MAGIC + length + b"\0" * 32 + body)  # right shape, wrong signature
    fresh_process()
    assert [ep.slug for ep in load_episodes(show / "episodes")] == ["ontmoeting"]
    assert not marker.exists()


def test_a_damaged_cache_file_costs_a_parse_not_an_error(show: Path) -> None:
    load_episodes(show / "episodes")
    (show / PARSED_CACHE).write_bytes(b"\x00garbage")
    fresh_process()
    assert [ep.slug for ep in load_episodes(show / "episodes")] == ["ontmoeting"]


def test_the_signing_key_is_private_to_the_user(show: Path, private_state_dir: Path) -> None:
    load_episodes(show / "episodes")
    key = private_state_dir / localcache.KEY_FILE
    assert key.stat().st_mode & 0o077 == 0
    assert key.read_bytes() not in (show / PARSED_CACHE).read_bytes()


def test_without_a_writable_state_folder_episodes_still_load(
    show: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("MEDIAFEED_STATE_DIR", str(blocked / "state"))
    fresh_process()
    assert [ep.slug for ep in load_episodes(show / "episodes")] == ["ontmoeting"]
    assert not (show / PARSED_CACHE).exists()


def many_files(show: Path, count: int) -> None:
    """`count` more episode files, a week apart, each with its own guid."""
    for number in range(count):
        text = VALID.replace("2021-11-02", f"2022-{1 + number // 28:02d}-{1 + number % 28:02d}")
        text = text.replace("29e6eedd-3461-465d-a327-dd631a9f491e", f"guid-{number}")
        (show / "episodes" / f"deel-{number:03d}.md").write_text(text, encoding="utf-8")


def test_many_new_files_parsed_in_forked_processes_are_those_one_process_parses(
    show: Path, tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    many_files(show, 40)
    apart = tmp_path / "apart"
    shutil.copytree(show, apart)
    monkeypatch.setattr(episodecache, "PARSE_FORK_FROM", 10)
    parsed = count_parses(monkeypatch)
    together = load_episodes(show / "episodes")
    assert children
    assert len(parsed) == 41 // 2 + 1, "the other half parsed in a child, not again here"
    alone = load_episodes(apart / "episodes")
    assert [ep.revision for ep in together] == [ep.revision for ep in alone]
    assert [ep.title for ep in together] == [ep.title for ep in alone]


def test_a_broken_file_among_many_gives_its_error_as_in_one_process(
    show: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    many_files(show, 40)
    (show / "episodes" / "deel-033.md").write_text("---\ntitle: [kapot\n---\n")
    monkeypatch.setattr(episodecache, "PARSE_FORK_FROM", 10)
    with pytest.raises(EpisodeError) as caught:
        load_episodes(show / "episodes")
    assert children
    assert "deel-033.md" in str(caught.value) and "broken front matter" in str(caught.value)
