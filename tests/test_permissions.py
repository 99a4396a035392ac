"""Files the project writes into a show get the permissions the umask gives, as every
other tool's do: a web server or a second account can read what the umask allows."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mediafactory import mp3_cbr
from tests.test_pipeline import ok


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("umask_027")
def test_every_file_of_the_show_follows_the_umask(tmp_path: Path) -> None:
    show = tmp_path / "show"
    ok(show, "init", str(show), "--title", "Rechten")
    ok(show, "add", str(mp3_cbr(tmp_path, "a.mp3")), "--title", "Eerste")
    ok(show, "tag")
    ok(show, "build")
    modes = {
        str(path.relative_to(show)): stat.S_IMODE(path.stat().st_mode)
        for path in show.rglob("*")
        if path.is_file() and ".mediafeed" not in path.parts
    }
    assert any(name.startswith("feed/media/") for name in modes)
    assert {name: mode for name, mode in modes.items() if mode != 0o640} == {}
