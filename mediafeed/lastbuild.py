"""What the last build of an output folder wrote and read: each unit of files with the
SHA-256 and stat signature of every file as written, and every input by content. A build
whose inputs all hold the content they had and whose files are all as written takes it
whole, without reading an episode or planning a file.

Kept in the cache under the output folder (a build after a change of the code still learns
from it what to remove); what a unit was made from is a memo key, so the code is in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from zlib import crc32

from mediafeed.cache import Cache, memo_key, signature, trusted_signature
from mediafeed.fragments import Found, Wanted
from mediafeed.links import MEDIA_FOLDER
from mediafeed.manifest import cache_control, content_type, sha256_file, upload_rank
from mediafeed.model import Episode, Manifest, OutputObject, Show, Status
from mediafeed.output import files_under, markdown_files, write_if_changed, write_new
from mediafeed.workers import Apart, Processes

BUILT = "built"  # the cache's kind
# The record's texts of a line per file, kept in pieces of about this many lines.
TEXTS = ("linked", "inputs", "permalinks")
PIECE_LINES = 64
# How the pieces are kept, noted in the record: as text, where decoding megabytes of JSON
# strings cost a build more than reading them; a record that says otherwise is not read.
LAYOUT = "text"

# Where a file of feed/ is and what it holds: its path, size and SHA-256, and its content
# type (None: the one its key gives).
Placed = tuple[str, int, str, str | None]


@dataclass(frozen=True)
class LastBuild:
    units: dict[str, str]  # memo key -> a line per file: key, SHA-256, stat signature
    linked: str  # the show's own files linked into feed/, with content type and source
    base: str  # what every output is made from: the show, its templates, the code
    published: list[str]  # the pages the store served, kept as notices
    inputs: str  # a line per file read: path, SHA-256, stat signature; episode files first
    episodes: int  # how many of `inputs` are episode files
    window: list[str | None]  # the newest public and the next scheduled episode's time
    statuses: dict[str, int]  # how many episodes had each status
    permalinks: str  # a line per page: episode guid and page key
    others: bool  # whether it wrote files outside feed/ (an old host's redirects)


# A file of feed/ by its key, and how to make its bytes.
Planned = tuple[str, Callable[[], bytes]]


@dataclass(frozen=True)
class Unit:
    """Files of feed/ made from the same inputs (`made_from`, a memo key). `files` gives
    them, asked only when the last build's record does not hold them as made from these
    inputs: a build that adds an episode plans the files of that one."""

    made_from: str
    files: Callable[[], Sequence[Planned]]
    # An episode's unit: the listings' fragments of its episode, made beside its files.
    # It needs no cache, so a large build may make it in another process.
    wanted: Wanted | None = None


def last_build(cache: Cache, out: str) -> LastBuild | None:
    """The last build's record, None if there is none whole of this layout (feed/ must then
    be walked, and every unit is made again)."""
    data = cache.get(BUILT, out)
    if not isinstance(data, dict) or not all(isinstance(data.get(t), list) for t in TEXTS):
        return None
    if data.get("layout") != LAYOUT:
        return None
    pieces = _stored_pieces(cache, out, data)
    units = cache.values_of(_units_kind(out))
    if not all(key in pieces for name in TEXTS for key in data[name]) or not all(
        isinstance(entry, str) for entry in units.values()
    ):
        return None
    texts = {name: "\n".join(pieces[key] for key in data[name]) for name in TEXTS}
    try:
        fields = {name: found for name, found in data.items() if name != "layout"}
        return LastBuild(**{**fields, **texts, "units": units})
    except TypeError:
        return None


def save(cache: Cache, out: str, record: LastBuild, last: LastBuild | None) -> None:
    """Write back the record; of its units (`last`: the record read) only those that
    changed, each its own value: adding an episode writes one, not ten thousand. Its long
    texts go in pieces, each under its content, of which only the new are written."""
    kind = _units_kind(out)
    _write_back(cache, kind, last.units if last else cache.values_of(kind), record.units)
    value: dict[str, Any] = {name: found for name, found in vars(record).items() if name != "units"}
    value["layout"] = LAYOUT
    pieces: dict[str, str] = {}
    for name in TEXTS:
        texts = _pieces(getattr(record, name))
        value[name] = [memo_key(BUILT, piece) for piece in texts]
        pieces.update(zip(value[name], texts, strict=True))
    before = _stored_pieces(cache, out, cache.get(BUILT, out))
    _write_back(cache, _pieces_kind(out), before, pieces, text=True)
    cache.put(BUILT, out, value)


def _write_back(cache: Cache, kind: str, before: dict[str, Any], now: dict[str, str], *,
                text: bool = False) -> None:  # fmt: skip
    """Make the values of `kind` those of `now`, writing only what differs from `before`."""
    cache.drop(kind, before.keys() - now.keys())
    for key, value in now.items():
        if before.get(key) != value:
            cache.put(kind, key, value, text=text)


def _pieces(text: str) -> list[str]:
    """The text in runs of lines, each ending at a line that its checksum picks: a line
    added or changed changes the run it falls in, and the others stay as they were."""
    lines = text.split("\n")
    sums = [
        crc32(line) % PIECE_LINES for line in text.encode("utf-8", "surrogatepass").split(b"\n")
    ]
    ends = [end for end, picked in enumerate(sums, 1) if not picked]
    starts = [0, *ends]
    if ends[-1:] != [len(lines)]:
        ends.append(len(lines))
    return ["\n".join(lines[start:end]) for start, end in zip(starts, ends, strict=False)]


def _stored_pieces(cache: Cache, out: str, record: Any) -> dict[str, str]:
    """The pieces a stored record's texts are in, by key: those the cache holds."""
    if not isinstance(record, dict):
        return {}
    listed = (record[name] for name in TEXTS if isinstance(record.get(name), list))
    keys = [key for found in listed for key in found if isinstance(key, str)]
    if record.get("layout") != LAYOUT:
        return dict.fromkeys(keys, "")  # of another layout: their keys, to be dropped
    pieces = cache.get_many(_pieces_kind(out), keys, text=True)
    return {key: piece for key, piece in pieces.items() if isinstance(piece, str)}


def _pieces_kind(out: str) -> str:
    return f"{BUILT}-piece:{out}"


def _units_kind(out: str) -> str:
    return f"{BUILT}-unit:{out}"


def made_record(cache: Cache, units: dict[str, str], linked: dict[str, str], *, base: str,
                published: Collection[str], now: dt.datetime, episodes: Sequence[Episode],
                public: Sequence[Episode], read: dict[str, str], statuses: Counter[Status],
                permalinks: Sequence[tuple[str, str]], others: bool) -> LastBuild:  # fmt: skip
    """The record of a build: its units, the files it linked (`linked`, a line each), what
    it read: the episode files and the files they name (`read`, by the SHA-256 it used),
    and how many episodes had each status."""
    scheduled = statuses[Status.SCHEDULED]
    due = [ep.published for ep in episodes if scheduled and ep.status(now) is Status.SCHEDULED]
    inputs = sorted((ep.source_file, ep.revision) for ep in episodes) + sorted(read.items())
    window = [max(ep.published for ep in public).isoformat() if public else None,
              min(due).isoformat() if due else None]  # fmt: skip
    return LastBuild(units, "\n".join(linked[key] for key in sorted(linked)), base,
                     sorted(published), inputs_text(cache, inputs), len(episodes), window,
                     {status.value: number for status, number in statuses.items()},
                     "\n".join(f"{guid}\t{key}" for guid, key in permalinks), others)  # fmt: skip


def inputs_text(cache: Cache, inputs: list[tuple[str, str]]) -> str:
    """The record's lines of the files a build read, each by the SHA-256 the build used and
    the signature the cache trusts it by while that is the hash it holds."""
    lines = []
    for path, digest in inputs:
        known = cache.remembered(path)
        lines.append(f"{path}\t{digest}\t{known[0] if known and known[1] == digest else 'racy'}")
    return "\n".join(lines)


def stale(out: Path, last: LastBuild | None, made: dict[str, str]) -> set[str]:
    """What the last build wrote that is not of the units made now (to be removed unless
    made again); with no record, every file in the folder."""
    if last is None:
        return files_under(out)
    linked = {line.partition("\t")[0] for line in last.linked.split("\n") if line}
    return linked | {line.partition("\t")[0] for made_from, entry in last.units.items()
                     if made_from not in made for line in entry.split("\n")}  # fmt: skip


def unchanged(
    show: Show, cache: Cache, last: LastBuild, *, base: str, published: Collection[str],
    now: dt.datetime,
) -> dict[str, Placed] | None:  # fmt: skip
    """Every file of the last build, if a build now would make them all as they are: the
    same inputs by content, no episode due or made public since, and every file in feed/
    still as written. None otherwise (or for a show whose build writes more than feed/)."""
    # Only a record this code made (`base` holds the code fingerprint), of a build that
    # writes feed/ alone and no renditions (those are checked against their media).
    if last.base != base or last.others or show.formats:
        return None
    newest, due = (None if t is None else dt.datetime.fromisoformat(t) for t in last.window)
    if (
        last.published != sorted(published)
        or (newest is not None and now < newest)
        or (due is not None and now >= due)
    ):
        return None
    inputs = last.inputs.split("\n") if last.inputs else []
    try:
        names = markdown_files(str(show.episodes_dir))
    except OSError:
        return None  # the build that follows says what is wrong
    if [line.partition("\t")[0] for line in inputs[: last.episodes]] != names:
        return None
    stats = {}
    for line in inputs:
        path, digest, known = line.split("\t")
        try:
            stat = stats[path] = os.stat(path)
        except OSError:
            return None
        # The signature the file had when it was hashed; else, by content.
        if signature(stat) != known and cache.sha256(path, stat) != digest:
            return None
    out = str(show.output_dir)
    placed: dict[str, Placed] = {}
    if not all(_kept(out, entry, placed) for entry in last.units.values()):
        return None
    media = inodes(os.path.join(out, MEDIA_FOLDER))
    for line in last.linked.split("\n"):
        key, digest, known, mime, source = line.split("\t")
        path = os.path.join(out, key)
        found = stats.get(source)
        if found is not None and media.get(key) == (found.st_ino, found.st_dev):
            stat = found  # still a link of its source, whose stat was just taken
        else:
            try:
                stat = os.stat(path)
            except OSError:
                return None
        if signature(stat) != known:
            return None
        placed[key] = (path, stat.st_size, digest, mime)
    return placed


def inodes(folder: str) -> dict[str, tuple[int, int]]:
    """Each file's inode and device by key, from one read of the folder: on most systems
    the inode comes with the name, where a stat per file would cost ten thousand calls."""
    try:
        device = os.stat(folder).st_dev
        with os.scandir(folder) as entries:
            return {f"{MEDIA_FOLDER}/{e.name}": (e.inode(), device) for e in entries}
    except OSError:
        return {}


def place(
    out: str,
    units: Iterable[Unit],
    last: dict[str, str],
    *,
    write: bool = True,
    fragments: Callable[[Sequence[Wanted]], Found] | None = None,
    processes: Processes | None = None,
) -> tuple[dict[str, Placed], dict[str, str], Found]:
    """Write each file whose bytes on disk are not those its inputs make (without `write`,
    only say what they would be). Returns every file, what the build's record keeps of
    each unit (its files' keys, SHA-256 and stat signatures as written, one line each),
    and the fragments (`fragments` renders them) of the units made apart, in `processes`
    when there are many."""
    placed: dict[str, Placed] = {}
    made: dict[str, str] = {}
    found: Found = {}
    apart = Apart(partial(_make_all, out, fragments), processes)
    for unit in units:
        entry = last.get(unit.made_from)
        if entry is not None and _kept(out, entry, placed):
            made[unit.made_from] = entry
        elif unit.wanted is not None and write:
            apart.add((unit, entry))
        else:
            made[unit.made_from] = _placed(out, unit, entry, placed, write=write)
    for their_placed, their_made, their_found in apart.results():
        placed.update(their_placed)
        made.update(their_made)
        for kind, fragments_of_kind in their_found.items():
            found.setdefault(kind, {}).update(fragments_of_kind)
    return placed, made, found


def _make_all(
    out: str,
    fragments: Callable[[Sequence[Wanted]], Found] | None,
    jobs: list[tuple[Unit, str | None]],
) -> tuple[dict[str, Placed], dict[str, str], Found]:
    """Make these units (each with its entry in the last record), here or in a process of
    their own; what they placed, their lines of the record, and their fragments."""
    placed: dict[str, Placed] = {}
    made = {unit.made_from: _placed(out, unit, e, placed, write=True) for unit, e in jobs}
    wanted = [unit.wanted for unit, _ in jobs if unit.wanted is not None]
    return placed, made, fragments(wanted) if fragments is not None and wanted else {}


def _placed(out: str, unit: Unit, entry: str | None, placed: dict[str, Placed], *, write: bool
            ) -> str:  # fmt: skip
    """A unit's files made where they do not hold what its inputs make; its record."""
    recorded = lines(entry) if entry is not None else {}
    written = []
    for key, render in unit.files():
        path = f"{out}/{key}"
        digest, known = recorded.get(key, ("", ""))
        try:
            stat: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            stat = None
        found = signature(stat) if stat is not None else None
        if stat is not None and digest and found != known:
            found = holding(path, stat, digest)  # touched or copied: the same bytes?
        if found is None or not digest:
            data = render()
            digest = hashlib.sha256(data).hexdigest()
            if not write:
                placed[key] = (path, len(data), digest, None)
                continue
            stat = write_new(path, data) if stat is None else write_if_changed(path, data)
            found = signature(stat)  # what the build wrote itself, it knows
        assert stat is not None
        placed[key] = (path, stat.st_size, digest, None)
        written.append(f"{key}\t{digest}\t{found}")
    return "\n".join(written)


def _kept(out: str, entry: str, placed: dict[str, Placed]) -> bool:
    """Whether every file of a unit the last build made from the same inputs still has the
    stat signature it wrote (each goes into `placed`, where a unit made again replaces
    it): one stat per file, where planning the unit's files would cost more than the rest
    of its check."""
    for line in entry.split("\n"):
        try:
            key, digest, known = line.split("\t")
            stat = os.stat(f"{out}/{key}")
        except (OSError, ValueError):  # gone, or not a line of ours
            return False
        if not digest or signature(stat) != known:
            return False
        placed[key] = (f"{out}/{key}", stat.st_size, digest, None)
    return True


def lines(entry: str) -> dict[str, tuple[str, str]]:
    """A unit's entry in the record, by key: the SHA-256 and stat signature of each file."""
    found = {}
    for line in entry.split("\n"):
        key, _, rest = line.partition("\t")
        digest, _, known = rest.partition("\t")
        found[key] = (digest, known)
    return found


def holding(path: str, stat: os.stat_result, digest: str) -> str | None:
    """The signature to remember of a file that still holds the bytes `digest` names
    ("racy" if it may change again within its timestamp tick), None if it holds others."""
    checked = time.time_ns()
    try:
        if sha256_file(path) != digest:
            return None
    except OSError:
        return None
    return trusted_signature(stat, checked)


def manifest(placed: dict[str, Placed], permalinks: tuple[tuple[str, str], ...]) -> Manifest:
    """The manifest of the files placed, in upload order."""
    objects = [
        OutputObject(key, path, size, sha256, mime or content_type(key), cache_control(key))
        for key, (path, size, sha256, mime) in placed.items()
    ]
    ordered = sorted(objects, key=lambda obj: (upload_rank(obj.key), obj.key))
    return Manifest(tuple(ordered), permalinks=permalinks)


def recorded(statuses: dict[str, Any]) -> Counter[Status]:
    return Counter({Status(name): number for name, number in statuses.items()})


def permalinks_of(last: LastBuild) -> tuple[tuple[str, str], ...]:
    pairs = (line.partition("\t") for line in last.permalinks.split("\n") if line)
    return tuple((guid, key) for guid, _, key in pairs)
