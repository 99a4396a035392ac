"""Caches of Python objects that only this user's mediafeed can have written.

Loading a pickle runs whatever it names, so a cache file must never be trusted for being
in the show folder (a show can arrive as an archive, or from a shared repository). Each
file is signed with a key kept in the user's state folder, beside the local store's
credentials; a file whose signature does not match is ignored like a missing one.
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

from mediafeed.localstore import default_state_dir
from mediafeed.rendercache import write_atomic

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


def load(path: Path) -> Any:
    """The object saved at `path`, or None if the file is missing, damaged or foreign."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _DIGEST:
        return None
    signature, body = data[len(MAGIC) : len(MAGIC) + _DIGEST], data[len(MAGIC) + _DIGEST :]
    key = _existing_key()  # none yet: nothing can have been signed with it
    if key is None or not hmac.compare_digest(signature, hmac.digest(key, body, "sha256")):
        return None
    # Loading makes hundreds of thousands of objects, none of them garbage: without the
    # pause, the cycle collector walks the whole heap again and again meanwhile.
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(body)  # noqa: S301 (signed above with this user's key)
    except Exception:  # an object of an older mediafeed that no longer unpickles
        return None
    finally:
        if paused:
            gc.enable()


def save(path: Path, value: Any) -> None:
    """Write whole or not at all: a temp file, then os.replace."""
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic(path, MAGIC + hmac.digest(_key(), body, "sha256") + body)
