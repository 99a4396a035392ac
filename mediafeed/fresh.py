"""The outputs of the episodes a build makes afresh: page, chapters, image, transcript and
media link, rendered and written in a forked process per core when there are many.

Rendering 10,000 episode pages is most of a full build's work, and each page depends on
its episode alone; on two cores, two processes take half the time. What a child learns
on the way (hashes of the files it wrote, the Markdown of the notes it rendered) comes
back with its result, so the caches it fills are those the build saves.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from stat import S_ISREG

from mediafeed import links as keys
from mediafeed.beside import forking_is_safe
from mediafeed.errors import MediafeedError
from mediafeed.forked import in_slices
from mediafeed.links import Links
from mediafeed.manifest import HashCache, cache_control
from mediafeed.model import Episode, OutputObject, Show
from mediafeed.output import Learned, OutputFolder, Placed, described
from mediafeed.render.feed import chapters_json
from mediafeed.render.notes import adopt, collected
from mediafeed.render.pages import render_episode_page
from mediafeed.rendercache import RenderCache, episode_inputs, fingerprint, stamp

# Fewer fresh episodes render in less time than forking and sending back costs.
FORK_FROM = 200

Stamps = tuple[tuple[int, int] | None, ...]


def fresh_outputs(show: Show, fresh: Sequence[Episode], *, links: Links, base: str,
                  cache: RenderCache, hashes: HashCache, media_stats: dict[str, os.stat_result],
                  tampered: set[str], present: set[str] | None
                  ) -> dict[str, tuple[tuple[OutputObject, ...], Stamps]]:  # fmt: skip
    """Each episode's output objects and the stamps of their files as written, by slug.

    `present`: the files in the output folder by key, when there is no record of the last
    build; `tampered`: episodes whose files changed since, to be written again.
    """
    folder = OutputFolder(show.output_dir)
    if (present is not None and any(keys.episode_page_key(ep.slug) not in present for ep in fresh)
            and cache.drop_saved()):  # fmt: skip
        # Files not there are written straight rather than through a temp file. Until
        # this build ends, no saved fingerprint vouches for any file, so a page left half
        # written by a build stopped halfway is rendered again by the next.
        folder = OutputFolder(show.output_dir, absent=lambda key: key not in present)
    jobs = []
    for ep in fresh:
        transcript = stamp(show.root / ep.transcript) if ep.transcript else None
        print_ = fingerprint(base, episode_inputs(ep), transcript)
        jobs.append((ep, cache.wanted(keys.episode_page_key(ep.slug), print_,
                                      force=ep.slug in tampered)))  # fmt: skip
    work = partial(_outputs_of, show, links=links, folder=folder, hashes=hashes,
                   media_stats=media_stats)  # fmt: skip
    processes = os.cpu_count() or 1
    if len(jobs) >= FORK_FROM and processes > 1 and forking_is_safe():
        folder.folder("episodes")  # once, not once per process
        if any(not ep.enclosure_url for ep in fresh):
            folder.folder("media")
        parts = in_slices(work, jobs, processes=processes)
    else:
        parts = [work(jobs)]
    made: dict[str, tuple[tuple[OutputObject, ...], Stamps]] = {}
    for part in parts:
        made.update(part.made)
        for path, stat, digest in part.learned:
            hashes.remember(path, stat, digest)
        adopt(part.notes)
    return made


@dataclass(frozen=True)
class _Part:
    """What making some episodes' outputs left: the outputs, and what was learned."""

    made: dict[str, tuple[tuple[OutputObject, ...], Stamps]]
    learned: Learned
    notes: dict[str, str]  # Markdown output of the notes rendered, for the notes cache


def _outputs_of(show: Show, jobs: Sequence[tuple[Episode, bool]], *, links: Links,
                folder: OutputFolder, hashes: HashCache,
                media_stats: dict[str, os.stat_result]) -> _Part:  # fmt: skip
    learned: Learned = []
    with collected() as notes:
        made = {ep.slug: episode_outputs(show, ep, links=links, render=render, folder=folder,
                                         hashes=hashes, media_stat=media_stats.get(ep.slug),
                                         learned=learned)
                for ep, render in jobs}  # fmt: skip
    return _Part(made, learned, notes)


def episode_outputs(show: Show, ep: Episode, *, links: Links, render: bool,
                    folder: OutputFolder, hashes: HashCache, media_stat: os.stat_result | None,
                    learned: Learned) -> tuple[tuple[OutputObject, ...], Stamps]:  # fmt: skip
    """One episode's objects and their files' stamps. `render`: the page on disk is not
    made from the same inputs (or is not there)."""
    page_key = keys.episode_page_key(ep.slug)
    if render:
        page = render_episode_page(show, ep, links=links).encode("utf-8")
        placed = {page_key: folder.write(page_key, page)}
    else:
        path = os.path.join(folder.root, page_key)
        placed = {page_key: Placed(path, os.stat(path))}
    if ep.chapters:
        key = keys.chapters_key(ep.slug)
        placed[key] = folder.write(key, chapters_json(ep, links=links))
    if ep.image:
        key = keys.image_key(ep.image)
        placed[key] = folder.link(key, *_existing(show, ep, "image", ep.image))
    if ep.transcript:
        key = keys.transcript_key(ep)
        placed[key] = folder.link(key, *_existing(show, ep, "transcript", ep.transcript))
    objects = [described(key, made, hashes, learned) for key, made in placed.items()]
    stats = [made.stat for made in placed.values()]
    if not ep.enclosure_url:
        key = keys.media_key(ep)
        source = os.path.join(show.root, ep.audio)
        made = folder.link(key, source, media_stat or os.stat(source))
        objects.append(_media_object(key, made.path, ep))
        stats.append(made.stat)
    return tuple(objects), tuple((stat.st_size, stat.st_mtime_ns) for stat in stats)


def _media_object(key: str, path: str, ep: Episode) -> OutputObject:
    """Media objects carry the facts the build verified: no second read of a large file."""
    return OutputObject(key=key, path=path, size=ep.media.length, sha256=ep.media.sha256,
                        content_type=ep.media.mime_type, cache_control=cache_control(key))  # fmt: skip


def _existing(show: Show, ep: Episode, field: str, name: str) -> tuple[str, os.stat_result]:
    """The path of a file the episode names, and its stat."""
    path = os.path.join(show.root, name)
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    if stat is None or not S_ISREG(stat.st_mode):
        raise MediafeedError(f"file {name!r} not found", path=ep.source, field=field)
    return path, stat
