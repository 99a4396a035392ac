"""The commands that make and change the show: init, add, list, tag, unpublish, import."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mediafeed.cli.base import current_show, now, parse_when
from mediafeed.errors import MediafeedError

if TYPE_CHECKING:
    from mediafeed.model import Show


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--title", default="My podcast", show_default=True, help="The show's title.")
@click.option("--language", default="en", show_default=True, help="Language code, e.g. nl.")
@click.option("--timezone", help="Zone of dates without one (default: Europe/Amsterdam for nl).")
def init(directory: Path, title: str, language: str, timezone: str | None) -> None:
    """Create a new show in DIRECTORY: mediafeed.toml, episodes/, media/ and artwork."""
    from mediafeed.commands.init import init_show

    config = init_show(directory, title=title, language=language, timezone=timezone)
    # From the folder init ran in, the new show is found only when named (or after a cd).
    show = "" if directory == Path() else f' -C "{directory}"'
    click.echo(f"Created {config}. Edit it, then add an episode: mediafeed{show} add FILE")


@click.command()
@click.argument("media", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="Episode title (default: the file's title tag, else its name).")
@click.option("--slug", help="Permanent URL name (default: made from the title).")
@click.option(
    "--date",
    "published",
    help="Publication time, ISO 8601 (default: now; a future one schedules), zone: the show's.",
)
@click.option(
    "--notes",
    "notes_file",
    type=click.File("r", encoding="utf-8-sig"),  # Notepad starts UTF-8 with a BOM
    help="Markdown show notes from a file, or - for standard input.",
)
@click.option("--summary", help="A one or two sentence summary.")
@click.option("--season", type=click.IntRange(min=1), help="Season number.")
@click.option("--episode", type=click.IntRange(min=1), help="Episode number.")
@click.option(
    "--type",
    "episode_type",
    type=click.Choice(["full", "trailer", "bonus"]),
    default="full",
    show_default=True,
    help="Apple episode type.",
)
@click.option("--explicit/--clean", default=None, help="Override the show's explicit flag.")
@click.option("--draft", is_flag=True, help="Keep the episode private until you remove draft.")
@click.option(
    "--transcribe",
    "and_transcribe",
    is_flag=True,
    help="Then draft its transcript, as 'mediafeed transcribe' does.",
)
@click.option(
    "--normalize",
    is_flag=True,
    help="Copy it loudness-normalized to the show's target (see [loudness]).",
)
def add(
    media: Path,
    published: str | None,
    notes_file: Any,
    and_transcribe: bool,
    **fields: Any,
) -> None:
    """Add MEDIA as a new episode: probe it, copy and tag it, write episodes/<slug>.md.

    The source file is never changed; the show gets a tagged copy in media/. Its loudness
    (LUFS, loudness range, true peak) is measured into the episode file.
    """
    from mediafeed.commands.add import NewEpisode, add_episode
    from mediafeed.commands.report import clock, status_word
    from mediafeed.progress import encode_bar, stopped_says

    show = current_show()
    if and_transcribe:  # before the episode is added: a missing extra is said at once
        from mediafeed.speech import recognizer

        recognizer(show.root)
    try:
        notes = notes_file.read() if notes_file else ""
    except UnicodeDecodeError:
        raise MediafeedError("not UTF-8 text", path=notes_file.name, field="--notes") from None
    request = NewEpisode(media=media, published=parse_when(published), notes=notes, **fields)
    stop = "Stopped: nothing was added, and your file is as it was."
    with stopped_says(stop), encode_bar("Normalizing", enabled=request.normalize) as tick:
        episode = add_episode(show, request, now=now(), tick=tick)
    click.echo(
        f"Added {episode.slug}: {episode.title} ({clock(episode.media.duration)}, "
        f"{status_word(episode, now(), frozenset())}) -> {episode.source.relative_to(show.root)}"
    )
    if and_transcribe:
        _transcribe(show, [episode.slug], force=False)


@click.command()
@click.argument("slugs", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Replace a reviewed or hand-made transcript too.")
def transcribe(slugs: Sequence[str], force: bool) -> None:
    """Draft a WebVTT transcript of each episode SLUG by speech recognition on this machine
    (needs: pip install 'mediafeed[transcribe]'), in the show's language, with the model
    [transcribe] model in mediafeed.toml names.

    Writes transcripts/<slug>.vtt and sets transcript, transcript_status: draft and
    transcript_model in the episode file. Pages mark the draft as not yet reviewed until
    you correct it and set transcript_status: reviewed. Ctrl-C stops; run the same command
    again to resume where it stopped.
    """
    _transcribe(current_show(), list(slugs), force=force)


def _transcribe(show: Show, slugs: list[str], *, force: bool) -> None:
    from mediafeed.commands.transcribe import transcribe_episodes
    from mediafeed.progress import seconds_bar, stopped_says

    resume = "Stopped: the finished part is kept; run the same command again to resume."
    with stopped_says(resume), seconds_bar() as bar:
        done = transcribe_episodes(show, slugs, force=force, on_progress=bar)
    for item in done:
        resumed = f", resumed at {item.resumed_at:.0f} s" if item.resumed_at else ""
        click.echo(
            f"Transcribed {item.episode.slug}: {item.cues} cues{resumed} -> "
            f"{item.episode.transcript} (draft: review it, then set transcript_status: reviewed)"
        )


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(as_json: bool) -> None:
    """Episodes, newest first, with status, date, duration, size, slug and title.

    \b
    Status:
      draft        'draft: true' in its file: private, never uploaded
      scheduled    dated in the future: the first publish after that time releases it
      ready        due, but not in the feed yet: run 'mediafeed publish'
      published    in the feed, as the last publish from this folder left it
      unpublished  taken down: out of the feed, its page a "no longer available" notice

    --json adds "in_feed" (put in the feed by the last publish) and "file_status".
    """
    from mediafeed.commands.report import listing, listing_lines

    rows = listing(current_show(), now())
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No episodes yet. Add one with: mediafeed add FILE --title ...")
        return
    for line in listing_lines(rows):
        click.echo(line)


@click.command()
@click.argument("slugs", nargs=-1)
def tag(slugs: Sequence[str]) -> None:
    """Re-apply tags from the episode files to their media (all episodes by default)."""
    from mediafeed.commands.add import retag_episode
    from mediafeed.commands.report import counted
    from mediafeed.episodes import load_episodes

    show = current_show()
    episodes = [] if slugs else load_episodes(show.episodes_dir, show.timezone)
    for slug in list(slugs) or [ep.slug for ep in episodes if not ep.enclosure_url]:
        episode = retag_episode(show, slug)
        click.echo(f"Tagged {episode.audio}")
    if remote := sum(1 for ep in episodes if ep.enclosure_url):
        passed = f"Passed over {counted(remote, 'episode')} whose media is on the old host"
        click.echo(f"{passed} (move it with 'mediafeed import FEED --download-media').")


@click.command()
@click.argument("slug")
@click.option("--prune", is_flag=True, help="Publish now; delete its media from the store.")
def unpublish(slug: str, prune: bool) -> None:
    """Take episode SLUG down: out of the feed, its page becomes a short "no longer
    available" notice so links in sent newsletters still work.

    The episode file keeps its GUID, slug and media; delete the 'unpublished: true' line to
    bring it back. Takes effect on the next publish (or now, with --prune).
    """
    from mediafeed.commands.unpublish import unpublish_episode

    show = current_show()
    episode, changed = unpublish_episode(show, slug, now())
    done = f"Unpublished {episode.slug}: {episode.title}"
    click.echo(done if changed else f"{episode.slug} was unpublished already; nothing changed.")
    if not prune:
        tail = (
            " (its media stays on the old host)"
            if episode.enclosure_url
            else " and delete its media"
        )
        click.echo(f"Run 'mediafeed publish --prune' to take it down{tail}.")
        return
    from mediafeed.commands.show import publish_show
    from mediafeed.progress import publish_interruptible

    # A takedown must not wait for unrelated problems that 'mediafeed check' may report.
    with publish_interruptible():
        _, report = publish_show(show, now=now(), prune=True, force=True)
    for key in report.deleted:
        click.echo(f"Deleted {key}")
    click.echo(f"Feed: {report.feed_url}")
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)


@click.command("import")
@click.argument("feed")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--download-media",
    is_flag=True,
    help="Also fetch media, artwork, chapters and transcripts (resumable).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
def import_(feed: str, directory: Path, download_media: bool, as_json: bool) -> None:
    """Write the show of an existing podcast's FEED (URL or file) into DIRECTORY (default:
    the current folder), which must be empty, absent, or a show imported from that feed.

    Keeps every GUID, date and title, so subscribers see no duplicates after the move, and
    each old episode page's name as the new page's slug. Prints one line per value it had
    to guess and per item it left out. Run it again on the show to add the feed's new items
    or, with --download-media, to finish moving the media; without it, episodes keep
    linking their media on the old host. docs/lifecycle.md tells how to redirect the old
    feed and pages.
    """
    from mediafeed.commands.migrate import import_feed
    from mediafeed.commands.report import counted
    from mediafeed.progress import progress_bar

    with progress_bar(enabled=download_media and not as_json) as bar:
        report = import_feed(feed, directory, download_media=download_media, progress=bar)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(
            f"Imported {counted(len(report.imported), 'episode')} into {report.root}"
            + (f"; media of {len(report.downloaded)} downloaded" if download_media else "")
        )
        for line in report.report:
            click.echo(f"- {line}")
        for line in report.failed:
            click.echo(f"Note: {line}", err=True)
    if report.failed:
        failed = counted(len(report.failed), "download")
        raise click.ClickException(f"{failed} failed; run the same command again to resume")


@click.command()
@click.argument("slugs", nargs=-1, required=True)
def normalize(slugs: Sequence[str]) -> None:
    """Make each episode's media loudness-normalized (two passes, true-peak limited).

    The normalized copy becomes the episode's media; the original stays in media/,
    unchanged, and the episode file records its sha256 and what was applied.
    """
    from mediafeed.commands.normalize import normalize_episode
    from mediafeed.progress import encode_bar, stopped_says

    show = current_show()
    for slug in slugs:
        stop = f"Stopped: {slug} keeps the media it had; run the same command again to finish."
        with stopped_says(stop), encode_bar(f"Normalizing {slug}") as tick:
            episode = normalize_episode(show, slug, tick=tick)
        found = episode.loudness
        level = f" ({found.integrated:g} LUFS, {found.true_peak:g} dBTP)" if found else ""
        click.echo(f"Normalized {slug} -> {episode.audio}{level}")


COMMANDS = (normalize, init, add, transcribe, list_, tag, unpublish, import_)
