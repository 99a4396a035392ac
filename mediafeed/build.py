"""Build the show into feed/: feed.xml, pages, chapters, transcripts, images and media links.

Returns the manifest publish works from. Files whose bytes did not change are not
rewritten, so a rebuild of an unchanged show touches nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from stat import S_ISREG

from mediafeed import links as keys
from mediafeed.archive import feed_pages, render_page
from mediafeed.artwork import write_variant
from mediafeed.episodes import load_episodes
from mediafeed.errors import MediaError, MediafeedError
from mediafeed.feed import chapters_json
from mediafeed.itemcache import ItemCache
from mediafeed.links import Links
from mediafeed.manifest import HashCache, cache_control, output_object, upload_rank
from mediafeed.media import PROBE_CACHE, ProbeCache
from mediafeed.model import Episode, Manifest, OutputObject, Show, Status
from mediafeed.notes import keep_remembered, remembered
from mediafeed.pages import (
    SHOW_PAGE_EPISODES,
    episodes_by_year,
    render_episode_page,
    render_gone_page,
    render_show_page,
    render_year_page,
    stylesheet,
    template_sources,
)
from mediafeed.rendercache import (
    RenderCache,
    episode_inputs,
    files_fingerprint,
    fingerprint,
    stamp,
)

CACHE_DIR = ".mediafeed"


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    manifest: Manifest
    episodes: tuple[Episode, ...]  # every episode file, newest first
    public: tuple[Episode, ...]  # what the feed and pages show
    feed_url: str
    unpublished: tuple[Episode, ...] = ()  # taken down: a notice page, no feed item, no media


NOTES_CACHE = f"{CACHE_DIR}/notes.json"


def build(show: Show, *, links: Links, now: dt.datetime) -> BuildResult:
    with remembered(show.root / NOTES_CACHE):
        return _build(show, links=links, now=now)


def _build(show: Show, *, links: Links, now: dt.datetime) -> BuildResult:
    episodes = tuple(load_episodes(show.episodes_dir))
    public = tuple(ep for ep in episodes if ep.status(now) is Status.PUBLISHED)
    gone = tuple(ep for ep in episodes if ep.status(now) is Status.UNPUBLISHED)
    # Drafts and scheduled episodes are left out entirely: not in the feed, no page, no
    # media in the manifest, so a publish at any hour releases exactly what is due.
    hosted = tuple(ep for ep in public if not ep.enclosure_url)
    hashes = HashCache(show.root / CACHE_DIR / "hashes.json")
    # Media facts come from the probe cache that add, tag and check share, so a publish
    # reads each new media file once, not once per stage.
    probes = ProbeCache(show.root / PROBE_CACHE)
    # New media are probed several at a time first (hashing releases the GIL); with a
    # warm cache this only looks at each file's size and time.
    probes.warm(os.path.join(show.root, ep.audio) for ep in hosted)
    media_stats = {ep.audio: verify_media(show, ep, probes) for ep in hosted}
    probes.save()

    keep_remembered(ep.notes for ep in public)
    out = show.output_dir
    present = _present(out)
    generated = _render(show, public, links=links, present=present)
    for ep in gone:
        # Newsletter links never die: the page stays, saying the episode is gone.
        page = render_gone_page(show, ep.slug, links=links)
        generated[keys.episode_page_key(ep.slug)] = page.encode("utf-8")
    for ep in public:
        if ep.chapters:
            generated[keys.chapters_key(ep.slug)] = chapters_json(ep, links=links)

    copies: dict[str, Path] = {keys.image_key(show.artwork): show.root / show.artwork}
    known: dict[str, os.stat_result] = {}
    for ep in hosted:
        copies[keys.media_key(ep)] = show.root / ep.audio
        known[keys.media_key(ep)] = media_stats[ep.audio]
    for ep in public:
        if ep.image:
            copies[keys.image_key(ep.image)] = _existing(show, ep, "image", ep.image)
        if ep.transcript:
            copies[keys.transcript_key(ep)] = _existing(show, ep, "transcript", ep.transcript)

    written = {key: out / key if data is None else _write_if_changed(out / key, data)
               for key, data in generated.items()}  # fmt: skip
    written.update({key: _link_or_copy(source, out / key, present=key in present,
                                       source_stat=known.get(key))
                    for key, source in copies.items()})  # fmt: skip
    for width in keys.ARTWORK_WIDTHS:
        key = keys.artwork_variant_key(width)
        written[key] = write_variant(show.root / show.artwork, out / key, width)
    _remove_stale(out, present - set(written))

    media = {keys.media_key(ep): ep for ep in hosted}
    objects = [_media_object(key, path, media[key]) if key in media
               else output_object(key, path, hashes) for key, path in written.items()]  # fmt: skip
    hashes.save()
    objects.sort(key=lambda obj: (upload_rank(obj.key), obj.key))
    permalinks = tuple((ep.guid, keys.episode_page_key(ep.slug)) for ep in (*public, *gone))
    manifest = Manifest(tuple(objects), permalinks=permalinks)
    return BuildResult(out, manifest, episodes, public, links.feed, gone)


def _render(show: Show, public: tuple[Episode, ...], *, links: Links, present: set[str]
            ) -> dict[str, bytes | None]:  # fmt: skip
    """Feeds and pages by key; None where the file on disk was made from the same inputs.

    After adding one episode to a large show, only the new page, the show page, the
    page of its year, feed.xml and the newest archive page are rendered again.
    """
    cache = RenderCache(show.root / CACHE_DIR / "render.json", present)
    base = fingerprint(show, links.base_url, files_fingerprint(template_sources(show)))
    inputs = {ep.slug: episode_inputs(ep) for ep in public}
    items = ItemCache(show.root / CACHE_DIR / "items.json")
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
    generated[keys.SHOW_PAGE_KEY] = cache.output(
        keys.SHOW_PAGE_KEY, fingerprint(base, years, [inputs[ep.slug] for ep in newest]),
        lambda: render_show_page(show, newest, links=links, years=years).encode("utf-8"),
    )  # fmt: skip
    for year, eps in by_year.items():
        key = keys.year_page_key(year)
        render = partial(_year_page, show, year, eps, links, years)
        generated[key] = cache.output(key, fingerprint(base, years, [inputs[ep.slug] for ep in eps]),
                                      render)  # fmt: skip
    generated[keys.STYLESHEET_KEY] = stylesheet(show)
    for ep in public:
        transcript = show.root / ep.transcript if ep.transcript else None
        transcript_stamp = stamp(transcript) if transcript else None
        key = keys.episode_page_key(ep.slug)
        generated[key] = cache.output(key, fingerprint(base, inputs[ep.slug], transcript_stamp),
                                      partial(_episode_page, show, ep, links))  # fmt: skip
    cache.save()
    return generated


def _year_page(show: Show, year: int, episodes: list[Episode], links: Links,
               years: list[int]) -> bytes:  # fmt: skip
    return render_year_page(show, year, episodes, links=links, years=years).encode("utf-8")


def _episode_page(show: Show, episode: Episode, links: Links) -> bytes:
    return render_episode_page(show, episode, links=links).encode("utf-8")


def verify_media(show: Show, ep: Episode, probes: ProbeCache) -> os.stat_result:
    """The enclosure must describe the bytes that will be uploaded, exactly. Returns the
    file's stat, which later steps reuse rather than ask again."""
    path = os.path.join(show.root, ep.audio)
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    if stat is None or not S_ISREG(stat.st_mode):
        raise MediaError("media file not found", path=path)
    if stat.st_size != ep.media.length:
        raise MediaError(f"is {stat.st_size} bytes but {ep.source.name} says {ep.media.length}: "
                         f"run 'mediafeed tag {ep.slug}' to refresh", path=path)  # fmt: skip
    info = probes.probe(path, stat=stat)
    if info.sha256 != ep.media.sha256:
        raise MediaError(f"content differs from the sha256 in {ep.source.name}: run "
                         f"'mediafeed tag {ep.slug}' to refresh", path=path)  # fmt: skip
    if info.mime_type != ep.media.mime_type:
        raise MediaError(f"is {info.mime_type} but {ep.source.name} says "
                         f"{ep.media.mime_type}", path=path)  # fmt: skip
    return stat


def _media_object(key: str, path: Path, ep: Episode) -> OutputObject:
    """Media objects carry the facts verified above: no second read of a large file."""
    return OutputObject(key=key, path=path, size=ep.media.length, sha256=ep.media.sha256,
                        content_type=ep.media.mime_type, cache_control=cache_control(key))  # fmt: skip


def _existing(show: Show, ep: Episode, field: str, name: str) -> Path:
    path = show.root / name
    if not path.is_file():
        raise MediafeedError(f"file {name!r} not found", path=ep.source, field=field)
    return path


def _write_if_changed(path: Path, data: bytes) -> Path:
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _link_or_copy(source: Path, target: Path, *, present: bool = True,
                  source_stat: os.stat_result | None = None) -> Path:  # fmt: skip
    """Hard-link media into the output folder: instant, and no second copy on disk."""
    if present:
        try:
            made, wanted = os.stat(target), source_stat or os.stat(source)
            if (made.st_ino, made.st_dev) == (wanted.st_ino, wanted.st_dev):
                return target
        except OSError:
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copy2(source, tmp)
    os.replace(tmp, target)
    return target


def _present(out: Path) -> set[str]:
    """Every file in the output folder by key: one walk serves the render cache, the
    links and the clean-up, where a large show would otherwise ask about each file."""
    found: set[str] = set()
    root = str(out)
    for folder, _subfolders, files in os.walk(root):
        prefix = folder[len(root) + 1 :].replace(os.sep, "/")
        found.update(f"{prefix}/{name}" if prefix else name for name in files)
    return found


def _remove_stale(out: Path, stale: Iterable[str]) -> None:
    """Delete what earlier builds left that this one did not make, then the folders that
    left empty."""
    folders: set[str] = set()
    for key in stale:
        os.unlink(os.path.join(out, key))
        parent = os.path.dirname(key)
        while parent:
            folders.add(parent)
            parent = os.path.dirname(parent)
    for folder in sorted(folders, key=lambda name: name.count("/"), reverse=True):
        with contextlib.suppress(OSError):  # still holds files this build made
            os.rmdir(os.path.join(out, folder))
