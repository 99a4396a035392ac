"""What every command shares: the clock, dates from the command line, the show it works on."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from mediafeed.model import Show

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def now() -> dt.datetime:
    """The clock every command uses; MEDIAFEED_NOW fixes it (release checks, tests)."""
    fixed = os.environ.get("MEDIAFEED_NOW")
    if fixed:
        try:
            moment = dt.datetime.fromisoformat(fixed)
        except ValueError:
            raise click.UsageError(f"MEDIAFEED_NOW={fixed!r} is not an ISO 8601 time") from None
        return moment if moment.tzinfo else moment.astimezone()
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def parse_when(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date, e.g. 2021-11-02T09:00:00+01:00",
            param_hint="'--date'",
        ) from None
    return moment  # one without a zone is in the show's timezone (see `add_episode`)


def current_show() -> Show:
    """The show the running command works on, found from -C/--show-dir."""
    from mediafeed.config import find_root, load_show

    return load_show(find_root(click.get_current_context().obj["show_dir"]))
