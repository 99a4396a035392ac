"""Adding episodes and re-applying their tags: the producer's edits to the show folder.

`add` is all or nothing: the media copy is written, tagged, under a temporary name, the
episode file is written last, and any failure removes everything this call created. It
opens the producer's file once, read-only, and reads it once: mutagen parses the headers
through that handle, then one pass copies it (see `tags.copy_tagged`): an MP3 is hashed
and its frames walked on the way; other formats are copied in the kernel, tagged in
place, and the copy is hashed.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
import zoneinfo
from dataclasses import dataclass, replace
from pathlib import Path

from slugify import slugify

from mediafeed.cache import Cache
from mediafeed.commands.show import public_links
from mediafeed.commands.unpublish import find_episode, here_first
from mediafeed.episodes import (
    MAX_SLUG,
    RESERVED_SLUGS,
    SLUG,
    episode_fields,
    episode_path,
    render_episode_file,
    write_text_atomic,
)
from mediafeed.errors import EpisodeError, MediaError
from mediafeed.facts import note_written, remember
from mediafeed.frontmatter import in_calendar, in_zone
from mediafeed.media.encode import Tick, measure, normalize
from mediafeed.media.frames import EpisodeTags
from mediafeed.media.probe import (
    MediaFile,
    extension_matches,
    facts,
    frame_walk,
    open_media,
    probe,
)
from mediafeed.media.tags import ape_title, copy_tagged, existing_tags, write_tags
from mediafeed.model import Episode, Loudness, MediaInfo, Normalization, Show
from mediafeed.output import temp_beside
from mediafeed.tagging import episode_tags

# The facts of a copy still to be written. Tags carry none of them, so the episode's tags
# are made before the copy, which yields the facts; the episode is made whole with them.
_NOT_YET = MediaInfo(duration=0.0, length=0, mime_type="", sha256="")


@dataclass(frozen=True)
class NewEpisode:
    """What the producer said on the command line; None means 'work it out'."""

    media: Path
    title: str | None = None
    slug: str | None = None
    published: dt.datetime | None = None
    notes: str = ""
    summary: str | None = None
    season: int | None = None
    episode: int | None = None
    episode_type: str = "full"
    explicit: bool | None = None
    draft: bool = False
    normalize: bool = False  # the show gets a loudness-normalized copy


def add_episode(
    show: Show, request: NewEpisode, *, now: dt.datetime, tick: Tick | None = None
) -> Episode:
    """Add the producer's file as an episode, with its loudness measured; with `normalize`,
    the copy in media/ is normalized to the show's target (the file itself is never changed)."""
    if not request.normalize:
        with open_media(request.media) as media:
            return _add(show, request, media, now=now)
    original = probe(request.media)
    show.media_dir.mkdir(parents=True, exist_ok=True)
    fd, name = temp_beside(show.media_dir, ".normalizing.", request.media.suffix.lower())
    os.close(fd)
    try:
        measured = normalize(
            request.media,
            Path(name),
            suffix=request.media.suffix.lower(),
            target=show.loudness,
            probed=original,
            tick=tick,
        )
        with open_media(Path(name)) as media:
            return _add(show, request, media, now=now, named=request.media, measured=measured)
    finally:
        os.unlink(name)


def _add(
    show: Show,
    request: NewEpisode,
    media: MediaFile,
    *,
    now: dt.datetime,
    named: Path | None = None,
    measured: tuple[Loudness, Normalization] | None = None,
) -> Episode:
    """`named`: the producer's file when `media` is a normalized copy of it, `measured`
    that copy's loudness and what was applied."""
    source = named or media.path
    tagged = _tags_in(media)
    # One line, as apps show it: a title pasted with a line break or a tab keeps its words.
    given = request.title or tagged.title.strip() or source.stem.replace("_", " ")
    title = " ".join(given.split())
    if not title:
        raise EpisodeError("an episode needs a title (use --title)", path=source, field="title")
    slug = request.slug or slugify(title, max_length=80, word_boundary=True)
    if not slug:  # a title of emoji or punctuation alone: no letter or digit to keep
        message = f"the title {title!r} has no letters or digits for a slug: use --slug"
        raise EpisodeError(message, path=source, field="slug")
    if not SLUG.match(slug):
        raise EpisodeError(
            f"{slug!r} is not a slug (lower-case ASCII letters, digits and hyphens)",
            path=source,
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        message = f"{slug!r} is a device name on Windows, where no file may have it: use --slug"
        raise EpisodeError(message, path=source, field="slug")
    if len(slug) > MAX_SLUG:  # a file name, and a part of every address of the episode
        raise EpisodeError(
            f"is {len(slug)} characters; a slug has at most {MAX_SLUG}", path=source, field="slug"
        )
    target_file = episode_path(show.episodes_dir, slug)
    if target_file.exists():
        raise EpisodeError(
            "an episode with this slug exists; pass --slug to choose another", path=target_file
        )
    # An honest name keeps its ending (an audiobook stays .m4b); a lying one is corrected.
    suffix = (
        source.suffix.lower() if extension_matches(source, media.kind) else media.kind.extension
    )
    media_name = f"{slug}{suffix}"
    media_target = show.media_dir / media_name
    if media_target.exists():
        if os.path.samefile(media_target, source):  # put in media/ first, as init's folder invites
            raise MediaError("is where add would put its tagged copy (your file stays as it "
                             "is): add it from outside media/, or pass --slug", path=source)  # fmt: skip
        raise MediaError("already exists; pass --slug to choose another", path=media_target)

    show.media_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = temp_beside(show.media_dir, f".{slug}.", ".part")
    tmp = Path(tmp_name)
    placed = False
    try:
        with os.fdopen(fd, "wb+") as out:
            published = _when(show, request.published, now.replace(microsecond=0), source)
            episode = Episode(
                slug=slug,
                source_file=str(target_file),
                title=title,
                guid=str(uuid.uuid4()),
                published=published,
                audio=f"media/{media_name}",
                media=_NOT_YET,
                notes=request.notes,
                summary=request.summary,
                season=request.season,
                episode=request.episode,
                episode_type=request.episode_type,
                explicit=request.explicit,
                draft=request.draft,
                chapters=tagged.chapters,
            )
            walk = frame_walk(media)
            length, sha256 = copy_tagged(
                media,
                out,
                episode_tags(show, episode, links=public_links(show)),
                observe=walk.feed if walk else None,
            )
            # The audio facts are the producer's file's; length and hash are of the copy.
            found = facts(media, walk, length=length, sha256=sha256)
            loudness, applied = measured or (measure(source, channels=found.channels), None)
            episode = replace(episode, media=found, loudness=loudness, normalized=applied)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, media_target)
        placed = True
        note_written(show.root, media_target, episode.media)
        write_text_atomic(
            target_file, render_episode_file(episode_fields(episode), request.notes), exclusive=True
        )
        return episode
    except BaseException:
        tmp.unlink(missing_ok=True)
        if placed:
            media_target.unlink(missing_ok=True)
        raise


def _when(show: Show, moment: dt.datetime | None, now: dt.datetime, source: Path) -> dt.datetime:
    """A date without a zone is in the show's timezone, as in an episode file; the default,
    now, is written in that zone too, so the file shows the producer's own clock."""
    zone = zoneinfo.ZoneInfo(show.timezone) if show.timezone else None
    if moment is None:
        return now.astimezone(zone) if zone else now
    if moment.tzinfo is None and zone is None:
        raise EpisodeError(
            "--date needs a time zone, e.g. +01:00, or set timezone in mediafeed.toml",
            path=source,
            field="published",
        )
    try:
        return in_calendar(moment if moment.tzinfo or zone is None else in_zone(moment, zone))
    except ValueError as exc:
        raise EpisodeError(f"--date {exc}", path=source, field="published") from None


def retag_episode(show: Show, slug: str) -> Episode:
    """Write the episode file's facts into its media, then record the new size and hash."""
    episode = here_first(find_episode(show, slug))
    media = show.root / episode.audio
    if not media.is_file():
        raise MediaError("media file not found", path=media)
    # A file copied over the old one (docs/lifecycle.md) is probed anew: its duration and
    # type are not the old file's. The same audio re-tagged keeps the facts add probed.
    known = episode.media
    with Cache(show.root) as cache:  # a file add or tag wrote is known: not read for its hash
        replaced = media.stat().st_size != known.length or cache.sha256(media) != known.sha256
        write_tags(media, episode_tags(show, episode, links=public_links(show)))
        after = probe(media)
        remember(cache, media, media.stat(), after, written=True)
    replaced |= after.mime_type != known.mime_type  # what check's enclosure-type asks tag to fix
    found = after if replaced else replace(known, length=after.length, sha256=after.sha256)
    refreshed = replace(episode, media=found)
    if refreshed.media != episode.media:
        write_text_atomic(
            episode.source, render_episode_file(episode_fields(refreshed), episode.notes)
        )
    return refreshed


def _tags_in(media: MediaFile) -> EpisodeTags:
    """The title and chapters the producer's editor already wrote into the file, if any."""
    try:
        found = existing_tags(media.audio)
        return found if found.title else replace(found, title=ape_title(media))
    except Exception:  # noqa: BLE001  # tags we cannot read hold nothing we can keep
        return EpisodeTags(title="")
