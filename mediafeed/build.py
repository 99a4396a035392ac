"""Build the show into feed/ and return the manifest that publish works from.

Every output file is planned, in units of files made from the same inputs (an episode's
page, embed page and oEmbed document), with what it is made from: the content of its
inputs and, through `cache.memo_key`, the code. A unit is made again unless the last build
(`lastbuild`) made it from the same inputs and its files still hold what it wrote. With
`renditions` and `lastbuild`, the build's own parts: the renderers get plain values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import chain
from pathlib import Path
from typing import Any

from mediafeed import links as keys
from mediafeed import renditions
from mediafeed.cache import Cache, memo_key
from mediafeed.catalog import load_show_episodes
from mediafeed.errors import MediafeedError
from mediafeed.fragments import (
    RUN,
    Wanted,
    feed_page,
    fragment_key,
    list_rows,
    remember,
    render_wanted,
)
from mediafeed.lastbuild import (
    LastBuild,
    Planned,
    Unit,
    last_build,
    made_record,
    manifest,
    permalinks_of,
    place,
    recorded,
    save,
    stale,
    unchanged,
)
from mediafeed.linking import own_files, verify_media
from mediafeed.links import Links
from mediafeed.media.artwork import resized_jpeg
from mediafeed.model import Episode, Manifest, Show, Status
from mediafeed.output import remove_files, write_if_changed
from mediafeed.render.archive import SHOW_PAGE_EPISODES, episodes_by_year, feed_pages
from mediafeed.render.redirects import render_redirects
from mediafeed.render.transcripts import plain_transcript
from mediafeed.workers import Processes

REDIRECTS_NAME = "redirects.txt"  # old pages to new ones, for an imported show's old host


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    feed_url: str
    statuses: Counter[Status]  # how many episodes of each status
    read: Callable[[], tuple[tuple[Episode, ...], ...]]  # (episodes, public, unpublished)
    make_manifest: Callable[[], Manifest]

    @cached_property
    def episodes(self) -> tuple[Episode, ...]:
        """Every episode file, newest first (read on first use after an unchanged build)."""
        return self._read[0]

    @cached_property
    def public(self) -> tuple[Episode, ...]:
        """What the feed and pages show."""
        return self._read[1]

    @cached_property
    def unpublished(self) -> tuple[Episode, ...]:
        """Taken down: a notice page, no feed item, no media."""
        return self._read[2]

    @cached_property
    def _read(self) -> tuple[tuple[Episode, ...], ...]:
        return self.read()

    @cached_property
    def manifest(self) -> Manifest:
        """Made on first use: a build alone never needs the objects of every file."""
        return self.make_manifest()


def build(show: Show, *, links: Links, now: dt.datetime, cache: Cache | None = None,
          published: Collection[str] = (), write: bool = True,
          encoding: renditions.Encoding | None = None,
          episodes: Sequence[Episode] | None = None) -> BuildResult:  # fmt: skip
    """Write feed/ for the episodes public at `now`; `cache`: the show's, when the caller
    has it open. `published`: slugs whose pages the store serves; a page once published
    stays, as the "no longer available" notice when its episode went away. Without
    `write` (a dry run), feed/ is left alone and the manifest says what a build would make
    (the caller then forgets what the cache was told). `episodes`: newest first, if read."""
    if cache is None:
        with Cache(show.root) as own:
            return build(show, links=links, now=now, cache=own, published=published, write=write,
                         encoding=encoding, episodes=episodes)  # fmt: skip
    out = show.output_dir
    record = {**dataclasses.asdict(show), "root": str(show.root)}
    base = memo_key("show", record, links.base_url, _own_templates(show, cache))
    last = last_build(cache, str(out))
    if last and (taken := unchanged(show, cache, last, base=base, published=published, now=now)):
        result = BuildResult(out, links.feed, recorded(last.statuses), partial(_reread, show, now,
                             cache), partial(manifest, taken, permalinks_of(last)))  # fmt: skip
        if not write:  # read now: a dry run forgets what the cache was told when it is built
            _ = result.episodes
        return result
    with Processes() as processes:  # started when a step first has a chunk for them
        return _build(
            show,
            links=links,
            now=now,
            cache=cache,
            published=published,
            write=write,
            encoding=encoding,
            episodes=episodes,
            base=base,
            last=last,
            processes=processes,
        )


def _build(
    show: Show,
    *,
    links: Links,
    now: dt.datetime,
    cache: Cache,
    published: Collection[str],
    write: bool,
    encoding: renditions.Encoding | None,
    episodes: Sequence[Episode] | None,
    base: str,
    last: LastBuild | None,
    processes: Processes,
) -> BuildResult:
    """A build that makes what changed: `last` is the last build's record, `base` what
    every output is made from; large steps go to `processes`."""
    out = show.output_dir
    existed = out.exists()
    episodes = tuple(load_show_episodes(show, cache, processes) if episodes is None else episodes)
    # Drafts and scheduled episodes are left out entirely: not in the feed, no page, no
    # media in the manifest, so a publish at any hour releases exactly what is due.
    public = _of(episodes, now, Status.PUBLISHED)
    public = renditions.attach(show, public, cache, write=write, source=lambda ep: Path(
        verify_media(show, ep, cache)[0]), encoding=encoding)  # fmt: skip
    # A notice where a page was, or could have been, public: an unpublished episode that
    # never came out keeps its address (and so its title's slug) private.
    gone = tuple(ep for ep in _of(episodes, now, Status.UNPUBLISHED)
                 if (ep.published <= now and not ep.draft) or ep.slug in published)  # fmt: skip
    built = {ep.slug for ep in (*public, *gone)}
    vanished = sorted(slug for slug in published if slug not in built)
    made_from = _made_from(show, public, base, cache)
    wanted = _wanted(public, partial(fragment_key, made_from))
    units = chain(  # made one by one as they are placed: no object lives on per episode
        _artwork(show, cache),
        (Unit(made_from[ep.slug], partial(_episode_files, show, ep, links), wanted[ep.slug])
         for ep in public),
        (_unit(base, "gone", key(slug), files=[(key(slug), partial(_made, "gone", show, slug,
               links=links, page_key=key(slug)))])
         for slug in (*(ep.slug for ep in gone), *vanished)
         for key in (keys.episode_page_key, keys.embed_page_key)),
    )  # fmt: skip
    before = last.units if last else {}
    placed, made, found = place(
        str(out),
        units,
        before,
        write=write,
        fragments=partial(render_wanted, show, links),
        processes=processes,
    )
    remember(cache, found)  # the listings, made next, take the fragments made with the pages
    listings = _listings(show, public, links, base, cache, made_from)
    listed, made_listings, _ = place(str(out), listings, before, write=write)
    placed.update(listed)
    made.update(made_listings)
    ours, linked, read = own_files(show, public, cache, last, write=write)
    placed.update(ours)
    redirects = render_redirects(show, (*public, *gone), links=links)
    permalinks = tuple((ep.guid, keys.episode_page_key(ep.slug)) for ep in (*public, *gone))
    statuses = Counter(ep.status(now) for ep in episodes)
    if write:
        if last is not None or existed:  # else nothing in feed/ can be stale
            remove_files(out, stale(out, last, made) - placed.keys())
        done = made_record(cache, made, linked, base=base, published=published, now=now,
                           episodes=episodes, public=public, read=read, statuses=statuses,
                           permalinks=permalinks, others=redirects is not None)  # fmt: skip
        if last != done:
            save(cache, str(out), done, last)
    for kind in ("catalog", "rendition", f"item{RUN}", f"row{RUN}"):
        cache.keep_only(kind, cache.used(kind))
    if cache.stored("item") or cache.stored("row"):
        cache.keep_only("item", {want.item for want in wanted.values()})
        cache.keep_only("row", {key for want in wanted.values() for _, key in want.rows})
    if redirects is not None:  # for the old host: beside feed/, so it is never published
        write_if_changed(show.root / REDIRECTS_NAME, redirects)
    return BuildResult(out, links.feed, statuses, lambda: (episodes, public, gone),
                       partial(manifest, placed, permalinks))  # fmt: skip


def _reread(show: Show, now: dt.datetime, cache: Cache) -> tuple[tuple[Episode, ...], ...]:
    """The episodes of a build that took the last one whole, read when first asked for."""
    if cache.closed:
        with Cache(show.root) as reopened:
            return _reread(show, now, reopened)
    episodes = tuple(load_show_episodes(show, cache))
    return episodes, _of(episodes, now, Status.PUBLISHED), _of(episodes, now, Status.UNPUBLISHED)


def _of(episodes: Sequence[Episode], now: dt.datetime, status: Status) -> tuple[Episode, ...]:
    return tuple(ep for ep in episodes if ep.status(now) is status)


def _own_templates(show: Show, cache: Cache) -> list[tuple[str, str]]:
    """The show's own templates by content: they override the packaged ones."""
    own = show.root / "templates"
    if not own.is_dir():
        return []
    return sorted(
        (path.relative_to(own).as_posix(), cache.sha256(path))
        for path in own.rglob("*")
        if path.is_file()
    )


def _unit(*made_from: object, files: list[Planned]) -> Unit:
    return Unit(memo_key(*made_from), partial(tuple, files))


def _made(kind: str, *args: Any, **kwargs: Any) -> bytes:
    """The bytes of one file by the renderer of its kind. The renderers load here, when a
    file is made: an unchanged build never needs Jinja2, feedgen or Markdown."""
    from mediafeed.render import accessibility, feed, pages, sharing, templating

    renderers: dict[str, Callable[..., Any]] = {
        "page": pages.render_episode_page, "gone": pages.render_gone_page,
        "show": pages.render_show_page, "year": pages.render_year_page,
        "embed": sharing.render_embed_page, "oembed": sharing.oembed_document,
        "chapters": feed.chapters_json, "css": templating.stylesheet,
        "accessibility": accessibility.render_accessibility_page,
    }  # fmt: skip
    made = renderers[kind](*args, **kwargs)
    return made.encode("utf-8") if isinstance(made, str) else bytes(made)


def _artwork(show: Show, cache: Cache) -> list[Unit]:
    source = show.root / show.artwork
    try:
        digest = cache.sha256(source)
    except OSError:
        raise MediafeedError(f"artwork {show.artwork!r} not found",
                             path=show.root / "mediafeed.toml", field="artwork") from None  # fmt: skip
    return [_unit("artwork", digest, width, files=[(keys.artwork_variant_key(width),
                  partial(resized_jpeg, source, width))]) for width in keys.ARTWORK_WIDTHS]  # fmt: skip


def _made_from(show: Show, public: Sequence[Episode], base: str, cache: Cache) -> dict[str, str]:
    """What each episode's outputs are made from, by slug: the show and the code (`base`),
    the episode file's name and content, and its transcript's content."""
    made_from = {}
    for ep in public:
        try:
            transcript = cache.sha256(show.root / ep.transcript) if ep.transcript else ""
        except OSError:
            problem = f"file {ep.transcript!r} not found"
            raise MediafeedError(problem, path=ep.source, field="transcript") from None
        made_from[ep.slug] = memo_key(base, "episode", ep.slug, ep.made_from, transcript)
    return made_from


def _episode_files(show: Show, ep: Episode, links: Links) -> list[Planned]:
    """An episode's unit: its page, embed page, oEmbed document, chapters and the text of
    its captions, all made from the episode file and its transcript."""
    files: list[Planned] = [
        (keys.episode_page_key(ep.slug), partial(_made, "page", show, ep, links=links))
    ]
    if ep.transcript and _captions(ep.transcript):
        files.append((keys.transcript_text_key(ep.slug), partial(plain_transcript, show, ep)))
    files.append((keys.embed_page_key(ep.slug), partial(_made, "embed", show, ep, links=links)))
    files.append((keys.oembed_key(ep.slug), partial(_made, "oembed", show, ep, links=links)))
    if ep.chapters:
        files.append((keys.chapters_key(ep.slug), partial(_made, "chapters", ep)))
    return files


def _captions(name: str) -> bool:
    from mediafeed.render.feed import CAPTION_TYPES, transcript_type

    return transcript_type(name) in CAPTION_TYPES


def _lists(public: Sequence[Episode]) -> tuple[Sequence[Episode], dict[int, list[Episode]]]:
    """The episodes the show page lists, and those of each year's page (a long show's)."""
    by_year = episodes_by_year(public) if len(public) > SHOW_PAGE_EPISODES else {}
    return public[:SHOW_PAGE_EPISODES], by_year


def _wanted(
    public: Sequence[Episode], fragment: Callable[[str, Episode], str]
) -> dict[str, Wanted]:
    """Each episode's fragments of the listings, by slug: its feed item, and its rows in the
    show page's list and its year's."""
    newest, by_year = _lists(public)
    pages: dict[str, list[str]] = {ep.slug: [keys.SHOW_PAGE_KEY] for ep in newest}
    for year, episodes in by_year.items():
        for ep in episodes:
            pages.setdefault(ep.slug, []).append(keys.year_page_key(year))
    return {
        ep.slug: Wanted(
            ep,
            fragment("item", ep),
            tuple((page, fragment(page, ep)) for page in pages.get(ep.slug, ())),
        )
        for ep in public
    }


def _listings(
    show: Show,
    public: Sequence[Episode],
    links: Links,
    base: str,
    cache: Cache,
    made_from: dict[str, str],
) -> list[Unit]:
    """The feed and its archive pages, the show page, the year pages, the stylesheet and
    the accessibility statement, each made from what its episodes are (`made_from`)."""
    fragment = partial(fragment_key, made_from)
    units = []
    for page in feed_pages(show, public, links=links):
        render = partial(feed_page, show, page, links=links, cache=cache, fragment=fragment)
        units.append(_unit(base, page.key, page.self_url, page.paging, page.archive,
                           [made_from[ep.slug] for ep in page.episodes], files=[(page.key, render)]))  # fmt: skip
    rows = partial(list_rows, show, cache=cache, fragment=fragment)
    newest, by_year = _lists(public)
    years = list(by_year)
    render = partial(_made, "show", show, newest, links=links, years=years, rows=rows)
    units.append(_unit(base, "show", years, [made_from[ep.slug] for ep in newest],
                       files=[(keys.SHOW_PAGE_KEY, render)]))  # fmt: skip
    for year, episodes in by_year.items():
        render = partial(_made, "year", show, year, episodes, links=links, years=years, rows=rows)
        units.append(_unit(base, "year", year, years, [made_from[ep.slug] for ep in episodes],
                           files=[(keys.year_page_key(year), render)]))  # fmt: skip
    units.append(_unit(base, "css", files=[(keys.STYLESHEET_KEY, partial(_made, "css", show))]))
    statement = partial(_made, "accessibility", show, public, links=links)
    units.append(_unit(base, "accessibility", list(made_from.values()),
                       files=[(keys.ACCESSIBILITY_KEY, statement)]))  # fmt: skip
    return units
