"""The pieces of a build's record are kept as text: a record of another layout (pieces in
JSON) is not read, and costs a walk of feed/, not a wrong build."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mediafeed.build import BuildResult, build
from mediafeed.cache import CACHE_FILE, FOLDER, Cache
from mediafeed.config import load_show
from mediafeed.lastbuild import BUILT, last_build
from mediafeed.links import Links
from tests.showmaker import many_episodes

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LINKS = Links("https://podcast.example.org/show")


def again(show: Path) -> BuildResult:
    return build(load_show(show), links=LINKS, now=NOW)


def test_a_record_of_another_layout_is_not_read_and_costs_a_walk(
    show_dir: Path, tmp_path: Path
) -> None:
    slugs = many_episodes(show_dir, tmp_path, 3)
    first = again(show_dir).manifest
    out = str(show_dir / "feed")
    with Cache(show_dir) as cache:
        record = dict(cache.get(BUILT, out))
        del record["layout"]  # as a record whose pieces were JSON has it
        cache.put(BUILT, out, record)
    with Cache(show_dir) as cache:
        assert last_build(cache, out) is None
    (show_dir / "feed" / "stray.txt").write_text("not made by the build\n")
    (show_dir / "episodes" / f"{slugs[0]}.md").unlink()
    walked = again(show_dir).manifest
    assert not (show_dir / "feed" / "stray.txt").exists()
    assert not (show_dir / "feed" / "episodes" / slugs[0]).exists()
    assert len(walked.objects) < len(first.objects)
    with Cache(show_dir) as cache:
        assert last_build(cache, out) is not None
    (show_dir / FOLDER / CACHE_FILE).unlink()
    assert again(show_dir).manifest == walked
