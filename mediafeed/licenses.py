"""Licenses by their SPDX identifiers, the list podcast:license refers to."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=64)
def spdx_id(name: str) -> str | None:
    """The SPDX identifier `name` spells (in any case), or None for a custom license. The
    list is license-expression's copy of SPDX's, the one the Podcast Index namespace uses."""
    if not re.fullmatch(r"[A-Za-z0-9.+-]+", name):
        return None
    from license_expression import get_spdx_licensing  # only shows that name a license

    checked = get_spdx_licensing().validate(name)
    found = checked.normalized_expression
    return None if checked.errors or not found or " " in found else str(found)


def license_url(name: str, url: str | None) -> str | None:
    """Where a reader finds the license's text: its own URL, else SPDX's page for it."""
    found = spdx_id(name)
    return url or (f"https://spdx.org/licenses/{found}.html" if found else None)
