"""The feed items and list rows the build's listings are made of: each rendered once per
episode and remembered in the cache, so adding an episode to a show of thousands renders
its item and its rows, not every one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mediafeed.cache import Cache
from mediafeed.links import Links
from mediafeed.model import Episode, Show
from mediafeed.render.archive import FeedPage, mark_archive

Fragment = Callable[[str, Episode], str]  # the key of an episode's fragment of a kind


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
    """Fragments by key from the cache; `render` makes those missing, by their index."""
    known = cache.get_many(kind, fragment_keys)
    missing = [index for index, key in enumerate(fragment_keys) if key not in known]
    for index, made in zip(missing, render(missing), strict=True):
        known[fragment_keys[index]] = made
        cache.put(kind, fragment_keys[index], made)
    return [str(known[key]) for key in fragment_keys]
