"""The commands that check, build and publish the show, and preview it locally."""

from __future__ import annotations

import json

import click

from mediafeed.cli.base import current_show, now


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable findings.")
@click.option("--verify", is_flag=True, help="Probe and hash every media file again.")
@click.pass_context
def check(ctx: click.Context, as_json: bool, verify: bool) -> None:
    """Check config, episodes, media and artwork against the rules of Apple Podcasts,
    Spotify and the Podcast Index. One line per finding; exit code 1 on errors."""
    from mediafeed.check import check_show, errors
    from mediafeed.commands.report import counted
    from mediafeed.config import find_root

    findings = check_show(find_root(ctx.obj["show_dir"]), now=now(), verify=verify)
    problems = len(errors(findings))
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            click.echo(finding.line())
        click.echo(f"{counted(problems, 'error')}, {counted(len(findings) - problems, 'warning')}.")
    ctx.exit(1 if problems else 0)


@click.command()
def build() -> None:
    """Write feed/: feed.xml, the show and episode pages, chapters and transcripts."""
    from mediafeed.commands.report import build_line
    from mediafeed.commands.show import build_show
    from mediafeed.progress import encode_bar, stopped_says

    with stopped_says("Stopped: run 'mediafeed build' again to finish feed/."):
        result = build_show(current_show(), now=now(), encoding=encode_bar)
    click.echo(build_line(result))


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would be uploaded; change nothing.")
@click.option("--prune", is_flag=True, help="Delete objects published earlier, no longer needed.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.option("--force", is_flag=True, help="Publish even when 'mediafeed check' finds errors.")
@click.option(
    "--verify",
    is_flag=True,
    help="Compare the store object by object, not by the record of the last publish.",
)
def publish(dry_run: bool, prune: bool, as_json: bool, force: bool, verify: bool) -> None:
    """Build, then upload what changed: media and pages first, feed.xml last.

    Without a [publish] target in mediafeed.toml, publishes to the embedded local store.
    Credentials come from the standard AWS chain (environment, ~/.aws, profile).
    Refuses a show with errors (see 'mediafeed check') unless --force. What changed is
    judged against the record the last publish left in the store; a publish with nothing
    to send lists the store and restores anything that went missing.
    """
    from mediafeed.commands.report import publish_lines, publish_summary
    from mediafeed.commands.show import publish_show
    from mediafeed.progress import progress_bar, publish_interruptible

    show = current_show()
    with publish_interruptible(), progress_bar(enabled=not as_json, say=click.echo) as bar:
        in_feed, report = publish_show(
            show,
            now=now(),
            dry_run=dry_run,
            prune=prune,
            force=force,
            verify=verify,
            progress=bar,
            encoding=bar.encoding,
        )
    if as_json:
        click.echo(json.dumps({**publish_summary(report), "warnings": report.warnings}, indent=2))
        return
    for line in publish_lines(report, in_feed=in_feed, streamed=bar.streamed):
        click.echo(line)
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
def serve(port: int) -> None:
    """Build a preview of the show for a local address and serve it, with HEAD and Range;
    a page asked for after an edit is built again. feed/ is left as `build` made it."""
    from mediafeed.commands.report import counted
    from mediafeed.commands.serve import Rebuilt, make_server
    from mediafeed.commands.show import preview_show

    show = current_show()
    root = show.root
    server = make_server(show.preview_dir, port=port)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    result = preview_show(root, base, now())
    server.fresh = Rebuilt(
        lambda: preview_show(root, base, now()),
        lambda problem: click.echo(f"Error: {problem} (until a build goes well)", err=True),
    )
    try:  # from the moment the message below names Ctrl+C
        click.echo(f"Serving {counted(len(result.public), 'episode')} at {base}/index.html")
        click.echo(f"Feed: {base}/feed.xml  (Ctrl+C stops)")
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # the way out this command names: no "Aborted!", exit 0
    finally:
        server.server_close()


@click.group()
def store() -> None:
    """The embedded local S3 store (SeaweedFS on 127.0.0.1) used when no target is set."""


@store.command("start")
def store_start() -> None:
    """Start the local store, or reuse the running one."""
    from mediafeed.store import local as localstore

    running = localstore.ensure_running(localstore.default_state_dir())
    click.echo(f"Local store running at {running.endpoint_url} (pid {running.pid})")


@store.command("stop")
def store_stop() -> None:
    """Stop the local store."""
    from mediafeed.store import local as localstore

    stopped = localstore.stop(localstore.default_state_dir())
    click.echo("Local store stopped." if stopped else "Local store was not running.")


COMMANDS = (check, build, publish, serve, store)
