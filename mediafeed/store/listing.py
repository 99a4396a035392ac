"""Every object under a prefix, listed in key ranges at once, through a `Fetch`: botocore's
client (`store.transfer`) or the signed requests of an unchanged publish (`store.unchanged`).

ListObjectsV2 has no end key, so a range stops at the first key past its end. The ranges
count only if each stops at exactly the key the next one starts with; a store that does
not list in byte order (SeaweedFS walks folders) can break that, and then one plain
listing is made: the answer is always a plain listing's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mediafeed.errors import StoreError

PAGE_KEYS = 1000  # the most a store lists in one answer


@dataclass(frozen=True)
class Page:
    objects: list[tuple[str, int, str]]  # key, size and ETag, in the store's order
    token: str | None  # where the next page starts; None after the last page


# One request: at most `limit` keys after the first argument (None: from the first key),
# or with a token (the second argument), the next page of that listing.
Fetch = Callable[[str | None, str | None, int], Page]


@dataclass(frozen=True)
class _Run:
    objects: dict[str, tuple[int, str]]  # keys before `stop`: size and ETag
    first: str | None  # the first key listed, kept or not
    stop: str | None  # the first key past the range, not kept; None once the listing ended


def list_prefix(
    fetch: Fetch, prefix: str, names: Iterable[str], *, listers: int, range_keys: int
) -> dict[str, tuple[int, str]]:
    """Size and ETag of every key `fetch` lists under `prefix`, by name under it. `names`,
    those the store is expected to hold (in any order), cut the key space into ranges
    listed at once."""
    sample = [prefix + name for name in names]
    cut = len(prefix)
    bounds = cut_points(sample, listers=listers, range_keys=range_keys)
    if bounds:
        spans = list(zip([None, *bounds], [*bounds, None], strict=True))
        expected = len(sample) // len(spans)
        with ThreadPoolExecutor(max_workers=len(spans)) as pool:
            runs = list(pool.map(lambda span: _range(fetch, *span, expected=expected), spans))
        if all(run.stop == after.first for run, after in zip(runs, runs[1:], strict=False)):
            found = {key[cut:]: facts for run in runs for key, facts in run.objects.items()}
            if len(found) == sum(len(run.objects) for run in runs):
                return found
    return {key[cut:]: facts for key, facts in _range(fetch, None, None).objects.items()}


def cut_points(sample: Sequence[str], *, listers: int, range_keys: int) -> list[str]:
    """Every n-th sampled key, so each range holds about `range_keys` of them."""
    count = min(listers, len(sample) // range_keys)
    if count < 2:
        return []
    ordered = sorted(sample)
    step = len(ordered) / count
    return sorted({ordered[int(step * i)] for i in range(1, count)})


def _range(fetch: Fetch, after: str | None, upto: str | None, *, expected: int = 0) -> _Run:
    """Keys after `after` up to and including `upto`."""
    objects: dict[str, tuple[int, str]] = {}
    first: str | None = None
    token: str | None = None
    while True:
        # Near the expected end, ask for a little more than is left rather than a whole
        # page: every key answered is read by the store and parsed here.
        left = expected - len(objects)
        page = fetch(after, token, min(PAGE_KEYS, left + 32) if left > 0 else PAGE_KEYS)
        for key, size, etag in page.objects:
            if first is None:
                first = key
            if upto is not None and key > upto:
                return _Run(objects, first, key)
            objects[key] = (size, etag)
        if page.token is None:
            return _Run(objects, first, None)
        if not page.token or page.token == token:
            raise StoreError("the store's listing does not move on")
        token = page.token
