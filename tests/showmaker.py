"""Shows of any size for lifecycle tests: one real encoded MP3, hard-linked per episode."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from mediafeed.episodes import render_episode_file
from mediafeed.manifest import cache_control, content_type, sha256_file
from mediafeed.media.probe import probe
from mediafeed.model import OutputObject
from tests.mediafactory import mp3_cbr

START = dt.datetime(2020, 1, 6, 9, 0, tzinfo=dt.UTC)


def write_episode(
    show: Path, slug: str, media: Path, *, published: dt.datetime, notes: str = "", **fields: object
) -> Path:
    """An episode file for `media` (already inside the show), with its probed facts."""
    info = probe(media)
    data: dict[str, object] = {
        "title": f"Aflevering {slug}",
        "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, slug)),
        "published": published,
        "audio": media.relative_to(show).as_posix(),
        "duration": round(info.duration, 3),
        "length": info.length,
        "mime_type": info.mime_type,
        "sha256": info.sha256,
        **fields,
    }
    path = show / "episodes" / f"{slug}.md"
    path.write_text(render_episode_file(data, notes), encoding="utf-8")
    return path


def many_episodes(show: Path, tmp_path: Path, count: int) -> list[str]:
    """`count` weekly episodes sharing one real MP3 through hard links; slugs oldest first."""
    source = mp3_cbr(tmp_path, "gedeeld.mp3", seconds=1.0)
    info = probe(source)
    header = (
        f"audio: media/{{slug}}.mp3\nduration: {round(info.duration, 3)}\n"
        f"length: {info.length}\nmime_type: {info.mime_type}\nsha256: {info.sha256}\n"
    )
    slugs = []
    for number in range(1, count + 1):
        slug = f"aflevering-{number:05d}"
        os.link(source, show / "media" / f"{slug}.mp3")
        published = (START + dt.timedelta(days=7 * number)).isoformat()
        text = (
            f"---\ntitle: Aflevering {number}\nguid: ep-{number}\npublished: '{published}'\n"
            f"episode: {number}\n"
            + header.format(slug=slug)
            + f"---\n\nGesprek nummer {number} over *ontmoeting*.\n"
        )
        (show / "episodes" / f"{slug}.md").write_text(text, encoding="utf-8")
        slugs.append(slug)
    return slugs


def build_object(root: Path, key: str, data: bytes | None = None) -> OutputObject:
    """A manifest entry for `root/key`, writing `data` there first when given."""
    path = root / key
    if data is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return output_object(key, path)


def output_object(key: str, path: Path) -> OutputObject:
    """The manifest entry for a file as it is on disk."""
    return OutputObject(
        key=key,
        path=str(path),
        size=path.stat().st_size,
        sha256=sha256_file(path),
        content_type=content_type(key),
        cache_control=cache_control(key),
    )


def modules_loaded_by(show: Path, command: str, packages: tuple[str, ...]) -> tuple[str, list[str]]:
    """What a command prints, run in a fresh process, and which modules of these top-level
    packages it loaded."""
    script = (
        "import json, sys\nfrom mediafeed.cli import cli\n"
        f"cli.main(['-C', {str(show)!r}, {command!r}], standalone_mode=False)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {packages!r})))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    printed, _, last = done.stdout.rstrip().rpartition("\n")
    loaded: list[str] = json.loads(last)
    return printed, loaded
