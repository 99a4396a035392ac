"""Everything mediafeed remembers locally between runs: one SQLite file, `.mediafeed/cache.db`.

Two tables. `files` holds the SHA-256 of files by path, trusted while the file's stat
signature (size, modification time, inode) is what it was when hashed, and only
once the file was older than a racy window at that moment, so a file rewritten within one
timestamp tick is hashed again. `memo` holds plain JSON values under keys made from the
content of their inputs and the fingerprint of the code that made them: an edit, an
upgrade or a copied-in cache never yields stale output, and nothing read from it is
executed. A damaged, foreign or unreadable file is replaced by an empty cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from mediafeed.errors import MediafeedError
from mediafeed.manifest import sha256_file

FOLDER = ".mediafeed"
CACHE_FILE = "cache.db"
LOCK_FILE = "lock"
# The layout of the tables; what a value means is covered by the code fingerprint.
SCHEMA = 1
# A file whose modification time is this close to the moment it was hashed may change
# again within the same timestamp tick: it is hashed again next time.
RACY_NS = 2_000_000_000
LOCK_WAIT_SECONDS = 600  # how long a command waits for another working on the same show
# The libraries whose output lands in the build; a new version of one is a new fingerprint.
LIBRARIES = tuple(
    "feedgen lxml jinja2 markupsafe markdown nh3 mutagen pillow pyyaml license-expression "
    "imageio-ffmpeg".split()
)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of mediafeed's own modules and templates, as installed or edited, and of the
    versions of the libraries that shape its output."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(names):
            if not name.endswith((".pyc", ".pyo")):
                path = Path(folder, name)
                digest.update(path.relative_to(package).as_posix().encode())
                digest.update(b"\0")
                digest.update(path.read_bytes())
    versions = _installed_versions()
    digest.update(f"\0python={sys.version_info.major}.{sys.version_info.minor}".encode())
    for name in LIBRARIES:
        digest.update(f"\0{name}={versions.get(name, '-')}".encode())
    return digest.hexdigest()


def _installed_versions() -> dict[str, str]:
    """Each installed distribution's version, from the names of its `.dist-info` folders:
    a look at a few folders, where `importlib.metadata` would load an email parser into
    every command."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                project, _, version = name.removesuffix(".dist-info").partition("-")
                found.setdefault(project.lower().replace("_", "-"), version)
    return found


def memo_key(*parts: object) -> str:
    """A key for values made from `parts` (plain data) by this code."""
    try:  # the common case, text only, needs no JSON pass
        text = "s\0" + "\0".join(parts)  # type: ignore[arg-type]
    except TypeError:
        text = "j\0" + json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    digest = _code_hash().copy()
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_hash() -> hashlib._Hash:
    """The hash of every key, fed the code fingerprint: a large build makes tens of
    thousands of keys."""
    return hashlib.sha256(f"{code_fingerprint()}\0".encode())


def _absolute(path: str | os.PathLike[str]) -> str:
    name = path if isinstance(path, str) else os.fspath(path)  # asked for every file read
    return name if name.startswith(os.sep) or os.path.isabs(name) else os.path.abspath(name)


def signature(stat: os.stat_result) -> str:
    # A file replaced by an older one (cp -p, unzip, rsync -a) comes with another time or
    # another inode; one rewritten within the same tick is caught by the racy window.
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def trusted_signature(stat: os.stat_result, checked_ns: int | None = None) -> str:
    """The signature to remember of a file whose bytes were read from `checked_ns` (now if
    not given): "racy" while it may still change within the same timestamp tick."""
    checked = checked_ns if checked_ns is not None else time.time_ns()
    return signature(stat) if stat.st_mtime_ns < checked - RACY_NS else "racy"


class Cache:
    """The show's cache, open for one command. Values are plain JSON; keys come from
    `memo_key`. Writes are kept in one transaction and committed by `close`."""

    def __init__(self, root: Path, *, create: bool = True) -> None:
        """`create`: make the cache file if the show has none (a dry run makes none)."""
        self.path = root / FOLDER / CACHE_FILE
        self.db = _open(self.path) if create or self.path.exists() else _connect(":memory:")
        self.closed = False
        self._files: dict[str, tuple[str, str]] | None = None
        self._used: dict[str, set[str]] = {}
        # Written in one go at the end: an INSERT each would cost a large show's build
        # more than the work it does for most of its files.
        self._new_files: dict[str, tuple[str, str]] = {}
        self._new_values: dict[tuple[str, str], str] = {}
        # Values read once per command: a publish checks, then builds, the same episodes.
        self._read: dict[tuple[str, str], Any] = {}

    def commit(self) -> None:
        """Make what was stored so far last, whatever happens to this process next."""
        files = [(path, *entry) for path, entry in self._new_files.items()]
        values = [(*key, value) for key, value in self._new_values.items()]
        self._new_files.clear()
        self._new_values.clear()
        try:
            self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", files)
            self.db.executemany("INSERT OR REPLACE INTO memo VALUES (?, ?, ?)", values)
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            self._damaged(exc)

    def forget(self) -> None:
        """Drop what this command stored or deleted since the last commit: a dry run leaves
        the cache as it found it."""
        self._files = None
        self._new_files.clear()
        self._new_values.clear()
        with contextlib.suppress(sqlite3.Error):
            self.db.rollback()

    def close(self) -> None:
        self.commit()
        self.db.close()
        self.closed = True

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- content hashes of files --------------------------------------------------------

    def sha256(self, path: str | os.PathLike[str], stat: os.stat_result | None = None) -> str:
        """The file's SHA-256: remembered while its stat signature is unchanged."""
        name = _absolute(path)
        stat = stat or os.stat(name)
        known = self.known_sha256(name, stat)
        if known is not None:
            return known
        checked = time.time_ns()
        digest = sha256_file(name)
        self.remember_sha256(name, stat, digest, checked_ns=checked)
        return digest

    def known_sha256(self, path: str | os.PathLike[str], stat: os.stat_result) -> str | None:
        """The file's SHA-256 if it is known for this stat signature, without reading it."""
        known = self._known_files().get(_absolute(path))
        return known[1] if known is not None and known[0] == signature(stat) else None

    def remembered(self, path: str | os.PathLike[str]) -> tuple[str, str] | None:
        """The stat signature ("racy": not to be trusted) and SHA-256 the cache holds for the
        file, without looking at it."""
        return self._known_files().get(_absolute(path))

    def remember_sha256(
        self,
        path: str | os.PathLike[str],
        stat: os.stat_result,
        digest: str,
        *,
        checked_ns: int | None = None,
        written: bool = False,
    ) -> None:
        """Note the hash of bytes just read (`checked_ns`: when reading began) or just
        `written` by this build into its own output folder (`stat` taken after)."""
        name = _absolute(path)
        # What the build itself wrote, it knows.
        entry = (signature(stat) if written else trusted_signature(stat, checked_ns), digest)
        files = self._known_files()
        if files.get(name) != entry:
            files[name] = self._new_files[name] = entry

    def _known_files(self) -> dict[str, tuple[str, str]]:
        if self._files is None:
            rows = self._query("SELECT path, signature, sha256 FROM files", ())
            self._files = {path: (signature, digest) for path, signature, digest in rows}
            self._files.update(self._new_files)
        return self._files

    # ---- values made from inputs --------------------------------------------------------

    def get(self, kind: str, key: str) -> Any:
        """The value stored under (kind, key), or None."""
        return self.get_many(kind, [key]).get(key)

    def get_many(self, kind: str, keys: list[str], *, text: bool = False) -> dict[str, Any]:
        """Stored values by key, for those of `keys` there are. Callers must not change
        what they get: a command that asks again gets the same objects. `text`: values
        `put` as text, not JSON (a feed's items are megabytes of text, decoding them
        would cost more than reading them)."""
        load = str if text else json.loads
        found: dict[str, Any] = {}
        wanted = []
        for key in dict.fromkeys(keys):
            if (kind, key) in self._new_values:
                found[key] = load(self._new_values[kind, key])
            elif (kind, key) in self._read:
                found[key] = self._read[kind, key]
            else:
                wanted.append(key)
        rows: list[Any] = []
        if len(wanted) > 500:  # most of a kind: one pass over it beats many look-ups
            wanted_set = set(wanted)
            rows = [
                row
                for row in self._query("SELECT key, value FROM memo WHERE kind = ?", (kind,))
                if row[0] in wanted_set
            ]
        elif wanted:  # few enough for one query's parameters on any SQLite
            marks = ",".join("?" * len(wanted))
            rows = self._query(
                f"SELECT key, value FROM memo WHERE kind = ? AND key IN ({marks})", (kind, *wanted)
            )
        for key, value in rows:
            with contextlib.suppress(TypeError, ValueError):
                found[key] = self._read[kind, key] = load(value)
        self._used.setdefault(kind, set()).update(found)
        return found

    def put(self, kind: str, key: str, value: Any, *, text: bool = False) -> None:
        """`text`: a str stored as it is, for `get_many(..., text=True)`."""
        self._used.setdefault(kind, set()).add(key)
        self._new_values[kind, key] = value if text else json.dumps(value, ensure_ascii=False)

    def values_of(self, kind: str) -> dict[str, Any]:
        """Every value of `kind` the cache holds, by key (one by one if one is damaged)."""
        rows = dict(self._query("SELECT key, value FROM memo WHERE kind = ?", (kind,)))
        rows.update((key, value) for (of, key), value in self._new_values.items() if of == kind)
        with contextlib.suppress(TypeError, ValueError):
            return dict(zip(rows, json.loads(f"[{','.join(rows.values())}]"), strict=True))
        found: dict[str, Any] = {}
        for key, value in rows.items():
            with contextlib.suppress(TypeError, ValueError):
                found[key] = json.loads(value)
        return found

    def drop(self, kind: str, keys: Iterable[str]) -> None:
        """Forget the values of `kind` under `keys`, stored before or by this command."""
        gone = [(kind, key) for key in keys]
        for entry in gone:
            self._new_values.pop(entry, None)
            self._read.pop(entry, None)
        with contextlib.suppress(sqlite3.Error):
            self.db.executemany("DELETE FROM memo WHERE kind = ? AND key = ?", gone)

    def stored(self, kind: str) -> bool:
        """Whether this command stored values of `kind`."""
        return any(entry[0] == kind for entry in self._new_values)

    def used(self, kind: str) -> set[str]:
        """The keys of `kind` this command read or stored."""
        return self._used.get(kind, set())

    def keep_only(self, kind: str, keys: set[str]) -> None:
        """Forget the values of `kind` not under `keys`: what the last run used stays. Only
        a run that stored values of the kind looks: the others leave as many as they found."""
        if self.stored(kind):
            rows = self._query("SELECT key FROM memo WHERE kind = ?", (kind,))
            new = [key for of, key in self._new_values if of == kind]
            self.drop(kind, [key for key in {*(row[0] for row in rows), *new} if key not in keys])

    def _query(self, sql: str, args: tuple[object, ...]) -> list[Any]:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            self._damaged(exc)
            return []

    def _damaged(self, exc: sqlite3.DatabaseError) -> None:
        """A file damaged past its header (cut short, overwritten) is started afresh;
        a locked or read-only one is left to whoever holds it."""
        if isinstance(exc, sqlite3.OperationalError):
            return
        self.db.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
        self.db = _open(self.path)
        self._files = None
        self._used.clear()
        self._read.clear()


def _open(path: Path) -> sqlite3.Connection:
    """The cache at `path`, made anew when it is missing, damaged or of another layout; in
    memory when the show folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = _connect(str(path))
    except (OSError, sqlite3.Error):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        try:
            db = _connect(str(path))
        except sqlite3.Error:
            db = _connect(":memory:")
    return db


def _connect(name: str) -> sqlite3.Connection:
    db = sqlite3.connect(name, timeout=30, isolation_level="DEFERRED")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            db.executescript(
                "DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS memo;"
                "CREATE TABLE files (path TEXT PRIMARY KEY, signature TEXT, sha256 TEXT);"
                "CREATE TABLE memo (kind TEXT, key TEXT, value TEXT, PRIMARY KEY (kind, key));"
                f"PRAGMA user_version = {SCHEMA};"
            )
        db.execute("SELECT count(*) FROM files").fetchone()
    except sqlite3.Error:
        db.close()
        raise
    return db


class ShowBusy(MediafeedError):
    """Another mediafeed command holds the show for longer than a command waits."""


@contextlib.contextmanager
def show_locked(
    root: Path, *, wait: float = LOCK_WAIT_SECONDS, create: bool = True
) -> Iterator[None]:
    """One command at a time builds or publishes a show; a second one waits its turn.
    Without `create` (a dry run, which writes nothing) a show with no cache folder yet
    has no command to wait for."""
    folder = root / FOLDER
    try:
        if not create and not folder.is_dir():
            raise FileNotFoundError(folder)
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        yield  # a read-only show: nothing here to keep apart
        return
    import filelock  # here: only building and publishing need it

    lock = filelock.FileLock(str(folder / LOCK_FILE))
    try:
        lock.acquire(timeout=wait)
    except filelock.Timeout:
        raise ShowBusy(
            f"another mediafeed command has been working on this show for over "
            f"{wait:.0f} s; try again when it has finished",
            path=folder / LOCK_FILE,
        ) from None
    try:
        yield
    finally:
        lock.release()
