"""The feed items and list rows the build's listings are made of: each rendered once per
episode and remembered in the cache, so adding an episode to a show of thousands renders
its item and its rows, not every one. A build that makes an episode's pages renders its
fragments beside them (`Wanted`), in the same process, so its notes are read once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zlib import crc32

from mediafeed.cache import Cache, memo_key
from mediafeed.links import Links
from mediafeed.model import Episode, Show
from mediafeed.render.archive import FeedPage, mark_archive

Fragment = Callable[[str, Episode], str]  # the key of an episode's fragment of a kind
RUN = "-run"  # after a fragment's kind, the kind of its runs
RUN_KEYS = 64  # fragments a run holds, on average


@dataclass(frozen=True)
class Wanted:
    """The fragments of an episode its listings take: its feed item and its rows, by key."""

    episode: Episode
    item: str
    rows: tuple[tuple[str, str], ...]  # (the page's key, the row's key) for each list


Found = dict[str, dict[str, str]]  # fragments by kind ("item", "row") and key


def render_wanted(show: Show, links: Links, wanted: Sequence[Wanted]) -> Found:
    """The fragments `wanted` names, rendered in batches: one throwaway feed for the items,
    one template for each page's rows."""
    from mediafeed.render.feed import render_items
    from mediafeed.render.pages import render_rows, row_level

    items = render_items(show, [want.episode for want in wanted], links=links)
    found: Found = {
        "item": {want.item: item.decode() for want, item in zip(wanted, items, strict=True)},
        "row": {},
    }
    by_page: dict[str, list[tuple[Episode, str]]] = {}
    for want in wanted:
        for page_key, row_key in want.rows:
            by_page.setdefault(page_key, []).append((want.episode, row_key))
    for page_key, pairs in by_page.items():
        rows = render_rows(show, [ep for ep, _ in pairs], page_key, row_level(page_key))
        found["row"].update(zip((row_key for _, row_key in pairs), rows, strict=True))
    return found


def remember(cache: Cache, found: Found) -> None:
    """Fragments rendered elsewhere, put where the listings look for them."""
    for kind, fragments in found.items():
        for key, fragment in fragments.items():
            cache.put(kind, key, fragment, text=True)


def fragment_key(made_from: dict[str, str], kind: str, ep: Episode) -> str:
    """The key of an episode's feed item (`kind` "item") or of its row in a list (`kind`
    the page's key: the page decides the row's level): what the episode's outputs are made
    from (`made_from`, by slug, a memo key), and the kind."""
    return f"{made_from[ep.slug]}:{kind}"


def feed_page(show: Show, page: FeedPage, *, links: Links, cache: Cache,
              fragment: Fragment) -> bytes:  # fmt: skip
    """A feed document whose items are each rendered once per content: adding an episode
    to a show of thousands renders one item, not the feed's every item."""
    from mediafeed.render.feed import render_feed, render_items

    episodes = page.episodes
    items = _remembered(cache, "item", [fragment("item", ep) for ep in episodes],
                        lambda todo: [item.decode() for item in render_items(
                            show, [episodes[index] for index in todo], links=links)])  # fmt: skip
    xml = render_feed(show, episodes, links=links, self_url=page.self_url, paging=page.paging,
                      items=items)  # fmt: skip
    return mark_archive(xml) if page.archive else xml


def list_rows(show: Show, episodes: Sequence[Episode], page_key: str, level: int, *,
              cache: Cache, fragment: Fragment) -> list[str]:  # fmt: skip
    """The rows of a page's list of episodes, each rendered once per content: adding an
    episode to a year of hundreds renders its row, not the year's."""
    from mediafeed.render.pages import render_rows

    row_keys = [fragment(page_key, ep) for ep in episodes]
    return _remembered(cache, "row", row_keys, lambda todo: render_rows(
        show, [episodes[index] for index in todo], page_key, level))  # fmt: skip


def _remembered(cache: Cache, kind: str, fragment_keys: list[str],
                render: Callable[[list[int]], Sequence[str]]) -> list[str]:  # fmt: skip
    """Fragments by key from the cache, read in runs (`_runs`): a run whose fragments are
    those of the last build is one value, where a feed of thousands of items would be as
    many reads. The fragments of the other runs are read one by one; `render` makes those
    missing, by their index."""
    runs = _runs(fragment_keys)
    run_keys = [memo_key(kind, *fragment_keys[start:end]) for start, end in runs]
    stored = cache.get_many(kind + RUN, run_keys, text=True)
    parts = [_split(stored.get(key), end - start) for key, (start, end) in
             zip(run_keys, runs, strict=True)]  # fmt: skip
    todo = [index for run, found in zip(runs, parts, strict=True) if found is None
            for index in range(*run)]  # fmt: skip
    known = cache.get_many(kind, [fragment_keys[index] for index in todo], text=True)
    missing = [index for index in todo if fragment_keys[index] not in known]
    for index, made in zip(missing, render(missing), strict=True):
        known[fragment_keys[index]] = made
        cache.put(kind, fragment_keys[index], made, text=True)
    found: list[str] = []
    for key, (start, end), run in zip(run_keys, runs, parts, strict=True):
        if run is None:
            run = [str(known[fragment_keys[index]]) for index in range(start, end)]
            cache.put(kind + RUN, key, _joined(run), text=True)
        found.extend(run)
    return found


def _runs(fragment_keys: list[str]) -> list[tuple[int, int]]:
    """The keys in runs, each ending at a key its checksum picks: an episode added or
    changed changes the run it falls in, and the others stay as they were."""
    ends = [end for end, key in enumerate(fragment_keys, 1) if not crc32(key.encode()) % RUN_KEYS]
    if fragment_keys and ends[-1:] != [len(fragment_keys)]:
        ends.append(len(fragment_keys))
    return list(zip([0, *ends], ends, strict=False))


def _joined(parts: list[str]) -> str:
    """A run as one text: the length of each fragment on the first line, then all of them."""
    return " ".join(str(len(part)) for part in parts) + "\n" + "".join(parts)


def _split(value: object, count: int) -> list[str] | None:
    """The fragments of a run `_joined` made, None if it is not one of `count` fragments."""
    if not isinstance(value, str):
        return None
    head, _, body = value.partition("\n")
    try:
        lengths = [int(length) for length in head.split(" ")] if head else []
    except ValueError:
        return None
    if len(lengths) != count or sum(lengths) != len(body):
        return None
    parts, at = [], 0
    for length in lengths:
        parts.append(body[at : at + length])
        at += length
    return parts
