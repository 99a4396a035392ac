"""`mediafeed check`: the show against the published rules of Apple, Spotify and Podcast Index.

Every rule reports every violation it finds; rule ids are stable (`check --json`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from mediafeed.cache import Cache, memo_key
from mediafeed.catalog import read_show_episodes
from mediafeed.categories import category_problem
from mediafeed.config import CONFIG_NAME, load_show
from mediafeed.errors import ConfigError, EpisodeError, MediaError, MediafeedError
from mediafeed.facts import MediaFacts
from mediafeed.links import Links, chapters_key
from mediafeed.model import Episode, Show, Status
from mediafeed.reach import is_uuid
from mediafeed.rules import (
    ERROR,
    MAX_DESCRIPTION,
    PLACEHOLDER_COVER,
    RULES,
    Finding,
    chapters_problem,
    description_bytes,
    enclosure_problems,
    is_loopback,
    person_links,
    placeholders,
    problems_of,
    remembered_findings,
    set_findings,
    show_lengths,
    transcript_problem,
)

CHECKED = "check"  # the cache's kind: each episode's findings, by its file, in one value


class CheckFailed(MediafeedError):
    """The show breaks rules that would get it refused or shown wrongly."""


def check_show(
    root: Path,
    *,
    now: dt.datetime,
    verify: bool = False,
    cache: Cache | None = None,
    errors_only: bool = False,
    read: list[Episode | EpisodeError] | None = None,
    hashes: Mapping[str, str] | None = None,
) -> tuple[Finding, ...]:
    """Every finding for the show folder, errors first, in a stable order.

    An episode's findings, and the facts probed from its media, are remembered for the
    content of its file and of the files it names; `verify` probes every file again.
    The media's tags are compared with the show's public URL (no URLs for the embedded
    store).
    `errors_only` (the check before a publish) applies no rule that can only warn.
    `read`: the episode files as the caller read them (`read_show_episodes`); `hashes`:
    content hashes by name in the show folder ("-" missing), taken by this command.
    """
    if cache is None:
        with Cache(root) as own:
            return check_show(root, now=now, verify=verify, cache=own,
                              errors_only=errors_only, read=read, hashes=hashes)  # fmt: skip
    checker = _Checker(root, verify=verify, cache=cache, hashes=hashes or {})
    try:
        show = load_show(root)
    except ConfigError as exc:
        checker.configproblems_of(exc)
        show = None
    if read is None:
        read = read_show_episodes(root / "episodes", cache, show.timezone if show else None)
    episodes = checker.episodes(read)
    if show is not None:
        checker.show_rules(show)
    # Episode rules need only the folder: a broken config hides none of them.
    checker.episode_set_rules(episodes, now, show, errors_only=errors_only)
    if show is not None and not errors_only:  # stale tags are a warning
        public = Links(show.publish.public_url) if show.publish.public_url else None
        checker.media_tags(show, episodes, public)
    for kind in (CHECKED, "probe", "tags", "picture"):
        cache.keep_only(kind, cache.used(kind))
    return tuple(sorted(checker.findings, key=lambda f: (f.severity != ERROR, f.path, f.rule)))


def errors(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.severity == ERROR)


def require_publishable(
    root: Path,
    *,
    now: dt.datetime,
    cache: Cache,
    read: list[Episode | EpisodeError] | None = None,
    hashes: Mapping[str, str] | None = None,
) -> None:
    """Refuse a show with errors: a directory would reject it, or listeners get it wrong.
    `read` and `hashes`: see `check_show`."""
    found = errors(check_show(root, now=now, cache=cache, errors_only=True, read=read,
                              hashes=hashes))  # fmt: skip
    if found:
        raise CheckFailed(f"{len(found)} error{'s' if len(found) > 1 else ''} in the show: run "
                          "'mediafeed check' to see them, or publish with --force")  # fmt: skip


def _holds(entry: object, key: str | None) -> TypeGuard[list[Any]]:
    """Whether a remembered entry was made from the inputs `key` names."""
    return key is not None and isinstance(entry, list) and len(entry) == 2 and entry[0] == key


class _Checker:
    def __init__(
        self, root: Path, *, verify: bool, cache: Cache, hashes: Mapping[str, str]
    ) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self.verify = verify
        self.cache = cache
        self.hashes = hashes
        self.facts = MediaFacts(cache, verify=verify)

    def add(
        self, rule: str, path: Path | str, field: str | None, message: str, fix: str | None = None
    ) -> None:
        severity, default_fix = RULES[rule]
        # Strings, not Paths: a large show has a finding or two per episode.
        shown, inside = str(path), os.path.join(self.root, "")
        shown = shown[len(inside) :] if shown.startswith(inside) else str(Path(shown))
        self.findings.append(Finding(severity, rule, shown, field, message, fix or default_fix))

    def configproblems_of(self, exc: ConfigError) -> None:
        for field, message in problems_of(exc):
            rule = "config"
            if field == "owner.email":
                rule = "owner-email"
            elif "is not a web address" in message:
                rule = "url"
            elif "required" in message or "must not be empty" in message:
                rule = "required"
            self.add(rule, CONFIG_NAME, field, message)

    def show_rules(self, show: Show) -> None:
        config = CONFIG_NAME
        for index, parts in enumerate(show.categories):
            problem = category_problem(parts)
            if problem:
                self.add("category", config, f"categories[{index}]", problem)
        drawn = self.artwork(show.root / show.artwork, config, "artwork")
        for rule, field, message in (*placeholders(show, drawn), *show_lengths(show)):
            self.add(rule, config, field, message)
        size = description_bytes(show.description)
        if size:
            message = f"{size} bytes of UTF-8; Apple allows {MAX_DESCRIPTION}"
            self.add("description-length", config, "description", message)
        if show.guid and not is_uuid(show.guid):
            self.add("podcast-guid", config, "guid", f"{show.guid!r} is not a UUID")
        public_url = show.publish.public_url
        if public_url and urlsplit(public_url).scheme != "https":
            rule, message = "https", f"{public_url!r} is not HTTPS; Apple Podcasts requires HTTPS"
            if is_loopback(public_url):
                rule, message = "https-link", "plain http on this computer; listeners need https://"
            self.add(rule, config, "publish.public_url", message)
        links = [("link", show.link), ("new_feed_url", show.new_feed_url)]
        links += [(f"funding[{i}].url", f.url) for i, f in enumerate(show.funding)]
        links += person_links(show.persons)
        for field, url in links:
            self.plain_http(config, field, url)
        if show.owner.hide_email and not any(p == "verify" for p, _ in show.txt):
            message = "Spotify and others verify ownership by the owner email"
            self.add("owner-verify", config, "owner.hide_email", message)
        self.page_words(show)

    def page_words(self, show: Show) -> None:
        from mediafeed.render.i18n import own_words_file, untranslated

        words = own_words_file(show).relative_to(show.root).as_posix()
        try:
            missing = untranslated(show)
        except MediafeedError as exc:
            self.add("words-file", words, exc.field, exc.message)
            return
        if missing:
            message = f"{len(missing)} words of the pages have no {show.language!r} version, "
            message += f"so they read in English ({missing[0]}, ...): write them in {words}"
            self.add("page-words", CONFIG_NAME, "language", message)

    def episode_set_rules(self, episodes: list[Episode], now: dt.datetime, show: Show | None,
                          *, errors_only: bool) -> None:  # fmt: skip
        """Each episode's own rules, remembered; then the rules over all of them."""
        key = memo_key(CHECKED, str(self.root / "episodes"))
        stored = self.cache.get(CHECKED, key)
        known: dict[str, Any] = stored if isinstance(stored, dict) else {}
        entries: dict[str, list[Any]] = {}
        keys = {ep.source_file: None if self.verify else self.memo_key(ep) for ep in episodes}
        # The media of the episodes whose rules run now, probed ahead together.
        self.facts.probe_ahead(
            self.root / ep.audio
            for ep in episodes
            if not (ep.unpublished or ep.enclosure_url)
            and not _holds(known.get(ep.source_file), keys[ep.source_file])
        )
        for ep in episodes:
            entry, made_from = known.get(ep.source_file), keys[ep.source_file]
            entries[ep.source_file] = self.remembered_episode_rules(ep, entry, made_from)
        if entries != known:
            self.cache.put(CHECKED, key, entries)
        for rule, path, field, message in set_findings(show, episodes, now,
                                                       errors_only=errors_only):  # fmt: skip
            if not errors_only or RULES[rule][0] == ERROR:
                self.add(rule, path, field, message)
        if not any(ep.status(now) is Status.PUBLISHED for ep in episodes):
            self.add("no-episodes", "episodes", None, "no published episode yet")

    def media_tags(self, show: Show, episodes: list[Episode], links: Links | None) -> None:
        """Media whose tags no longer say what `tag` would write: a title edited after
        `add`, a renamed show, a feed that moved. The tags of a media file are read once
        per content of it, of its episode file, of the show and of the code."""
        artwork = os.path.join(self.root, show.artwork)
        shown = (
            show.title,
            show.author,
            show.language,
            show.categories[:1],
            links and links.base_url,
        )
        context = memo_key("show-tags", repr(shown), self.digest(artwork) or "")
        keys: dict[str, tuple[Episode, str]] = {}
        for ep in episodes:
            path = os.path.join(self.root, ep.audio)
            media = self.digest(path) if ep.audio and not ep.enclosure_url else None
            if media:  # a missing file is the media rules' finding
                cover = self.digest(os.path.join(self.root, ep.image)) if ep.image else ""
                keys[memo_key("tags", media, ep.made_from, cover or "", context)] = (ep, path)
        known = self.cache.get_many("tags", list(keys))
        covers: dict[Path, bytes | None] = {}
        for key, (ep, path) in keys.items():
            stale = known.get(key)
            if not isinstance(stale, list):
                from mediafeed.media.tags import read_tags  # mutagen, only where tags are read
                from mediafeed.tagging import episode_tags, stale_tags

                picture = self.root / (ep.image or show.artwork)
                if picture not in covers:
                    covers[picture] = picture.read_bytes() if picture.is_file() else None
                expected = episode_tags(show, ep, links=links or Links(""), cover=covers[picture])
                try:
                    stale = stale_tags(read_tags(Path(path)), expected, urls=links is not None)
                except MediaError:
                    continue  # unreadable media: the media rules say so
                self.cache.put("tags", key, stale)
            if stale:
                fix = RULES["stale-tags"][1].replace("SLUG", ep.slug)
                message = f"the tags in {ep.audio} have an older {', '.join(map(str, stale))}"
                self.add("stale-tags", ep.source, "audio", message, fix)

    def digest(self, path: str) -> str | None:
        """A file's content hash through the cache, or None if it is not there."""
        try:
            stat = os.stat(path)
            return self.cache.known_sha256(path, stat) or self.cache.sha256(path, stat)
        except (OSError, MediaError):  # missing, or a folder: the rules on the file say so
            return None

    def plain_http(self, path: Path | str, field: str, url: str | None) -> None:
        if url and urlsplit(url).scheme == "http":
            self.add("https-link", path, field, f"{url!r} is plain HTTP")

    def artwork(self, path: Path, where: Path | str, field: str) -> bool:
        """Check a picture, once per name and content; return whether it is the placeholder
        cover `init` drew (marked by the comment in it)."""
        digest = self.digest(str(path))
        key = memo_key("picture", path.name, digest) if digest else ""
        known = self.cache.get("picture", key) if key else None
        if not isinstance(known, list):
            from mediafeed.media.artwork import picture_problems  # Pillow, for a new picture

            problems, comment = picture_problems(path)
            known = [problems, comment == PLACEHOLDER_COVER]
            if key:
                self.cache.put("picture", key, known)
        for rule, message in known[0]:
            self.add(rule, where, field, message)
        return known[1] is True

    def episodes(self, read: list[Episode | EpisodeError]) -> list[Episode]:
        found: list[Episode] = []
        for loaded in read:
            if isinstance(loaded, EpisodeError):
                for field, message in problems_of(loaded):
                    self.add("episode-file", loaded.path or self.root / "episodes", field, message)
            else:
                found.append(loaded)
        return found

    def memo_key(self, ep: Episode) -> str | None:
        """Its rules' inputs: its file and the files it names (by the hashes this command
        took, else through the cache); None while one is unknown."""
        named: list[str] = []
        chapters = (f"feed/{chapters_key(ep.slug)}",) if ep.chapters else ()
        for name in (*ep.named_files, *chapters):
            digest = self.hashes.get(name)
            if digest is None:
                path = os.path.join(self.root, name)
                try:
                    stat = os.stat(path)
                    digest = self.cache.known_sha256(path, stat)
                    if digest is None and name == ep.audio:
                        return None  # probing it tells, where hashing would read it twice
                    digest = digest or self.cache.sha256(path, stat)
                except (OSError, MediaError):  # missing, or a folder: its rule says which
                    digest = "-"
            named.append(f"{name}\0{digest}")
        return memo_key(CHECKED, ep.made_from, *named)

    def remembered_episode_rules(self, ep: Episode, entry: object, key: str | None) -> list[Any]:
        """An episode whose inputs are unchanged since the last check (`key`, None while
        one is unknown) gets its earlier findings back; returns what to remember of it:
        its key and findings."""
        if _holds(entry, key):
            remembered = remembered_findings(entry[1])
            if remembered is not None:
                self.findings.extend(remembered)
                return entry
        start = len(self.findings)
        self.episode_rules(ep)
        return [key or self.memo_key(ep), [f.as_dict() for f in self.findings[start:]]]

    def episode_rules(self, ep: Episode) -> None:
        if ep.unpublished:
            return  # only its notice page is published: none of its media, images or notes
        if not ep.enclosure_url:
            self.media(ep)
        if ep.image:
            self.artwork(self.root / ep.image, ep.source, "image")
        from mediafeed.render.notes import render_notes  # Markdown, once per episode's content

        html = render_notes(ep.notes)
        if not html and not (ep.summary or "").strip():
            self.add("description-missing", ep.source, "notes", "no show notes and no summary")
        size = description_bytes(html)
        if size:
            message = f"{size} bytes of HTML; Apple shows {MAX_DESCRIPTION}"
            fix = "shorten the notes; the full text stays in content:encoded"
            self.add("description-length", ep.source, "notes", message, fix)
        if ep.transcript:
            self.transcript(self.root / ep.transcript, ep)
        duration = ep.media.duration
        for index, chapter in enumerate(ep.chapters):
            if duration and chapter.start >= duration:
                message = f"starts at {chapter.start:g} s, after the end ({duration:g} s)"
                self.add("chapters", ep.source, f"chapters[{index}]", message)
        self.chapters_file(ep)
        for field, url in person_links(ep.persons):
            self.plain_http(ep.source, field, url)

    def media(self, ep: Episode) -> None:
        path = self.root / ep.audio
        if not path.is_file():
            self.add("media-missing", ep.source, "audio", f"{ep.audio!r} not found")
            return
        try:
            info = self.facts.probe(path)
        except MediaError as exc:
            self.add("media-unreadable", ep.source, "audio", f"{ep.audio}: {exc.message}")
            return
        for rule, field, message in enclosure_problems(ep, info):
            self.add(rule, ep.source, field, message, RULES[rule][1].replace("SLUG", ep.slug))

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
        path = self.root / "feed" / chapters_key(ep.slug)
        if not ep.chapters or not path.is_file():
            return
        problem = chapters_problem(path.read_bytes())
        if problem:
            self.add("chapters", path, None, problem, "run 'mediafeed build' to rewrite it")
