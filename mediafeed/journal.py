"""What the last successful publish was made from, so publishing an unchanged show (from
cron, every few minutes) skips the check and the build and only confirms the store.

The fingerprint covers every input of a build: mediafeed.toml, the episode files, the
files they name (media, images, transcripts), the artwork, the show's templates and
mediafeed's version, by size and modification time, and the destination. A scheduled episode
falling due also counts as a change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from mediafeed.rendercache import fingerprint, stamp, write_json_atomic

JOURNAL = ".mediafeed/published.json"


@dataclass(frozen=True)
class Journal:
    inputs: str
    referenced: tuple[str, ...]  # files the episodes named, relative to the show folder
    next_due: str | None  # ISO time of the next scheduled episode
    episodes: int  # in the feed
    destination: str  # where it went: bucket, prefix, endpoint and public URL

    def inputs_current(self, inputs: str, now: dt.datetime) -> bool:
        """Whether a publish now, of inputs with this fingerprint, would change nothing."""
        if self.next_due is not None and now >= dt.datetime.fromisoformat(self.next_due):
            return False
        return self.inputs == inputs


def input_fingerprint(root: Path, referenced: Iterable[str]) -> str:
    # Fed to the hash as it goes: for a large show the stamps run to megabytes of text.
    digest = hashlib.sha256(fingerprint("inputs").encode())
    for folder in ("episodes", "templates"):
        for path, found in sorted(_walk(os.path.join(root, folder))):
            digest.update(f"{path}\0{found}\n".encode("utf-8", "surrogateescape"))
    base = str(root)
    for name in ("mediafeed.toml", *sorted(set(referenced))):
        digest.update(f"{name}\0{stamp(os.path.join(base, name))}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _walk(folder: str) -> Iterable[tuple[str, tuple[int, int] | None]]:
    for base, _folders, files in os.walk(folder):
        for name in files:
            path = os.path.join(base, name)
            yield path, stamp(path)


def read_journal(root: Path) -> Journal | None:
    try:
        data = json.loads((root / JOURNAL).read_text(encoding="utf-8"))
        return Journal(str(data["inputs"]), tuple(str(n) for n in data["referenced"]),
                       None if data["next_due"] is None else str(data["next_due"]),
                       int(data["episodes"]), str(data["destination"]))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_journal(root: Path, journal: Journal | None) -> None:
    """Record a finished publish; None forgets the last one (the next run does it all)."""
    if journal is None:
        (root / JOURNAL).unlink(missing_ok=True)
        return
    write_json_atomic(root / JOURNAL, asdict(journal))
