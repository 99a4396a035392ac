"""Caches of Python objects that only this user's mediafeed can have written.

Loading a pickle runs whatever it names, so a cache file must never be trusted for being
in the show folder (a show can arrive as an archive, or from a shared repository). Every
record in a file is signed with a key kept in the user's state folder, beside the local store's
credentials; a record whose signature does not match is ignored like a missing one.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
from pathlib import Path
from typing import Any

from mediafeed.state import default_state_dir

KEY_FILE = "cache.key"
MAGIC = b"mediafeed-cache-1\n"
_DIGEST = hashlib.sha256().digest_size


def _existing_key() -> bytes | None:
    try:
        key = (default_state_dir() / KEY_FILE).read_bytes()
    except OSError:
        return None
    return key if len(key) == 32 else None


def _key() -> bytes:
    """This user's key, made on first use."""
    existing = _existing_key()
    if existing is not None:
        return existing
    path = default_state_dir() / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{KEY_FILE}.")  # created 0600
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    try:
        os.link(tmp, path)  # never replaces a key another process made meanwhile
    except FileExistsError:
        key = path.read_bytes()
    finally:
        os.unlink(tmp)
    return key


def write_atomic(path: Path, data: bytes) -> None:
    """Caches are written whole or not at all: a temp file, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# A dict that grows by a few entries per run is not written whole each time: the file
# holds a whole copy, then the changes of later runs, each appended as its own signed
# record. Loading applies them in order and stops at the first record that is damaged or
# cut short, so a run killed while appending loses only its own changes.
_LENGTH = 8
_COMPACT_SHARE = 4  # rewrite whole once the changes outweigh a quarter of the copy
# Per file, as this process last read or wrote it: the size of the whole copy and of the
# file. Changes are appended only to a file that is still exactly that.
_layout: dict[Path, tuple[int, int]] = {}


class _Deleted:
    """Marks a key the changes remove (a class, so it unpickles as itself)."""


def load_dict(path: Path, header: object) -> dict[Any, Any]:
    """The dict `save_dict` saved at `path` under the same `header`, with every change
    appended since; empty if the file is missing, damaged, foreign or of another header.
    The caller keeps it as it came and passes it back to `save_dict` as `before`."""
    _layout.pop(path, None)
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    key = _existing_key()
    if key is None or not data.startswith(MAGIC):
        return {}
    # Loading makes hundreds of thousands of objects, none of them garbage: without the
    # pause, the cycle collector walks the whole heap again and again meanwhile.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _apply_records(path, data, key, header)
    except Exception:  # an object of an older mediafeed that no longer unpickles
        _layout.pop(path, None)
        return {}
    finally:
        if paused:
            gc.enable()


def _apply_records(path: Path, data: bytes, key: bytes, header: object) -> dict[Any, Any]:
    found: dict[Any, Any] = {}
    whole = 0
    at = len(MAGIC)
    while at + _LENGTH + _DIGEST <= len(data):
        size = int.from_bytes(data[at : at + _LENGTH], "big")
        start = at + _LENGTH + _DIGEST
        body = data[start : start + size]
        if len(body) < size or not hmac.compare_digest(data[at + _LENGTH : start],
                                                       hmac.digest(key, body, "sha256")):  # fmt: skip
            break
        if not whole:
            saved_header, found = pickle.loads(body)  # noqa: S301 (signed with our key)
            if saved_header != header or not isinstance(found, dict):
                return {}
            whole = size
        else:
            for name, value in pickle.loads(body).items():  # noqa: S301 (signed with our key)
                if value is _Deleted:
                    found.pop(name, None)
                else:
                    found[name] = value
        at = start + size
    if whole and at == len(data):  # a damaged tail is left behind by the next whole write
        _layout[path] = (whole, at)
    return found


def save_dict(path: Path, header: object, before: dict[Any, Any], after: dict[Any, Any]
              ) -> None:  # fmt: skip
    """Make the file hold `after`, given that it held `before` (what `load_dict` gave):
    append what changed, or write it whole when the file is not as this process left it
    or the changes have outgrown their share. Values are compared by identity: an entry
    taken over as it was loaded costs nothing."""
    changes: dict[Any, Any] = {name: value for name, value in after.items()
                               if before.get(name, _Deleted) is not value}  # fmt: skip
    changes.update((name, _Deleted) for name in before.keys() - after.keys())
    if not changes and path in _layout:
        return
    layout = _layout.pop(path, None)
    body = pickle.dumps(changes, protocol=pickle.HIGHEST_PROTOCOL)
    if layout is not None and _size(path) == layout[1]:
        whole, size = layout
        appended = size - len(MAGIC) - _LENGTH - _DIGEST - whole
        if (appended + len(body)) * _COMPACT_SHARE < whole:
            record = _record(body)
            with open(path, "ab") as handle:
                handle.write(record)  # one write: a reader sees it whole or not at all
            _layout[path] = (whole, size + len(record))
            return
    first = pickle.dumps((header, after), protocol=pickle.HIGHEST_PROTOCOL)
    record = _record(first)
    write_atomic(path, MAGIC + record)
    _layout[path] = (len(first), len(MAGIC) + len(record))


def _record(body: bytes) -> bytes:
    return len(body).to_bytes(_LENGTH, "big") + hmac.digest(_key(), body, "sha256") + body


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1
