"""What a build of a show with one episode added loads: the renderers its new pages need,
not the machinery of processes that only a large build starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.showmaker import many_episodes


def test_a_small_build_loads_no_process_pool(show_dir: Path, tmp_path: Path) -> None:
    many_episodes(show_dir, tmp_path, 3)
    script = (
        "import sys\nfrom mediafeed.cli import cli\n"
        f"cli.main(['-C', {str(show_dir)!r}, 'build'], standalone_mode=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('concurrent', 'multiprocessing'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "3 episodes" in done.stdout and done.stdout.strip().endswith("[]"), done.stdout
