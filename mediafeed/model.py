"""Frozen dataclasses that every stage of the pipeline passes along."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class Status(StrEnum):
    """Where an episode stands at a given moment."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


class Progress(Protocol):
    """Where long work (uploads, downloads) reports how far it is; the CLI draws a bar.

    Calls are serialized, so an implementation needs no locking of its own. `advance` may
    be negative when a retried request rewinds what it had sent.
    """

    def start(self, total_bytes: int, total_files: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def landed(self, name: str) -> None:
        """An object is in the store, under its name in the manifest."""

    def done(self) -> None: ...


@dataclass(frozen=True)
class Person:
    name: str
    role: str = "host"
    group: str = "cast"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str
    url: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Location:
    """A place the show or episode is about or recorded in (podcast:location)."""

    name: str
    geo: str | None = None  # geo URI, e.g. "geo:52.08,4.31"
    osm: str | None = None  # OpenStreetMap type and id, e.g. "R324431"


@dataclass(frozen=True)
class Funding:
    url: str
    text: str


@dataclass(frozen=True)
class License:
    """podcast:license: an SPDX identifier (the namespace's list), or a name with the URL of
    its legal text."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class RemoteItem:
    """A feed the show recommends (podcast:podroll), by the GUID the namespace requires."""

    feed_guid: str | None  # None: the namespace's UUIDv5 of feed_url
    feed_url: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class SocialInteract:
    """Where an episode is discussed (podcast:socialInteract), e.g. a Mastodon post."""

    uri: str
    protocol: str = "activitypub"
    account_id: str | None = None
    account_url: str | None = None
    priority: int | None = None


@dataclass(frozen=True)
class Soundbite:
    """A short extract apps may play as a preview (podcast:soundbite)."""

    start: float
    duration: float
    title: str | None = None


@dataclass(frozen=True)
class LoudnessTarget:
    """What the show should sound like: the Podcast Standards Project's -16 LUFS for stereo
    and -19 LUFS for mono (Apple recommends the same), within a tolerance, peaks under a
    ceiling."""

    stereo: float = -16.0
    mono: float = -19.0
    tolerance: float = 1.0
    max_true_peak: float = -1.0

    def integrated(self, channels: int) -> float:
        return self.mono if channels == 1 else self.stereo


@dataclass(frozen=True)
class Format:
    """An extra rendition the build makes of every episode: opus, aac, or the audio of a
    video ("audio"), at a bitrate in kb/s."""

    name: str
    bitrate: int


@dataclass(frozen=True)
class Owner:
    name: str
    email: str
    hide_email: bool = False


@dataclass(frozen=True)
class Origin:
    """The feed an imported show came from, so a later import can tell it is the same."""

    feed: str  # its URL, or the absolute path of the file it was read from
    title: str
    guid: str | None = None  # its podcast:guid


@dataclass(frozen=True)
class PublishSettings:
    """Where the show goes. No target means the embedded local store."""

    target: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    public_url: str | None = None
    checksums: str | None = None  # when_supported or when_required; None: by the endpoint
    websub_hubs: tuple[str, ...] = ()  # WebSub hubs told of each changed feed

    @property
    def bucket(self) -> str | None:
        return self.target.removeprefix("s3://").partition("/")[0] if self.target else None

    @property
    def prefix(self) -> str:
        return self.target.removeprefix("s3://").partition("/")[2].strip("/") if self.target else ""


@dataclass(frozen=True)
class Accessibility:
    """The [accessibility] table: what the show's accessibility statement says."""

    contact: str | None = None  # an email address or web address for problems
    checked: str | None = None  # ISO date of the last check
    status: str = "partial"  # compliant, partial or none (WCAG 2.1 AA)
    method: str | None = None  # how it was checked (self-assessment, audit by ...)
    limitations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Show:
    root: Path
    title: str
    description: str
    author: str
    owner: Owner
    language: str
    categories: tuple[tuple[str, ...], ...]
    explicit: bool
    artwork: str
    link: str
    guid: str
    type: str = "episodic"
    copyright: str | None = None
    locked: bool = True
    block: bool = False
    complete: bool = False
    new_feed_url: str | None = None
    funding: tuple[Funding, ...] = ()
    persons: tuple[Person, ...] = ()
    keywords: tuple[str, ...] = ()
    medium: str = "podcast"
    update_frequency: str | None = None
    update_rrule: str | None = None
    location: Location | None = None
    txt: tuple[tuple[str, str], ...] = ()
    feed_limit: int | None = None
    subscribe: tuple[tuple[str, str], ...] = ()
    license: License | None = None
    podroll: tuple[RemoteItem, ...] = ()
    publish: PublishSettings = field(default_factory=PublishSettings)
    origin: Origin | None = None  # the [import] table
    timezone: str | None = None  # IANA name; dates written without a zone are in it
    # The show's folder on the embedded store, fixed by `init`: its URLs never follow the title.
    local_prefix: str | None = None
    # Public episodes need a transcript (WCAG 2.1 SC 1.2.1): `check` makes a missing one an error.
    require_transcript: bool = False
    # What `transcribe` runs: a faster-whisper model name or a folder holding one.
    transcribe_model: str = "small"
    accessibility: Accessibility = field(default_factory=Accessibility)
    loudness: LoudnessTarget = field(default_factory=LoudnessTarget)
    formats: tuple[Format, ...] = ()
    output: Path | None = None  # where a build writes, if not feed/ (`serve`: preview_dir)

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    @property
    def output_dir(self) -> Path:
        return self.output or self.root / "feed"

    @property
    def preview_dir(self) -> Path:
        """Where `serve` builds, beside the cache: feed/ keeps the public build."""
        return self.root / ".mediafeed" / "preview"


@dataclass(frozen=True)
class MediaInfo:
    """Facts about a media file found by probing it."""

    duration: float
    length: int
    mime_type: str
    sha256: str
    codec: str = ""
    bitrate: int = 0
    sample_rate: int = 0
    channels: int = 0
    is_video: bool = False


@dataclass(frozen=True)
class Loudness:
    """ITU-R BS.1770 / EBU R128 measures of the episode's media."""

    integrated: float  # LUFS
    range: float  # LU
    true_peak: float  # dBTP
    channels: int = 2  # mono shows aim lower


@dataclass(frozen=True)
class Normalization:
    """What `normalize` did: the producer's untouched original, by hash (and by name when
    it stays in the show folder), and the targets it was corrected to."""

    original_sha256: str
    target: float
    true_peak: float
    original: str | None = None


@dataclass(frozen=True)
class Rendition:
    """An extra file of an episode the build made (podcast:alternateEnclosure)."""

    key: str  # in the store, with a content hash like media keys
    mime_type: str
    length: int
    sha256: str
    bitrate: int  # bits per second
    title: str  # what a listener is offered, e.g. "Opus"


@dataclass(frozen=True)
class Episode:
    """One episode file: front matter plus show notes, with its media facts."""

    slug: str
    source_file: str  # the episode file's path (`source` gives it as a Path)
    title: str
    guid: str
    published: dt.datetime
    audio: str
    media: MediaInfo
    notes: str = ""
    summary: str | None = None
    season: int | None = None
    episode: int | None = None
    episode_type: str = "full"
    season_name: str | None = None
    episode_display: str | None = None
    explicit: bool | None = None
    image: str | None = None
    persons: tuple[Person, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    transcript: str | None = None
    transcript_status: str | None = None  # draft (made by speech recognition) or reviewed
    transcript_model: str | None = None  # the model that drafted it
    keywords: tuple[str, ...] = ()
    draft: bool = False
    block: bool = False
    unpublished: bool = False
    location: Location | None = None
    license: License | None = None
    social_interact: tuple[SocialInteract, ...] = ()
    soundbites: tuple[Soundbite, ...] = ()
    # Media still on another host (an imported show before its media moved): the feed
    # links this URL instead of an uploaded copy.
    enclosure_url: str | None = None
    # An imported episode: its page on the old site (for the redirect map), and its art,
    # chapters and transcript while they are still on the old host.
    old_page: str | None = None
    image_url: str | None = None
    chapters_url: str | None = None
    transcript_url: str | None = None
    transcript_type: str | None = None  # as the old feed named it: a URL may have no suffix
    loudness: Loudness | None = None
    normalized: Normalization | None = None
    # The build's extra files of the episode; an episode file never names them.
    renditions: tuple[Rendition, ...] = ()
    # sha256 of the episode file it was read from ("" if made in memory): what the
    # outputs made from the episode are remembered by.
    revision: str = ""

    @property
    def source(self) -> Path:
        return Path(self.source_file)

    @property
    def made_from(self) -> object:
        """What the outputs made from the episode are remembered by: its file's content
        hash (with its renditions' when the build made some), or every field of an episode
        made in memory (a dataclass's repr names each)."""
        if not self.revision:
            return repr(self)
        if self.renditions:
            return [self.revision, *(r.sha256 for r in self.renditions)]
        return self.revision

    @property
    def named_files(self) -> tuple[str, ...]:
        """The files of the show folder the episode names, relative to it."""
        return tuple(name for name in (self.audio, self.image, self.transcript) if name)

    def status(self, now: dt.datetime) -> Status:
        if self.unpublished:
            return Status.UNPUBLISHED
        if self.draft:
            return Status.DRAFT
        if self.published > now:
            return Status.SCHEDULED
        return Status.PUBLISHED


@dataclass(frozen=True)
class OutputObject:
    """One object of the build's manifest: what goes to the store, under which key."""

    key: str  # relative to the publish prefix, ASCII, no leading slash
    path: str  # the local file holding the bytes
    size: int
    sha256: str
    content_type: str
    cache_control: str


@dataclass(frozen=True)
class Manifest:
    """Everything one build produced for publishing, in upload order (feed last)."""

    objects: tuple[OutputObject, ...]
    feed_key: str = "feed.xml"
    # (episode guid, page key) of every episode with a page: a published link is forever.
    permalinks: tuple[tuple[str, str], ...] = ()
