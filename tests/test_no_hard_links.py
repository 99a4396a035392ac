"""A show on a file system without hard links (FAT and exFAT drives, some network
shares): every command works as it does elsewhere, by copying where it would link."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from mediafeed.output import write_atomic
from tests.mediafactory import mp3_cbr
from tests.test_pipeline import ok, run


@pytest.fixture
def no_hard_links(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refuse)


@pytest.fixture
def show(tmp_path: Path, no_hard_links: None) -> Path:
    """A new show with one episode, made where hard links are refused."""
    root = tmp_path / "show"
    ok(root, "init", str(root), "--title", "Op een stick")
    ok(root, "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", "Eerste")
    return root


def edit_the_title(show: Path) -> None:
    [episode] = (show / "episodes").iterdir()
    episode.write_text(episode.read_text().replace("title: Eerste", "title: Eerste, bewerkt"))


def test_init_add_tag_and_build_work_without_hard_links(show: Path) -> None:
    ok(show, "tag")
    ok(show, "build")
    [media] = (show / "feed" / "media").iterdir()
    [source] = (show / "media").iterdir()
    assert media.read_bytes() == source.read_bytes()
    assert (show / "feed" / "feed.xml").is_file()


def test_an_episode_file_is_still_never_replaced_by_add(show: Path, tmp_path: Path) -> None:
    [episode] = (show / "episodes").iterdir()
    before = episode.read_bytes()
    again = run(show, "add", str(mp3_cbr(tmp_path, "b.mp3")), "--title", "Eerste")
    assert again.exit_code == 1
    assert episode.read_bytes() == before
    assert not [p for p in episode.parent.iterdir() if p.name.endswith(".tmp")]


def copy_of_media(show: Path) -> Path:
    [media] = (show / "feed" / "media").iterdir()
    return media


def test_a_rebuild_keeps_the_copies_of_media_it_made(show: Path) -> None:
    """A show of gigabytes on an exFAT drive must not copy its media again on every
    build that follows an edit."""
    ok(show, "build")
    before = copy_of_media(show).stat()
    edit_the_title(show)
    ok(show, "build")
    after = copy_of_media(show).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert "Eerste, bewerkt" in (show / "feed" / "feed.xml").read_text()


def test_a_copy_of_media_changed_by_hand_is_made_again(show: Path) -> None:
    ok(show, "build")
    copy = copy_of_media(show)
    data = copy.read_bytes()
    copy.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    edit_the_title(show)
    ok(show, "build")
    assert copy_of_media(show).read_bytes() == data


@pytest.mark.usefixtures("no_hard_links")
def test_a_new_file_that_cannot_be_put_in_place_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError):
        write_atomic(tmp_path / "nieuw.md", b"---\ntitle: Nieuw\n---\n", exclusive=True)
    assert list(tmp_path.iterdir()) == []
