"""The command line: parse arguments, call one core function, print. No logic lives here."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from mediafeed import __version__
from mediafeed.errors import MediafeedError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def now() -> dt.datetime:
    """The clock every command uses; MEDIAFEED_NOW fixes it (release checks, tests)."""
    fixed = os.environ.get("MEDIAFEED_NOW")
    if fixed:
        try:
            moment = dt.datetime.fromisoformat(fixed)
        except ValueError:
            raise click.UsageError(f"MEDIAFEED_NOW={fixed!r} is not an ISO 8601 time") from None
        return moment if moment.tzinfo else moment.astimezone()
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def parse_when(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date, e.g. 2021-11-02T09:00:00+01:00"
        ) from None
    return moment  # one without a zone is in the show's timezone (see `add_episode`)


class Group(click.Group):
    """Turns project errors into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MediafeedError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.secho(f"Error: {exc}", err=True, fg="red")
            ctx.exit(1)
        except BrokenPipeError:
            # The reader went away (`mediafeed list | head`): nothing to say, as cat does.
            ctx.exit(141)
        except OSError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.secho(f"Error: {where}{exc.strerror or exc}", err=True, fg="red")
            ctx.exit(1)


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="mediafeed")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.option("-C", "--show-dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="The show folder (default: the nearest with a mediafeed.toml).")  # fmt: skip
@click.pass_context
def cli(ctx: click.Context, debug: bool, show_dir: Path) -> None:
    """Publish a podcast: tag media, build an RSS feed and episode pages, upload to S3.

    A show is a folder with mediafeed.toml, episodes/*.md (one Markdown file per episode)
    and media/. Start with 'mediafeed init', add episodes with 'mediafeed add', then
    'mediafeed publish'.
    """
    ctx.obj = {"debug": debug, "show_dir": Path(show_dir)}


def _show(ctx: click.Context) -> Any:
    from mediafeed.commands.show import open_show

    return open_show(ctx.obj["show_dir"])


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--title", default="My podcast", show_default=True, help="The show's title.")
@click.option("--language", default="en", show_default=True, help="Language code, e.g. nl.")
@click.option("--timezone", help="Zone of dates without one (default: Europe/Amsterdam for nl).")
def init(directory: Path, title: str, language: str, timezone: str | None) -> None:
    """Create a new show in DIRECTORY: mediafeed.toml, episodes/, media/ and artwork."""
    from mediafeed.commands.init import init_show

    config = init_show(directory, title=title, language=language, timezone=timezone)
    click.echo(f"Created {config}. Edit it, then add an episode: mediafeed add FILE --title ...")


@cli.command(context_settings=CONTEXT)
@click.argument("media", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="Episode title (default: the file name).")
@click.option("--slug", help="Permanent URL name (default: made from the title).")
@click.option(
    "--date",
    "published",
    help="Publication time, ISO 8601 (default: now; a future one schedules), zone: the show's.",
)
@click.option(
    "--notes",
    "notes_file",
    type=click.File("r", encoding="utf-8"),
    help="Markdown show notes from a file, or - for standard input.",
)
@click.option("--summary", help="A one or two sentence summary.")
@click.option("--season", type=click.IntRange(min=1), help="Season number.")
@click.option("--episode", type=click.IntRange(min=1), help="Episode number.")
@click.option("--type", "episode_type", type=click.Choice(["full", "trailer", "bonus"]),
              default="full", show_default=True, help="Apple episode type.")  # fmt: skip
@click.option("--explicit/--clean", default=None, help="Override the show's explicit flag.")
@click.option("--draft", is_flag=True, help="Keep the episode private until you remove draft.")
@click.pass_context
def add(
    ctx: click.Context, /, media: Path, published: str | None, notes_file: Any, **fields: Any
) -> None:
    """Add MEDIA as a new episode: probe it, copy and tag it, write episodes/<slug>.md.

    The source file is never changed; the show gets a tagged copy in media/.
    """
    from mediafeed.commands.add import NewEpisode, add_episode
    from mediafeed.commands.report import clock, status_word
    from mediafeed.commands.show import public_links

    show = _show(ctx)
    notes = notes_file.read() if notes_file else ""
    request = NewEpisode(media=media, published=parse_when(published), notes=notes, **fields)
    episode = add_episode(show, request, now=now(), links=public_links(show))
    click.echo(
        f"Added {episode.slug}: {episode.title} ({clock(episode.media.duration)}, "
        f"{status_word(episode, now(), frozenset())}) -> {episode.source.relative_to(show.root)}"
    )


@cli.command("list", context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
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

    rows = listing(_show(ctx), now())
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("No episodes yet. Add one with: mediafeed add FILE --title ...")
        return
    for line in listing_lines(rows):
        click.echo(line)


@cli.command(context_settings=CONTEXT)
@click.argument("slugs", nargs=-1)
@click.pass_context
def tag(ctx: click.Context, slugs: Sequence[str]) -> None:
    """Re-apply tags from the episode files to their media (all episodes by default)."""
    from mediafeed.commands.add import retag_episode
    from mediafeed.commands.show import public_links
    from mediafeed.episodes import load_episodes

    show = _show(ctx)
    targets = list(slugs) or [ep.slug for ep in load_episodes(show.episodes_dir, show.timezone)]
    for slug in targets:
        episode = retag_episode(show, slug, links=public_links(show))
        click.echo(f"Tagged {episode.audio}")


@cli.command(context_settings=CONTEXT)
@click.pass_context
def build(ctx: click.Context) -> None:
    """Write feed/: feed.xml, the show and episode pages, chapters and transcripts."""
    from mediafeed.commands.report import build_line
    from mediafeed.commands.show import build_show

    moment = now()
    click.echo(build_line(build_show(_show(ctx), now=moment), moment))


@cli.command(context_settings=CONTEXT)
@click.argument("slug")
@click.option("--prune", is_flag=True, help="Publish now; delete its media from the store.")
@click.pass_context
def unpublish(ctx: click.Context, slug: str, prune: bool) -> None:
    """Take episode SLUG down: out of the feed, its page becomes a short "no longer
    available" notice so links in sent newsletters still work.

    The episode file keeps its GUID, slug and media; delete the 'unpublished: true' line to
    bring it back. Takes effect on the next publish (or now, with --prune).
    """
    from mediafeed.commands.unpublish import unpublish_episode

    show = _show(ctx)
    episode, changed = unpublish_episode(show, slug)
    done = f"Unpublished {episode.slug}: {episode.title}"
    click.echo(done if changed else f"{episode.slug} was unpublished already; nothing changed.")
    if not prune:
        click.echo("Run 'mediafeed publish --prune' to take it down and delete its media.")
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


@cli.command("import", context_settings=CONTEXT)
@click.argument("feed")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--download-media", is_flag=True,
              help="Also fetch media, artwork, chapters and transcripts (resumable).")  # fmt: skip
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
    from mediafeed.progress import progress_bar

    with progress_bar(enabled=download_media and not as_json) as bar:
        report = import_feed(feed, directory, download_media=download_media, progress=bar)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        from mediafeed.commands.report import counted

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


@cli.command(context_settings=CONTEXT)
@click.option("--dry-run", is_flag=True, help="Show what would be uploaded; change nothing.")
@click.option("--prune", is_flag=True, help="Delete objects published earlier, no longer needed.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.option("--force", is_flag=True, help="Publish even when 'mediafeed check' finds errors.")
@click.option("--verify", is_flag=True,
              help="Compare the store object by object, not by the record of the last publish.")  # fmt: skip
@click.pass_context
def publish(
    ctx: click.Context, dry_run: bool, prune: bool, as_json: bool, force: bool, verify: bool
) -> None:
    """Build, then upload what changed: media and pages first, feed.xml last.

    Without a [publish] target in mediafeed.toml, publishes to the embedded local store.
    Credentials come from the standard AWS chain (environment, ~/.aws, profile).
    Refuses a show with errors (see 'mediafeed check') unless --force. What changed is
    judged against the record the last publish left in the store; a publish with nothing
    to send lists the store and restores anything that went missing.
    """
    from mediafeed.commands.show import publish_show
    from mediafeed.progress import progress_bar, publish_interruptible

    show = _show(ctx)
    with publish_interruptible(), progress_bar(enabled=not as_json, say=click.echo) as bar:
        in_feed, report = publish_show(
            show, now=now(), dry_run=dry_run, prune=prune, force=force, verify=verify, progress=bar
        )
    from mediafeed.commands.report import publish_lines, publish_summary

    if as_json:
        click.echo(json.dumps({**publish_summary(report), "warnings": report.warnings}, indent=2))
        return
    for line in publish_lines(report, in_feed=in_feed, streamed=bar.streamed):
        click.echo(line)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)


@cli.command(context_settings=CONTEXT)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")  # fmt: skip
@click.pass_context
def serve(ctx: click.Context, port: int) -> None:
    """Build the show for a local address and serve it, with HEAD and Range support."""
    from mediafeed.commands.report import counted
    from mediafeed.commands.serve import make_server
    from mediafeed.commands.show import build_show
    from mediafeed.links import Links

    show = _show(ctx)
    server = make_server(show.output_dir, port=port)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    result = build_show(show, now=now(), links=Links(base))
    try:  # from the moment the message below names Ctrl+C
        click.echo(f"Serving {counted(len(result.public), 'episode')} at {base}/index.html")
        click.echo(f"Feed: {base}/feed.xml  (Ctrl+C stops)")
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # the way out this command names: no "Aborted!", exit 0
    finally:
        server.server_close()


@cli.command(context_settings=CONTEXT)
@click.argument("slug", required=False)
@click.option("--format", "fmt", type=click.Choice(["html", "markdown", "text"]),
              default="html", show_default=True, help="Output format.")  # fmt: skip
@click.option("--no-image", is_flag=True, help="Leave the cover image out.")
@click.pass_context
def newsletter(ctx: click.Context, slug: str | None, fmt: str, no_image: bool) -> None:
    """A ready-to-paste newsletter block linking episode SLUG (default: the newest one).

    The HTML block uses inline styles and absolute links only, so mail clients keep it.
    A scheduled episode gets its block too, so the mail can be ready before the release;
    a note on stderr says from when its link works.
    """
    from mediafeed.commands.newsletter import newsletter_for

    made = newsletter_for(_show(ctx), slug, fmt=fmt, image=not no_image, now=now())
    if made.note:
        click.echo(f"Note: {made.note}", err=True)
    click.echo(made.block, nl=False)


@cli.command(context_settings=CONTEXT)
@click.argument("slug")
@click.pass_context
def embed(ctx: click.Context, slug: str) -> None:
    """The <iframe> snippet that plays episode SLUG on another web page.

    It shows the episode's player page (episodes/SLUG/embed/), 100 % wide and 220 pixels
    high (520 for video), which asks nothing of any other site and sets no cookie.
    """
    from mediafeed.commands.embed import embed_for

    snippet, note = embed_for(_show(ctx), slug, now=now())
    if note:
        click.echo(note, err=True)
    click.echo(snippet)


@cli.command(context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable findings.")
@click.option("--verify", is_flag=True, help="Probe and hash every media file again.")
@click.pass_context
def check(ctx: click.Context, as_json: bool, verify: bool) -> None:
    """Check config, episodes, media and artwork against the rules of Apple Podcasts,
    Spotify and the Podcast Index. One line per finding; exit code 1 on errors."""
    from mediafeed.check import check_show, errors
    from mediafeed.config import find_root

    findings = check_show(find_root(ctx.obj["show_dir"]), now=now(), verify=verify)
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            click.echo(finding.line())
        problems = len(errors(findings))
        from mediafeed.commands.report import counted

        click.echo(f"{counted(problems, 'error')}, {counted(len(findings) - problems, 'warning')}.")
    ctx.exit(1 if errors(findings) else 0)


@cli.group(context_settings=CONTEXT)
def store() -> None:
    """The embedded local S3 store (SeaweedFS on 127.0.0.1) used when no target is set."""


@store.command("start", context_settings=CONTEXT)
def store_start() -> None:
    """Start the local store, or reuse the running one."""
    from mediafeed.store import local as localstore

    running = localstore.ensure_running(localstore.default_state_dir())
    click.echo(f"Local store running at {running.endpoint_url} (pid {running.pid})")


@store.command("stop", context_settings=CONTEXT)
def store_stop() -> None:
    """Stop the local store."""
    from mediafeed.store import local as localstore

    stopped = localstore.stop(localstore.default_state_dir())
    click.echo("Local store stopped." if stopped else "Local store was not running.")


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="mediafeed")
