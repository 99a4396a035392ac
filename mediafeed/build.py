"""Build the show into feed/: feed.xml, pages, chapters, transcripts, images and media links.

Returns the manifest publish works from. Files whose bytes did not change are not
rewritten, so a rebuild of an unchanged show touches nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any

from mediafeed import links as keys
from mediafeed import localcache
from mediafeed.beside import forking_is_safe
from mediafeed.episodes import load_episodes
from mediafeed.errors import MediaError
from mediafeed.forked import Beside
from mediafeed.fresh import fresh_outputs
from mediafeed.links import Links
from mediafeed.listings import make_listings
from mediafeed.manifest import HashCache, sha256_file, upload_rank
from mediafeed.media.artwork import write_variant
from mediafeed.model import Episode, Manifest, OutputObject, Show, Status
from mediafeed.output import OutputFolder, Placed, described
from mediafeed.render.notes import NOTES_CACHE, adopt, keep_remembered, remembered
from mediafeed.render.pages import render_gone_page
from mediafeed.render.templating import template_sources
from mediafeed.rendercache import (
    RenderCache,
    episode_inputs,
    files_fingerprint,
    fingerprint,
    stamp,
)

if TYPE_CHECKING:
    from mediafeed.media.probe import ProbeCache

CACHE_DIR = ".mediafeed"
# From this many episodes a build makes the listings (feed, show and year pages) in a
# forked process beside the rest; for fewer, forking costs more than it saves.
LISTINGS_BESIDE_FROM = 1000


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    episodes: tuple[Episode, ...]  # every episode file, newest first
    public: tuple[Episode, ...]  # what the feed and pages show
    feed_url: str
    unpublished: tuple[Episode, ...]  # taken down: a notice page, no feed item, no media
    make_manifest: Callable[[], Manifest]

    @cached_property
    def manifest(self) -> Manifest:
        """Made on first use: `build` alone never needs the objects of 10,000 episodes
        it took unchanged from the last build."""
        return self.make_manifest()


def build(show: Show, *, links: Links, now: dt.datetime) -> BuildResult:
    with remembered(show.root / NOTES_CACHE):
        return _build(show, links=links, now=now)


@dataclass(frozen=True)
class EpisodeOutputs:
    """What one public episode put in the output folder (its page, media link, chapters,
    image, transcript) and what it was made from: the next build takes them as they are
    while neither the inputs nor the written files changed."""

    made_from: tuple[object, ...]
    paths: tuple[str, ...]  # each file written
    stamps: tuple[tuple[int, int] | None, ...]  # each file as it was written
    # The files' OutputObjects, pickled: only a publish reads them. The record of the
    # benchmark's 10,000 episodes loads in 24 ms this way, in 54 ms as objects.
    packed_objects: bytes

    @classmethod
    def of(cls, made_from: tuple[object, ...], objects: tuple[OutputObject, ...],
           stamps: tuple[tuple[int, int] | None, ...]) -> EpisodeOutputs:  # fmt: skip
        return cls(made_from, tuple(obj.path for obj in objects), stamps,
                   pickle.dumps(objects, protocol=pickle.HIGHEST_PROTOCOL))  # fmt: skip

    def objects(self) -> tuple[OutputObject, ...]:
        found: tuple[OutputObject, ...] = pickle.loads(self.packed_objects)  # noqa: S301 (inside the signed record)
        return found


def _build(show: Show, *, links: Links, now: dt.datetime) -> BuildResult:
    episodes = tuple(load_episodes(show.episodes_dir))
    public = tuple(ep for ep in episodes if ep.status(now) is Status.PUBLISHED)
    gone = tuple(ep for ep in episodes if ep.status(now) is Status.UNPUBLISHED)
    # Drafts and scheduled episodes are left out entirely: not in the feed, no page, no
    # media in the manifest, so a publish at any hour releases exactly what is due.
    out = show.output_dir
    base = fingerprint(show, links.base_url, files_fingerprint(template_sources(show)))
    last = _last_build(show)
    hashes = HashCache(show.root / CACHE_DIR / "hashes.pickle")
    # Without the last build's list of outputs, one walk tells what is there.
    present = _present(out) if not last else None
    cache = RenderCache(show.root / CACHE_DIR / "render.pickle",
                        present.__contains__ if present is not None
                        else lambda key: os.path.isfile(os.path.join(out, key)))  # fmt: skip
    listing = partial(make_listings, show, public, links=links, base=base, cache=cache,
                      hashes=hashes)  # fmt: skip
    beside = (Beside(listing) if len(public) >= LISTINGS_BESIDE_FROM
              and (os.cpu_count() or 1) > 1 and forking_is_safe() else None)  # fmt: skip
    try:
        units = _episode_outputs(show, public, links=links, base=base, last=last, cache=cache,
                                 hashes=hashes, present=present)  # fmt: skip
        listings = beside.result() if beside is not None else listing()
    except BaseException:
        if beside is not None:
            beside.abandon()
        raise
    cache.adopt(listings.fingerprints)
    adopt(listings.notes)
    cache.save()
    folder = OutputFolder(out)
    placed: dict[str, Placed] = {}
    for ep in gone:
        # Newsletter links never die: the page stays, saying the episode is gone.
        key = keys.episode_page_key(ep.slug)
        placed[key] = folder.write(key, render_gone_page(show, ep.slug, links=links).encode())
    artwork = os.path.join(show.root, show.artwork)
    artwork_key = keys.image_key(show.artwork)
    placed[artwork_key] = folder.link(artwork_key, artwork, os.stat(artwork))
    for width in keys.ARTWORK_WIDTHS:
        key = keys.artwork_variant_key(width)
        variant = str(write_variant(show.root / show.artwork, out / key, width))
        placed[key] = Placed(variant, os.stat(variant))
    learned = list(listings.hashes)
    shared = {key: described(key, made, hashes, learned) for key, made in placed.items()}
    shared.update(listings.objects)
    for path, stat, digest in learned:
        hashes.remember(path, stat, digest)
    hashes.save()
    kept = {ep.slug: units[ep.slug] for ep in public}
    shared_keys = frozenset(shared)
    if shared_keys == last.get(SHARED):
        shared_keys = last[SHARED]  # the saved object: unchanged entries cost the record nothing
    record: dict[str, Any] = {**kept, SHARED: shared_keys}
    _remove_stale(out, _stale(out, last, record, present))
    _save_last_build(show, last, record)

    def make_manifest() -> Manifest:
        objects = {obj.key: obj for unit in kept.values() for obj in unit.objects()}
        objects.update(shared)
        ordered = sorted(objects.values(), key=lambda obj: (upload_rank(obj.key), obj.key))
        permalinks = tuple((ep.guid, keys.episode_page_key(ep.slug)) for ep in (*public, *gone))
        return Manifest(tuple(ordered), permalinks=permalinks)

    return BuildResult(out, episodes, public, links.feed, gone, make_manifest)


def _episode_outputs(show: Show, public: tuple[Episode, ...], *, links: Links, base: str,
                     last: dict[str, Any], cache: RenderCache, hashes: HashCache,
                     present: set[str] | None) -> dict[str, EpisodeOutputs]:  # fmt: skip
    """What each public episode put in the output folder: taken from the last build where
    neither its inputs nor its files changed, else made afresh."""
    out = show.output_dir
    root = str(show.root)
    media_inodes: dict[str, int] = {}
    made_from = {ep.slug: _made_from(root, base, ep, media_inodes) for ep in public}
    linked = _inodes(os.path.join(out, keys.MEDIA_FOLDER)) if last else {}
    units: dict[str, EpisodeOutputs] = {}
    fresh: list[Episode] = []
    tampered: set[str] = set()  # same inputs, but a file in the output changed since
    for ep in public:
        unit = last.get(ep.slug)
        if unit is not None and unit.made_from == made_from[ep.slug]:
            if _intact(unit, linked, media_inodes.get(ep.slug)):
                units[ep.slug] = unit
                continue
            tampered.add(ep.slug)
        fresh.append(ep)

    hosted = [ep for ep in fresh if not ep.enclosure_url]
    media_hashes = MediaHashes(show, hashes)
    media_stats = {ep.slug: verify_media(show, ep, media_hashes) for ep in hosted}
    keep_remembered(ep.notes for ep in public)
    made = fresh_outputs(show, fresh, links=links, base=base, cache=cache, hashes=hashes,
                         media_stats=media_stats, tampered=tampered, present=present)
    units.update((slug, EpisodeOutputs.of(made_from[slug], *outputs))
                 for slug, outputs in made.items())  # fmt: skip
    for slug in units.keys() - {ep.slug for ep in fresh}:
        cache.keep(keys.episode_page_key(slug))
    return units


LAST_BUILD = f"{CACHE_DIR}/build.pickle"
LAST_BUILD_FORMAT = 4


# The record of the last build: each public episode's EpisodeOutputs by slug, and under
# SHARED the keys of every other file it wrote (slugs are never empty). Kept as a journaled
# dict, so a build after adding one episode appends one entry.
SHARED = ""


def _last_build(show: Show) -> dict[str, Any]:
    """The record as saved, or empty when there is none (the build then walks `feed/`)."""
    return localcache.load_dict(show.root / LAST_BUILD, _record_header(show))


def _save_last_build(show: Show, before: dict[str, Any], record: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # unsaved, the next build walks the output folder
        localcache.save_dict(show.root / LAST_BUILD, _record_header(show), before, record)


def _record_header(show: Show) -> tuple[int, str]:
    """A record of another format, or of another output folder, reads as none."""
    return LAST_BUILD_FORMAT, str(show.output_dir)


def _stale(out: Path, last: dict[str, Any], record: dict[str, Any], present: set[str] | None
           ) -> set[str]:  # fmt: skip
    """What the last build wrote (or, without its record, what is there) that this one did
    not. Only entries this build changed can hold such files: for a build that changed
    none, no pass over 20,000 keys."""
    if not last:
        return (present or set()) - _outputs(out, record)
    changed = {slug: unit for slug, unit in last.items() if record.get(slug) is not unit}
    return _outputs(out, changed) - _outputs(out, record) if changed else set()


def _outputs(out: Path, record: dict[str, Any]) -> set[str]:
    """Every key a build record lists."""
    prefix = len(str(out)) + 1
    found = {path[prefix:] for slug, unit in record.items() if slug != SHARED
             for path in unit.paths}  # fmt: skip
    found.update(record.get(SHARED, ()))
    return found


def _made_from(root: str, base: str, ep: Episode, media_inodes: dict[str, int]
               ) -> tuple[object, ...]:  # fmt: skip
    """The inputs of an episode's own outputs: the show's (base), its file, and the files
    it names, by size and time. Notes the media file's inode in `media_inodes`."""
    audio = None
    if not ep.enclosure_url:
        try:
            media = os.stat(os.path.join(root, ep.audio))
        except OSError:
            pass  # missing: verify_media says so, if the episode is built afresh
        else:
            audio = (media.st_size, media.st_mtime_ns)
            media_inodes[ep.slug] = media.st_ino
    image = stamp(os.path.join(root, ep.image)) if ep.image else None
    transcript = stamp(os.path.join(root, ep.transcript)) if ep.transcript else None
    return (base, episode_inputs(ep), audio, image, transcript)


def _inodes(folder: str) -> dict[str, int]:
    """Each file's inode by path: one read of the folder, no stat per file."""
    try:
        with os.scandir(folder) as entries:
            return {entry.path: entry.inode() for entry in entries}
    except OSError:
        return {}


def _intact(unit: EpisodeOutputs, linked: dict[str, int], media_inode: int | None) -> bool:
    """Every file the episode wrote is still there as it was written. A media file still
    linked to the episode's media, whose size and time `made_from` has just compared,
    needs no stat of its own: 10,000 fewer for a large show."""
    for path, written in zip(unit.paths, unit.stamps, strict=True):
        if media_inode is not None and linked.get(path) == media_inode:
            continue
        if stamp(path) != written:
            return False
    return True


def verify_media(show: Show, ep: Episode, hashes: MediaHashes) -> os.stat_result:
    """The enclosure must describe the bytes that will be uploaded, exactly: the file has
    the size and the SHA-256 its episode file says, so it is the file whose type and
    duration `add` or `tag` probed (and `check` probes again). Returns the file's stat,
    which later steps reuse rather than ask again."""
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
    if hashes.sha256(path, stat) != ep.media.sha256:
        raise MediaError(f"content differs from the sha256 in {ep.source.name}: run "
                         f"'mediafeed tag {ep.slug}' to refresh", path=path)  # fmt: skip
    return stat


SMALL_MEDIA = 8 * 1024 * 1024


class MediaHashes:
    """SHA-256 of media files from the hash cache, else from the facts `add`, `tag` and
    `check` probed (opened only when needed), else read: a large new file is read once
    per publish, by the check, not again by the build."""

    def __init__(self, show: Show, hashes: HashCache):
        self.show = show
        self.hashes = hashes
        self._probes: ProbeCache | None = None

    def sha256(self, path: str, stat: os.stat_result) -> str:
        digest = self.hashes.known(path, stat)
        if digest is None:
            facts = None
            if stat.st_size > SMALL_MEDIA:  # else reading it costs less than the facts file
                if self._probes is None:
                    # Imported here: media brings in mutagen (17 ms), which a build
                    # that reuses its hashes never needs.
                    from mediafeed.media.probe import PROBE_CACHE, ProbeCache

                    self._probes = ProbeCache(self.show.root / PROBE_CACHE)
                facts = self._probes.known(path, stat)
            digest = facts.sha256 if facts else sha256_file(Path(path))
            self.hashes.remember(path, stat, digest)
        return digest


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
