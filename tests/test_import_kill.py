"""An import with --download-media killed (SIGKILL) at random moments: the next run
finishes it, fetches nothing twice, and no file is ever found half written."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mediafeed.config import load_show
from mediafeed.episodes import load_episodes
from tests.mediafactory import mp3_cbr
from tests.oldhost import OldHost, old_host

SLUGS = ("eerste", "tweede", "derde")
TRIALS = 8


def feed(host: OldHost) -> str:
    items = "".join(
        f"<item><title>{slug.title()}</title><guid>kill-{slug}</guid>"
        f"<link>https://old.example/episodes/{slug}</link>"
        f"<pubDate>Mon, 0{n} Jan 2024 08:00:00 +0000</pubDate>"
        f'<enclosure url="{host.url(slug + ".mp3")}" type="audio/mpeg"/></item>'
        for n, slug in enumerate(SLUGS, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        "<title>Killed</title><link>https://old.example/</link><language>nl</language>"
        '<itunes:image href="' + host.url("cover.jpg") + '"/>'
        f"{items}</channel></rss>"
    )


def start(feed_path: Path, show: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mediafeed", "import", "--download-media"]
    return subprocess.Popen(
        [*command, str(feed_path), str(show)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def assert_nothing_half_written(show: Path, sources: dict[str, bytes]) -> None:
    """Whatever a killed run left: each file under its own name is whole."""
    if (show / "mediafeed.toml").exists():
        load_show(show)
    load_episodes(show / "episodes")  # every episode file reads
    for path in (show / "media").glob("*") if (show / "media").is_dir() else []:
        if not path.name.endswith(".part") and not path.name.startswith("."):
            assert path.read_bytes() == sources[path.name], f"{path.name} is not whole"


@pytest.mark.slow
def test_a_killed_import_is_finished_by_the_next_run_without_fetching_twice(
    tmp_path: Path,
) -> None:
    root = tmp_path / "oldhost"
    root.mkdir()
    for slug in SLUGS:
        mp3_cbr(root, f"{slug}.mp3", seconds=6.0)
    (root / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(2000))
    sources = {path.name: path.read_bytes() for path in root.iterdir()}
    show = tmp_path / "show"
    rng = random.Random(12)  # the same moments every run of the test
    with old_host(root, pace=0.02, chunk=2048) as host:
        feed_path = tmp_path / "feed.xml"
        feed_path.write_text(feed(host))
        for _ in range(TRIALS):
            media = show / "media"
            done = {p.name for p in media.glob("*.mp3")} if media.is_dir() else set()
            parts = {p.name[: -len(".part")]: p.stat().st_size for p in media.glob("*.part")}
            seen = len(host.requests)
            process = start(feed_path, show)
            time.sleep(rng.uniform(0.2, 1.5))
            process.kill()
            process.wait()
            for request in host.requests[seen:]:
                if request.method == "GET" and request.name.endswith(".mp3"):
                    assert request.name not in done, f"{request.name} fetched again"
                    assert request.start == parts.get(request.name, 0), "not resumed"
            assert_nothing_half_written(show, sources)
        finished = subprocess.run(
            [sys.executable, "-m", "mediafeed", "import", "--download-media"]
            + [str(feed_path), str(show)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert finished.returncode == 0, finished.stderr
    episodes = load_episodes(show / "episodes")
    assert sorted(ep.slug for ep in episodes) == sorted(SLUGS)
    for ep in episodes:
        assert ep.enclosure_url is None
        assert (show / ep.audio).read_bytes() == sources[f"{ep.slug}.mp3"]
    assert load_show(show).artwork == "cover.jpg"
    leftovers = [p for p in show.rglob("*") if p.name.endswith((".part", ".tmp"))]
    assert leftovers == [] and not (show / "mediafeed.import.toml").exists()


def test_an_import_killed_while_writing_leaves_nothing_or_what_a_rerun_finishes(
    tmp_path: Path,
) -> None:
    items = "".join(
        f"<item><title>Aflevering {n}</title><guid>g-{n}</guid>"
        f"<link>https://old.example/e/aflevering-{n}</link>"
        "<pubDate>Mon, 01 Jan 2024 08:00:00 +0000</pubDate><description>Notes</description>"
        f'<enclosure url="https://old.example/m/{n}.mp3" length="1000" type="audio/mpeg"/>'
        "</item>"
        for n in range(400)
    )
    feed_path = tmp_path / "feed.xml"
    feed_path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Groot</title>'
        f"<link>https://old.example/</link><language>nl</language>{items}</channel></rss>"
    )
    show = tmp_path / "show"
    command = [sys.executable, "-m", "mediafeed", "import", str(feed_path), str(show)]
    rng = random.Random(7)
    for _ in range(4):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.2))
        process.kill()
        process.wait()
        if (show / "mediafeed.toml").exists():
            break  # a whole show: what follows is an ordinary re-run
        assert_nothing_half_written(show, {})
    written = {p.name: p.read_bytes() for p in (show / "episodes").glob("*.md")}
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    episodes = load_episodes(show / "episodes")
    assert len(episodes) == 400 and load_show(show).title == "Groot"
    assert {name: (show / "episodes" / name).read_bytes() for name in written} == written
    assert not [p for p in show.rglob("*") if p.name.endswith(".tmp")]
    assert not (show / "mediafeed.import.toml").exists()
