"""The feeds and pages that list a show's episodes: feed.xml and its archive pages, the
show page, the year pages and the stylesheet they share.

After adding one episode to a large show these are most of what is left to render, and
they depend on no episode's own outputs. So a build of a large show makes them in a
forked process (`forked.Beside`) while it sorts out each episode's outputs: on two cores
the two take the time of the longer instead of the sum.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import partial

from mediafeed import links as keys
from mediafeed.itemcache import ItemCache, RowCache
from mediafeed.links import Links
from mediafeed.manifest import HashCache
from mediafeed.model import Episode, OutputObject, Show
from mediafeed.output import Learned, Placed, described, write_if_changed
from mediafeed.render.archive import feed_pages, render_page
from mediafeed.render.notes import collected
from mediafeed.render.pages import (
    SHOW_PAGE_EPISODES,
    episodes_by_year,
    render_show_page,
    render_year_page,
)
from mediafeed.render.templating import stylesheet
from mediafeed.rendercache import RenderCache, episode_inputs, fingerprint

ITEM_CACHE = ".mediafeed/items.pickle"
ROW_CACHE = ".mediafeed/rows.pickle"


@dataclass(frozen=True)
class Listings:
    """The listing files as written, and what making them taught the caches the build
    keeps (a forked process hands these back; its own copies of the caches are lost)."""

    objects: dict[str, OutputObject]  # by key
    fingerprints: dict[str, str]  # for the render cache, by key
    hashes: Learned  # for the hash cache
    notes: dict[str, str]  # Markdown of the notes rendered, for the notes cache


def make_listings(show: Show, public: tuple[Episode, ...], *, links: Links, base: str,
                  cache: RenderCache, hashes: HashCache) -> Listings:  # fmt: skip
    """Render what changed among the listing files, write it, and describe every one."""
    with collected() as notes:
        generated = _render(show, public, links=links, base=base, cache=cache)
    objects: dict[str, OutputObject] = {}
    learned: Learned = []
    for key, data in generated.items():
        path = os.path.join(show.output_dir, key)
        if data is None:  # on disk, made from the same inputs
            placed = Placed(path, os.stat(path))
        else:
            placed = Placed(path, write_if_changed(path, data), hashlib.sha256(data).hexdigest())
        objects[key] = described(key, placed, hashes, learned)
    return Listings(objects, cache.fingerprints(generated), learned, notes)


def _render(show: Show, public: tuple[Episode, ...], *, links: Links, base: str,
            cache: RenderCache) -> dict[str, bytes | None]:  # fmt: skip
    """Each listing file's bytes by key; None where the file on disk was made from the
    same inputs. After adding one episode to a large show, only the show page, the page
    of its year, feed.xml and the newest archive page are rendered again."""
    inputs = {ep.slug: episode_inputs(ep) for ep in public}
    items = ItemCache(show.root / ITEM_CACHE)
    generated: dict[str, bytes | None] = {}
    for page in feed_pages(show, public, links=links):
        made_from = (page.key, page.self_url, page.paging, page.archive,
                     [inputs[ep.slug] for ep in page.episodes])  # fmt: skip
        render = partial(render_page, show, page, links=links, cache=items)
        generated[page.key] = cache.output(page.key, fingerprint(base, made_from), render)
    items.save()
    by_year = episodes_by_year(public) if len(public) > SHOW_PAGE_EPISODES else {}
    years = list(by_year)
    newest = public[:SHOW_PAGE_EPISODES]
    rows = RowCache(show.root / ROW_CACHE, base)
    generated[keys.SHOW_PAGE_KEY] = cache.output(
        keys.SHOW_PAGE_KEY, fingerprint(base, years, [inputs[ep.slug] for ep in newest]),
        lambda: render_show_page(show, newest, links=links, years=years,
                                 rows=rows).encode("utf-8"),
    )  # fmt: skip
    for year, eps in by_year.items():
        key = keys.year_page_key(year)
        render = partial(_year_page, show, year, eps, links, years, rows)
        generated[key] = cache.output(key, fingerprint(base, years, [inputs[ep.slug] for ep in eps]),
                                      render)  # fmt: skip
    rows.save()
    generated[keys.STYLESHEET_KEY] = stylesheet(show)
    return generated


def _year_page(show: Show, year: int, episodes: list[Episode], links: Links,
               years: list[int], rows: RowCache) -> bytes:  # fmt: skip
    return render_year_page(show, year, episodes, links=links, years=years,
                            rows=rows).encode("utf-8")  # fmt: skip
