"""What a build of a show with one episode added loads: the renderers its new pages need,
not the machinery of processes that only a large build starts."""

from __future__ import annotations

from pathlib import Path

from tests.showmaker import many_episodes, modules_loaded_by


def test_a_small_build_loads_no_process_pool(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 3)
    printed, loaded = modules_loaded_by(show_dir, "build", ("concurrent", "multiprocessing"))
    assert "3 episodes" in printed and loaded == []
