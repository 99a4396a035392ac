"""`mediafeed check`: the show against the published rules of Apple, Spotify and Podcast Index.

Every rule reports every violation it finds, so a producer fixes them in one pass.
Rule ids are stable: scripts read them from `mediafeed check --json`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from mediafeed.cache import Cache, memo_key, signature
from mediafeed.catalog import read_show_episodes
from mediafeed.categories import category_problem
from mediafeed.config import CONFIG_NAME, load_show
from mediafeed.errors import ConfigError, EpisodeError, MediaError, MediafeedError
from mediafeed.media.probe import probe
from mediafeed.model import Episode, MediaInfo, Show, Status
from mediafeed.render.notes import render_notes
from mediafeed.rules import (
    APPLE_TYPES,
    ARTWORK_MAX,
    ARTWORK_MIN,
    ERROR,
    MAX_DESCRIPTION,
    RULES,
    Finding,
    chapters_problem,
    duplicates,
    is_loopback,
    is_uuid,
    numbering,
    person_links,
    transcript_problem,
)


class CheckFailed(MediafeedError):
    """The show breaks rules that would get it refused or shown wrongly."""


def check_show(
    root: Path, *, now: dt.datetime, verify: bool = False, cache: Cache | None = None
) -> tuple[Finding, ...]:
    """Every finding for the show folder, errors first, in a stable order.

    An episode's findings, and the facts probed from its media, are remembered for the
    content of its file and of the files it names; `verify` probes every file again.
    """
    if cache is None:
        with Cache(root) as own:
            return check_show(root, now=now, verify=verify, cache=own)
    checker = _Checker(root, verify=verify, cache=cache)
    try:
        show = load_show(root)
    except ConfigError as exc:
        checker.config_problems(exc)
        show = None
    episodes = checker.episodes(root)
    if show is not None:
        checker.show_rules(show)
    # Episode rules need only the folder: a broken config hides none of them.
    checker.episode_set_rules(episodes, now)
    for kind in ("check", "probe"):
        cache.keep_only(kind, cache.used(kind))
    return tuple(sorted(checker.findings, key=lambda f: (f.severity != ERROR, f.path, f.rule)))


def _problems(error: MediafeedError) -> list[tuple[str | None, str]]:
    """The (field, message) of each problem one error reports: mediafeed.toml and episode
    files name all of theirs in one error, "field: message" joined by "; "."""
    if error.field:
        return [(error.field, error.message)]
    found: list[tuple[str | None, str]] = []
    for problem in error.message.split("; "):
        field, _, message = problem.partition(": ")
        found.append((field, message) if message and " " not in field else (None, problem))
    return found


def _findings(items: object) -> list[Finding] | None:
    """Findings as remembered, or None if the entry is not a list of them."""
    if not isinstance(items, list):
        return None
    try:
        return [
            Finding(
                str(i["severity"]),
                str(i["rule"]),
                str(i["path"]),
                i["field"],
                str(i["message"]),
                str(i["fix"]),
            )
            for i in items
        ]
    except (KeyError, TypeError):
        return None


def errors(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.severity == ERROR)


def require_publishable(root: Path, *, now: dt.datetime, cache: Cache) -> None:
    """Refuse a show with errors: a directory would reject it, or listeners get it wrong."""
    found = errors(check_show(root, now=now, cache=cache))
    if found:
        raise CheckFailed(
            f"{len(found)} error{'s' if len(found) > 1 else ''} in the show: run "
            "'mediafeed check' to see them, or publish with --force"
        )


class _Checker:
    def __init__(self, root: Path, *, verify: bool, cache: Cache) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self.verify = verify
        self.cache = cache

    def add(
        self, rule: str, path: Path | str, field: str | None, message: str, fix: str | None = None
    ) -> None:
        severity, default_fix = RULES[rule]
        shown = Path(path)
        if shown.is_absolute() and shown.is_relative_to(self.root):
            shown = shown.relative_to(self.root)
        self.findings.append(
            Finding(severity, rule, str(shown), field, message, fix or default_fix)
        )

    def config_problems(self, exc: ConfigError) -> None:
        for field, message in _problems(exc):
            rule = "config"
            if field == "owner.email":
                rule = "owner-email"
            elif "required" in message or "must not be empty" in message:
                rule = "required"
            self.add(rule, CONFIG_NAME, field, message)

    def show_rules(self, show: Show) -> None:
        config = CONFIG_NAME
        for index, parts in enumerate(show.categories):
            problem = category_problem(parts)
            if problem:
                self.add("category", config, f"categories[{index}]", problem)
        self.artwork(show.root / show.artwork, config, "artwork")
        if len(show.description) > MAX_DESCRIPTION:
            count = len(show.description)
            self.add(
                "description-length",
                config,
                "description",
                f"{count} characters; Apple allows {MAX_DESCRIPTION}",
            )
        if show.guid and not is_uuid(show.guid):
            self.add("podcast-guid", config, "guid", f"{show.guid!r} is not a UUID")
        public_url = show.publish.public_url
        if public_url and urlsplit(public_url).scheme != "https":
            if is_loopback(public_url):
                self.add(
                    "https-link",
                    config,
                    "publish.public_url",
                    "plain http on this computer; listeners need https://",
                )
            else:
                self.add(
                    "https",
                    config,
                    "publish.public_url",
                    f"{public_url!r} is not HTTPS; Apple Podcasts requires HTTPS",
                )
        links = [("link", show.link), ("new_feed_url", show.new_feed_url)]
        links += [(f"funding[{i}].url", f.url) for i, f in enumerate(show.funding)]
        links += person_links("persons", show.persons)
        for field, url in links:
            self.plain_http(config, field, url)
        if show.owner.hide_email and not any(p == "verify" for p, _ in show.txt):
            self.add(
                "owner-verify",
                config,
                "owner.hide_email",
                "Spotify and others verify ownership by the owner email",
            )

    def episode_set_rules(self, episodes: list[Episode], now: dt.datetime) -> None:
        keys = {ep.slug: None if self.verify else self.memo_key(ep) for ep in episodes}
        known = self.cache.get_many("check", [key for key in keys.values() if key])
        for ep in episodes:
            self.remembered_episode_rules(ep, keys[ep.slug], known)
        for rule, path, field, message in (*duplicates(episodes), *numbering(episodes)):
            self.add(rule, path, field, message)
        if not any(ep.status(now) is Status.PUBLISHED for ep in episodes):
            self.add("no-episodes", "episodes", None, "no published episode yet")

    def plain_http(self, path: Path | str, field: str, url: str | None) -> None:
        if url and urlsplit(url).scheme == "http":
            self.add("https-link", path, field, f"{url!r} is plain HTTP")

    def artwork(self, path: Path, where: Path | str, field: str) -> None:
        if PurePosixPath(path.name).suffix.lower() not in (".jpg", ".jpeg", ".png"):
            self.add(
                "artwork-format",
                where,
                field,
                f"{path.name!r}: Apple needs a URL ending in .jpg or .png",
            )
        try:
            with Image.open(path) as image:
                kind, mode, (width, height) = image.format, image.mode, image.size
                transparent = "transparency" in image.info
        except FileNotFoundError:
            self.add("artwork-format", where, field, f"{path.name!r} not found")
            return
        except (UnidentifiedImageError, OSError) as exc:
            self.add("artwork-format", where, field, f"{path.name!r} is not a picture ({exc})")
            return
        if kind not in ("JPEG", "PNG"):
            self.add("artwork-format", where, field, f"{path.name!r} is {kind}, not JPEG or PNG")
        if width != height:
            self.add("artwork-square", where, field, f"{width}x{height} pixels is not square")
        if not ARTWORK_MIN <= max(width, height) <= ARTWORK_MAX or min(width, height) < ARTWORK_MIN:
            self.add(
                "artwork-size",
                where,
                field,
                f"{width}x{height} pixels; Apple needs {ARTWORK_MIN} to {ARTWORK_MAX} on each side",
            )
        if mode != "RGB" or transparent:
            self.add(
                "artwork-color",
                where,
                field,
                f"colour mode {mode}{' with transparency' if transparent else ''}; Apple needs RGB",
            )

    def episodes(self, root: Path) -> list[Episode]:
        found: list[Episode] = []
        for loaded in read_show_episodes(root / "episodes", self.cache):
            if isinstance(loaded, EpisodeError):
                for field, message in _problems(loaded):
                    self.add("episode-file", loaded.path or root / "episodes", field, message)
            else:
                found.append(loaded)
        return found

    def memo_key(self, ep: Episode) -> str | None:
        """An episode's own rules depend on its file and the content of the files it
        names; None while one of them is not known by its content yet."""
        named: list[str] = []
        chapters = (f"feed/episodes/{ep.slug}/chapters.json",) if ep.chapters else ()
        for name in (*ep.named_files, *chapters):
            path = os.path.join(self.root, name)
            try:
                stat = os.stat(path)
            except OSError:
                named.append(f"{name}\0-")
                continue
            digest = self.cache.known_sha256(path, stat)
            if digest is None:
                if name == ep.audio:
                    return None  # probing it tells, where hashing would read it twice
                digest = self.cache.sha256(path, stat)
            named.append(f"{name}\0{digest}")
        return memo_key("check", ep.made_from, *named)

    def remembered_episode_rules(self, ep: Episode, key: str | None, known: dict[str, Any]
                                 ) -> None:  # fmt: skip
        """An episode whose inputs are unchanged since the last check gets its earlier
        findings back."""
        remembered = _findings(known.get(key)) if key else None
        if remembered is not None:
            self.findings.extend(remembered)
            return
        start = len(self.findings)
        self.episode_rules(ep)
        key = key or self.memo_key(ep)
        if key:
            self.cache.put("check", key, [f.as_dict() for f in self.findings[start:]])

    def probe(self, path: Path) -> MediaInfo:
        """The media facts, probed once per content of the file."""
        stat = path.stat()
        digest = None if self.verify else self.cache.known_sha256(path, stat)
        if digest is not None:
            known = self.cache.get("probe", memo_key("probe", digest))
            with contextlib.suppress(TypeError):
                if isinstance(known, dict):
                    return MediaInfo(**known)
        started = time.time_ns()
        info = probe(path)
        if signature(path.stat()) == signature(stat) and info.length == stat.st_size:
            self.cache.remember_sha256(path, stat, info.sha256, checked_ns=started)
            self.cache.put("probe", memo_key("probe", info.sha256), asdict(info))
        return info

    def episode_rules(self, ep: Episode) -> None:
        if not getattr(ep, "enclosure_url", None):
            self.media(ep)
        if ep.image:
            self.artwork(self.root / ep.image, ep.source, "image")
        html = render_notes(ep.notes)
        if not html and not (ep.summary or "").strip():
            self.add("description-missing", ep.source, "notes", "no show notes and no summary")
        if len(html) > MAX_DESCRIPTION:
            self.add(
                "description-length",
                ep.source,
                "notes",
                f"{len(html)} characters of HTML; Apple shows {MAX_DESCRIPTION}",
                "shorten the notes; the full text stays in content:encoded",
            )
        if ep.transcript:
            self.transcript(self.root / ep.transcript, ep)
        duration = ep.media.duration
        for index, chapter in enumerate(ep.chapters):
            if duration and chapter.start >= duration:
                message = f"starts at {chapter.start:g} s, after the end ({duration:g} s)"
                self.add("chapters", ep.source, f"chapters[{index}]", message)
        self.chapters_file(ep)
        for field, url in person_links("persons", ep.persons):
            self.plain_http(ep.source, field, url)

    def media(self, ep: Episode) -> None:
        path = self.root / ep.audio
        fix = RULES["enclosure-length"][1].replace("SLUG", ep.slug)
        if not path.is_file():
            self.add("media-missing", ep.source, "audio", f"{ep.audio!r} not found")
            return
        try:
            info = self.probe(path)
        except MediaError as exc:
            self.add("media-unreadable", ep.source, "audio", f"{ep.audio}: {exc.message}")
            return
        if info.length != ep.media.length:
            self.add(
                "enclosure-length",
                ep.source,
                "length",
                f"says {ep.media.length} bytes, the file has {info.length}",
                fix,
            )
        elif info.sha256 != ep.media.sha256:
            self.add("enclosure-length", ep.source, "sha256", "the media file changed", fix)
        if info.mime_type != ep.media.mime_type:
            self.add(
                "enclosure-type",
                ep.source,
                "mime_type",
                f"says {ep.media.mime_type}, the file is {info.mime_type}",
                RULES["enclosure-type"][1].replace("SLUG", ep.slug),
            )
        if ep.media.mime_type not in APPLE_TYPES:
            self.add(
                "enclosure-apple",
                ep.source,
                "mime_type",
                f"Apple Podcasts does not play {ep.media.mime_type}",
            )

    def transcript(self, path: Path, ep: Episode) -> None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            self.add("transcript", ep.source, "transcript", f"{ep.transcript!r} not found")
            return
        except (UnicodeDecodeError, OSError) as exc:
            self.add("transcript", ep.source, "transcript", f"not UTF-8 text ({exc})")
            return
        problem = transcript_problem(path.suffix.lower(), text)
        if problem:
            self.add("transcript", ep.source, "transcript", f"{ep.transcript}: {problem}")

    def chapters_file(self, ep: Episode) -> None:
        """A chapters file from an earlier build must still be Podcast Index JSON."""
        path = self.root / "feed" / "episodes" / ep.slug / "chapters.json"
        if not ep.chapters or not path.is_file():
            return
        problem = chapters_problem(path.read_bytes())
        if problem:
            self.add("chapters", path, None, problem, "run 'mediafeed build' to rewrite it")
