"""Shows for the benchmarks: real MP3s from lame, grown to size by repeating whole frames."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from mutagen.mp3 import MP3
from PIL import Image

START = dt.datetime(2020, 1, 6, 9, 0, tzinfo=dt.UTC)  # hourly from here: all in the past
SEGMENT_SECONDS = 60

SHOW_CONFIG = """\
title = "Een tegen eenzaamheid"
description = "Gesprekken over eenzaamheid en ontmoeting."
author = "Programma Een tegen eenzaamheid"
language = "nl"
categories = [["Health & Fitness", "Mental Health"], ["Government"]]
explicit = false
type = "episodic"
artwork = "artwork.jpg"
link = "https://www.eentegeneenzaamheid.nl/"
guid = "0b1c4c5e-3f0a-5c6e-9a59-2d6b1f7c8e10"

[owner]
name = "Programma Een tegen eenzaamheid"
email = "podcast@example.org"

[publish]
target = "s3://{bucket}/show"
endpoint_url = "{endpoint}"
region = "us-east-1"
public_url = "{endpoint}/{bucket}/show"
"""


@dataclass(frozen=True)
class Item:
    """One episode as raw feedgen gets it: the same facts the feed item carries."""

    slug: str
    title: str
    guid: str
    published: str
    notes: str
    media_url: str
    length: int
    duration: float


def encode_mp3(folder: Path, name: str, *, frequency: int, seconds: float) -> Path:
    """A constant-bitrate MP3 with no LAME/Xing header, so copies of it concatenate into
    one valid stream whose frames mediafeed walks end to end."""
    folder.mkdir(parents=True, exist_ok=True)
    wav, mp3 = folder / f"{name}.wav", folder / f"{name}.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency={frequency}:duration={seconds}", "-ac", "1", "-ar", "44100",
                    str(wav)], check=True)  # fmt: skip
    subprocess.run(["lame", "--quiet", "-t", "--cbr", "-b", "128", str(wav), str(mp3)], check=True)
    wav.unlink()
    return mp3


def seconds_of(mp3: Path) -> float:
    """The playing time of a constant-bitrate MP3 with no header frame, from its size."""
    return float(MP3(mp3).info.length)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def new_show(root: Path, *, bucket: str, endpoint: str) -> Path:
    """The folders, a square cover and the config that `mediafeed init` would start with,
    written here so that the show's files do not depend on either version's code."""
    for folder in ("episodes", "media"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1400, 1400), (22, 58, 89)).save(root / "artwork.jpg", "JPEG", quality=85)
    set_target(root, bucket=bucket, endpoint=endpoint)
    return root


def set_target(root: Path, *, bucket: str, endpoint: str) -> None:
    """Point the show at `bucket` (a file of its own, never a hard link shared with another)."""
    config = root / "mediafeed.toml"
    config.unlink(missing_ok=True)
    config.write_text(SHOW_CONFIG.format(bucket=bucket, endpoint=endpoint), encoding="utf-8")


def copy_show(source: Path, target: Path, *, bucket: str, endpoint: str) -> None:
    """The same show in another folder: media hard-linked (the same bytes, read from the
    same page cache), every other file copied, and its own bucket."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("media"))
    shutil.copytree(source / "media", target / "media", copy_function=os.link)
    set_target(target, bucket=bucket, endpoint=endpoint)


def large_mp3(work: Path, name: str, *, megabytes: int, frequency: int = 440) -> Path:
    """One MP3 of about `megabytes` MB: a 60-second tone's whole frames, repeated."""
    segment = encode_mp3(work, f"{name}-segment", frequency=frequency, seconds=SEGMENT_SECONDS)
    chunk = segment.read_bytes()
    target = work / f"{name}.mp3"
    with target.open("wb") as out:
        for _ in range(max(1, round(megabytes * 1_000_000 / len(chunk)))):
            out.write(chunk)
    return target


def episode_text(number: int, slug: str, *, audio: str, duration: float, length: int,
                 sha256: str) -> str:  # fmt: skip
    published = (START + dt.timedelta(hours=number)).isoformat()
    return (f"---\ntitle: Aflevering {number}\nguid: {uuid.uuid5(uuid.NAMESPACE_URL, slug)}\n"
            f"published: '{published}'\nepisode: {number}\naudio: {audio}\n"
            f"duration: {duration}\nlength: {length}\nmime_type: audio/mpeg\nsha256: {sha256}\n"
            f"---\n\nGesprek nummer {number} over *ontmoeting* in de buurt.\n")  # fmt: skip


def large_media_show(root: Path, work: Path, *, files: int, megabytes_each: int, bucket: str,
                     endpoint: str) -> int:  # fmt: skip
    """`files` episodes of about `megabytes_each` MB of real MP3 each; returns total bytes."""
    new_show(root, bucket=bucket, endpoint=endpoint)
    total = 0
    for number in range(1, files + 1):
        segment = encode_mp3(work, f"tone-{number}", frequency=220 + 40 * number,
                             seconds=SEGMENT_SECONDS)  # fmt: skip
        chunk = segment.read_bytes()
        repeats = max(1, round(megabytes_each * 1_000_000 / len(chunk)))
        slug = f"aflevering-{number:05d}"
        media = root / "media" / f"{slug}.mp3"
        digest = hashlib.sha256()
        with media.open("wb") as out:
            for _ in range(repeats):
                out.write(chunk)
                digest.update(chunk)
        duration = round(seconds_of(segment) * repeats, 3)
        text = episode_text(number, slug, audio=f"media/{slug}.mp3", duration=duration,
                            length=len(chunk) * repeats, sha256=digest.hexdigest())  # fmt: skip
        (root / "episodes" / f"{slug}.md").write_text(text, encoding="utf-8")
        total += len(chunk) * repeats
    return total


def many_episode_show(root: Path, work: Path, *, count: int, bucket: str, endpoint: str
                      ) -> tuple[list[Item], Path]:  # fmt: skip
    """`count` episodes, each media file a hard link of one short real MP3 under its own
    name (so its own media key); returns the items in feed order, newest first, and the
    MP3 they link to (a copy of the show's own: a file system allows only so many links
    to one file, and several such shows are built).

    The same arguments give the same files, so two calls give two identical shows."""
    new_show(root, bucket=bucket, endpoint=endpoint)
    short = work / "short.mp3"
    if not short.exists():
        encode_mp3(work, "short", frequency=330, seconds=1)
    source = work / f"short-{root.name}.mp3"
    shutil.copyfile(short, source)
    duration, length = round(seconds_of(source), 3), source.stat().st_size
    digest = sha256_of(source)
    items = [add_episode(root, source, number, duration, length, digest,
                         endpoint=endpoint, bucket=bucket)
             for number in range(1, count + 1)]  # fmt: skip
    return items[::-1], source


def add_episode(root: Path, source: Path, number: int, duration: float, length: int,
                sha256: str, *, endpoint: str, bucket: str) -> Item:  # fmt: skip
    slug = f"aflevering-{number:05d}"
    os.link(source, root / "media" / f"{slug}.mp3")
    text = episode_text(number, slug, audio=f"media/{slug}.mp3", duration=duration,
                        length=length, sha256=sha256)  # fmt: skip
    (root / "episodes" / f"{slug}.md").write_text(text, encoding="utf-8")
    return Item(
        slug=slug,
        title=f"Aflevering {number}",
        guid=str(uuid.uuid5(uuid.NAMESPACE_URL, slug)),
        published=(START + dt.timedelta(hours=number)).isoformat(),
        notes=f"<p>Gesprek nummer {number} over <em>ontmoeting</em> in de buurt.</p>",
        media_url=f"{endpoint}/{bucket}/show/media/{slug}-{sha256[:12]}.mp3",
        length=length,
        duration=duration,
    )


def write_items(path: Path, items: list[Item]) -> None:
    path.write_text(json.dumps([vars(item) for item in items]), encoding="utf-8")
