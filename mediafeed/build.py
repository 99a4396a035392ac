"""Build the show into feed/ and return the manifest that publish works from.

Every output file is planned with what it is made from: the content of its inputs (the
show, the episode files and the files they name, the show's templates) and, through
`cache.memo_key`, the code. A planned file is rendered again unless the cache says what
bytes those inputs make and the file in feed/ still holds them; files whose bytes did
not change are not rewritten. With `renditions`, the only module that asks the cache on the
build's behalf: the renderers and the media readers get plain values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from stat import S_ISREG

from mediafeed import links as keys
from mediafeed import renditions
from mediafeed.cache import Cache, memo_key
from mediafeed.catalog import load_show_episodes
from mediafeed.errors import MediaError, MediafeedError
from mediafeed.links import Links
from mediafeed.manifest import cache_control, content_type, upload_rank
from mediafeed.media.artwork import resized_jpeg
from mediafeed.model import Episode, Manifest, OutputObject, Show, Status
from mediafeed.output import (
    Folders,
    Linkable,
    files_under,
    link_or_copy,
    remove_files,
    write_if_changed,
    write_new,
)
from mediafeed.render.accessibility import render_accessibility_page
from mediafeed.render.archive import FeedPage, feed_pages, mark_archive
from mediafeed.render.feed import (
    CAPTION_TYPES,
    chapters_json,
    render_feed,
    render_items,
    transcript_type,
)
from mediafeed.render.pages import (
    SHOW_PAGE_EPISODES,
    episodes_by_year,
    render_episode_page,
    render_gone_page,
    render_rows,
    render_show_page,
    render_year_page,
)
from mediafeed.render.redirects import render_redirects
from mediafeed.render.sharing import oembed_document, render_embed_page
from mediafeed.render.templating import stylesheet
from mediafeed.render.transcripts import plain_transcript

BUILT = "built"  # the cache's record of which files the last build wrote
REDIRECTS_NAME = "redirects.txt"  # old pages to new ones, for an imported show's old host


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    episodes: tuple[Episode, ...]  # every episode file, newest first
    public: tuple[Episode, ...]  # what the feed and pages show
    feed_url: str
    unpublished: tuple[Episode, ...]  # taken down: a notice page, no feed item, no media
    manifest: Manifest


@dataclass(frozen=True)
class Planned:
    """One file to write into feed/: its key, what it is made from, how to make it."""

    key: str
    made_from: str  # a memo key
    render: Callable[[], bytes]


def build(show: Show, *, links: Links, now: dt.datetime, cache: Cache | None = None,
          published: Collection[str] = (), write: bool = True,
          encoding: renditions.Encoding | None = None) -> BuildResult:  # fmt: skip
    """Write feed/ for the episodes public at `now`; `cache`: the show's, when the caller
    has it open. `published`: slugs whose pages the store serves; a page once published
    stays, as the "no longer available" notice when its episode went away. Without
    `write` (a dry run), feed/ is left alone and the manifest says what a build would make
    (the caller then forgets what the cache was told)."""
    if cache is None:
        with Cache(show.root) as own:
            return build(show, links=links, now=now, cache=own, published=published, write=write,
                         encoding=encoding)  # fmt: skip
    episodes = tuple(load_show_episodes(show, cache))
    # Drafts and scheduled episodes are left out entirely: not in the feed, no page, no
    # media in the manifest, so a publish at any hour releases exactly what is due.
    public = tuple(ep for ep in episodes if ep.status(now) is Status.PUBLISHED)
    public, rendered = renditions.attach(show, public, cache, write=write, source=lambda ep: Path(
        verify_media(show, ep, cache).path), encoding=encoding)  # fmt: skip
    gone = tuple(ep for ep in episodes if ep.status(now) is Status.UNPUBLISHED)
    built = {ep.slug for ep in (*public, *gone)}
    vanished = sorted(slug for slug in published if slug not in built)
    out = show.output_dir
    record = {**dataclasses.asdict(show), "root": str(show.root)}
    base = memo_key("show", record, links.base_url, _own_templates(show, cache))
    listings, fragments = _listings(show, public, links, base, cache)
    planned = [
        *_artwork(show, cache),
        *_episode_files(show, public, links, base, cache),
        *(_plan(key(slug), partial(_page, render_gone_page, show, slug, links=links,
                page_key=key(slug)), base, "gone", key(slug))
          for slug in (*(ep.slug for ep in gone), *vanished)
          for key in (keys.episode_page_key, keys.embed_page_key)),
        *listings,
    ]  # fmt: skip
    last = cache.get(BUILT, str(out))
    before = set(last) if isinstance(last, list) else files_under(out)
    objects = _place(out, planned, cache, write=write)
    objects.update(_linked(show, public, cache, write=write), **rendered)
    if write:
        remove_files(out, before - objects.keys())
    if not isinstance(last, list) or before != objects.keys():
        cache.put(BUILT, str(out), sorted(objects))
    for kind in ("episode", "output", "rendition"):
        cache.keep_only(kind, cache.used(kind))
    if cache.stored("item") or cache.stored("row"):
        for kind, wanted in fragments().items():
            cache.keep_only(kind, wanted)
    redirects = render_redirects(show, (*public, *gone), links=links)
    if redirects is not None:  # for the old host: beside feed/, so it is never published
        write_if_changed(show.root / REDIRECTS_NAME, redirects)
    ordered = sorted(objects.values(), key=lambda obj: (upload_rank(obj.key), obj.key))
    permalinks = tuple((ep.guid, keys.episode_page_key(ep.slug)) for ep in (*public, *gone))
    return BuildResult(
        out, episodes, public, links.feed, gone, Manifest(tuple(ordered), permalinks=permalinks)
    )


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


def _plan(key: str, render: Callable[[], bytes], *made_from: object) -> Planned:
    return Planned(key, memo_key(*made_from), render)


def _page(render: Callable[..., str], *args: object, **kwargs: object) -> bytes:
    return render(*args, **kwargs).encode("utf-8")


def _artwork(show: Show, cache: Cache) -> list[Planned]:
    source = show.root / show.artwork
    try:
        digest = cache.sha256(source)
    except OSError:
        raise MediafeedError(f"artwork {show.artwork!r} not found",
                             path=show.root / "mediafeed.toml", field="artwork") from None  # fmt: skip
    return [_plan(keys.artwork_variant_key(width), partial(resized_jpeg, source, width),
                  "artwork", digest, width) for width in keys.ARTWORK_WIDTHS]  # fmt: skip


def _episode_files(
    show: Show, public: Sequence[Episode], links: Links, base: str, cache: Cache
) -> list[Planned]:
    planned = []
    for ep in public:
        transcript = _named_file(show, ep, "transcript", ep.transcript, cache)
        page = partial(_page, render_episode_page, show, ep, links=links)
        planned.append(_plan(keys.episode_page_key(ep.slug), page, base, "page", ep.made_from,
                             transcript or ""))  # fmt: skip
        if transcript and transcript_type(ep.transcript or "") in CAPTION_TYPES:
            text = partial(plain_transcript, show, ep)
            planned.append(_plan(keys.transcript_text_key(ep.slug), text, base, "text", transcript))
        embed = partial(_page, render_embed_page, show, ep, links=links)
        planned.append(_plan(keys.embed_page_key(ep.slug), embed, base, "embed", ep.made_from))
        oembed = partial(oembed_document, show, ep, links=links)
        planned.append(_plan(keys.oembed_key(ep.slug), oembed, base, "oembed", ep.made_from))
        if ep.chapters:
            chapters = partial(chapters_json, ep, links=links)
            planned.append(_plan(keys.chapters_key(ep.slug), chapters, base, "chapters",
                                 ep.made_from))  # fmt: skip
    return planned


def _listings(
    show: Show, public: Sequence[Episode], links: Links, base: str, cache: Cache
) -> tuple[list[Planned], Callable[[], dict[str, set[str]]]]:
    """The feed and its archive pages, the show page, the year pages and the stylesheet;
    and the keys of every feed item and list row they are made of, rendered this time or
    not (what the cache keeps of those)."""
    planned = []
    for page in feed_pages(show, public, links=links):
        render = partial(_feed_page, show, page, links=links, base=base, cache=cache)
        planned.append(_plan(page.key, render, base, page.key, page.self_url, page.paging,
                             page.archive, [ep.made_from for ep in page.episodes]))  # fmt: skip
    rows = partial(_list_rows, show, base=base, cache=cache)
    by_year = episodes_by_year(public) if len(public) > SHOW_PAGE_EPISODES else {}
    years = list(by_year)
    newest = public[:SHOW_PAGE_EPISODES]
    render = partial(_page, render_show_page, show, newest, links=links, years=years, rows=rows)
    planned.append(_plan(keys.SHOW_PAGE_KEY, render, base, "show", years,
                         [ep.made_from for ep in newest]))  # fmt: skip
    for year, episodes in by_year.items():
        render = partial(_page, render_year_page, show, year, episodes, links=links, years=years,
                         rows=rows)  # fmt: skip
        planned.append(_plan(keys.year_page_key(year), render, base, "year", year, years,
                             [ep.made_from for ep in episodes]))  # fmt: skip
    planned.append(_plan(keys.STYLESHEET_KEY, partial(stylesheet, show), base, "css"))
    statement = partial(_page, render_accessibility_page, show, public, links=links)
    planned.append(_plan(keys.ACCESSIBILITY_KEY, statement, base, "accessibility",
                         [ep.made_from for ep in public]))  # fmt: skip

    def fragments() -> dict[str, set[str]]:
        rows = {_row_key(base, keys.SHOW_PAGE_KEY, ep) for ep in newest}
        for year, episodes in by_year.items():
            rows.update(_row_key(base, keys.year_page_key(year), ep) for ep in episodes)
        return {"item": {_item_key(base, ep) for ep in public}, "row": rows}

    return planned, fragments


def _item_key(base: str, ep: Episode) -> str:
    return memo_key(base, "item", ep.made_from)


def _row_key(base: str, page_key: str, ep: Episode) -> str:
    return memo_key(base, "row", page_key, ep.made_from)  # the page decides the row's level


def _feed_page(show: Show, page: FeedPage, *, links: Links, base: str, cache: Cache) -> bytes:
    """A feed document whose items are each rendered once per content: adding an episode
    to a show of thousands renders one item, not the feed's every item."""
    episodes = page.episodes
    items = _remembered(cache, "item", [_item_key(base, ep) for ep in episodes],
                        lambda todo: [item.decode() for item in render_items(
                            show, [episodes[index] for index in todo], links=links)])  # fmt: skip
    xml = render_feed(show, episodes, links=links, self_url=page.self_url, paging=page.paging,
                      items=[item.encode() for item in items])  # fmt: skip
    return mark_archive(xml) if page.archive else xml


def _list_rows(show: Show, episodes: Sequence[Episode], page_key: str, level: int, *,
               base: str, cache: Cache) -> list[str]:  # fmt: skip
    """The rows of a page's list of episodes, each rendered once per content: adding an
    episode to a year of hundreds renders its row, not the year's."""
    row_keys = [_row_key(base, page_key, ep) for ep in episodes]
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


def _place(out: Path, planned: Sequence[Planned], cache: Cache, *, write: bool = True
           ) -> dict[str, OutputObject]:  # fmt: skip
    """Write each planned file whose bytes on disk are not those its inputs make (without
    `write`, only say what they would be)."""
    made = cache.get_many("output", [plan.made_from for plan in planned])
    folders = Folders()
    objects = {}
    for plan in planned:
        path = os.path.join(out, plan.key)
        digest = made.get(plan.made_from)
        try:
            stat: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            stat = None
        if stat is None or not isinstance(digest, str) or cache.sha256(path, stat) != digest:
            data = plan.render()
            digest = hashlib.sha256(data).hexdigest()
            if not write:
                objects[plan.key] = _object(plan.key, path, len(data), digest)
                continue
            if stat is None:
                folders.make(os.path.dirname(path))
                stat = write_new(path, data)
            else:
                stat = write_if_changed(path, data)
            cache.remember_sha256(path, stat, digest, written=True)
            cache.put("output", plan.made_from, digest)
        objects[plan.key] = _object(plan.key, path, stat.st_size, digest)
    return objects


def _object(key: str, path: str, size: int, digest: str) -> OutputObject:
    return OutputObject(key, path, size, digest, content_type(key), cache_control(key))


def _linked(show: Show, public: Sequence[Episode], cache: Cache, *, write: bool = True
            ) -> dict[str, OutputObject]:  # fmt: skip
    """The show's own files in feed/ as hard links: media, images and transcripts (without
    `write`, the files as they would be linked)."""
    out = str(show.output_dir)
    root = str(show.root)
    files = {keys.image_key(show.artwork): os.path.join(root, show.artwork)}
    objects = {}
    for ep in public:
        if ep.image:
            files[keys.image_key(ep.image)] = os.path.join(root, ep.image)
        if ep.transcript:
            files[keys.transcript_key(ep)] = os.path.join(root, ep.transcript)
        if not ep.enclosure_url:
            key = keys.media_key(ep)
            path = os.path.join(out, key)
            media = verify_media(show, ep, cache)
            stat = link_or_copy(media, path) if write else media.stat
            # The facts the build just verified: no second read of a large file.
            objects[key] = OutputObject(
                key=key,
                path=path,
                size=stat.st_size,
                sha256=ep.media.sha256,
                content_type=ep.media.mime_type,
                cache_control=cache_control(key),
            )
    for key, source in files.items():
        path = os.path.join(out, key)
        found = Linkable(source, os.stat(source))
        stat = link_or_copy(found, path) if write else found.stat
        objects[key] = OutputObject(
            key=key,
            path=path,
            size=stat.st_size,
            sha256=cache.sha256(source, found.stat),  # a link's bytes: the source's
            content_type=content_type(key),
            cache_control=cache_control(key),
        )
    return objects


def _named_file(show: Show, ep: Episode, field: str, name: str | None, cache: Cache) -> str | None:
    """The content hash of a file the episode names, None if it names none."""
    if not name:
        return None
    try:
        return cache.sha256(show.root / name)
    except OSError:
        raise MediafeedError(f"file {name!r} not found", path=ep.source, field=field) from None


def verify_media(show: Show, ep: Episode, cache: Cache) -> Linkable:
    """The enclosure must describe the bytes that will be uploaded, exactly: the file has
    the size and the SHA-256 its episode file says, so it is the file whose type and
    duration `add` or `tag` probed (and `check` probes again)."""
    path = os.path.join(show.root, ep.audio)
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    if stat is None or not S_ISREG(stat.st_mode):
        raise MediaError("media file not found", path=path)
    if stat.st_size != ep.media.length:
        raise MediaError(
            f"is {stat.st_size} bytes but {ep.source.name} says {ep.media.length}: "
            f"run 'mediafeed tag {ep.slug}' to refresh",
            path=path,
        )
    if cache.sha256(path, stat) != ep.media.sha256:
        raise MediaError(
            f"content differs from the sha256 in {ep.source.name}: run "
            f"'mediafeed tag {ep.slug}' to refresh",
            path=path,
        )
    return Linkable(path, stat)
