"""Where mediafeed keeps this user's own state: never inside a show's folder."""

from __future__ import annotations

import os
from pathlib import Path


def default_state_dir() -> Path:
    """The embedded store's data, credentials and log, the key that signs the show
    folders' caches, and compiled templates: `$MEDIAFEED_STATE_DIR`, else
    `$XDG_STATE_HOME/mediafeed`, else `~/.local/state/mediafeed`."""
    explicit = os.environ.get("MEDIAFEED_STATE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "mediafeed"
