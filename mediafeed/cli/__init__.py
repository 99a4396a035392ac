"""The command line: parse arguments, call one core function, print. No logic lives here.

The commands live beside this file by what they are for; this module makes the group,
turns project errors into one line, and runs it.
"""

from __future__ import annotations

import codecs
import io
import sys
from pathlib import Path
from typing import Any

import click

from mediafeed import __version__
from mediafeed.cli import edit, publish, share
from mediafeed.cli.base import CONTEXT
from mediafeed.errors import MediafeedError


class Group(click.Group):
    """Turns project errors into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`mediafeed list | head`): nothing to say, as cat does.
            ctx.exit(141)
        except (MediafeedError, OSError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            message = str(exc)
            if isinstance(exc, OSError):
                where = f"{exc.filename}: " if exc.filename else ""
                message = f"{where}{exc.strerror or exc}"
            click.secho(f"Error: {message}", err=True, fg="red")
            ctx.exit(1)


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="mediafeed")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.option(
    "-C",
    "--show-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The show folder (default: the nearest with a mediafeed.toml).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, show_dir: Path) -> None:
    """Publish a podcast: tag media, build an RSS feed and episode pages, upload to S3.

    A show is a folder with mediafeed.toml, episodes/*.md (one Markdown file per episode)
    and media/. Start with 'mediafeed init', add episodes with 'mediafeed add', then
    'mediafeed publish'.
    """
    ctx.obj = {"debug": debug, "show_dir": show_dir}


for command in (*edit.COMMANDS, *publish.COMMANDS, *share.COMMANDS):
    cli.add_command(command)


def main() -> None:
    _readable_output()
    cli.main(prog_name="mediafeed")


def _readable_output() -> None:
    """Files and pipes get UTF-8, the encoding of JSON and of every feed, whatever the
    locale says: a redirected stream on Windows is cp1252, which cannot carry most of the
    world's titles. A terminal keeps its own, with what it cannot show replaced."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            if stream.isatty():
                stream.reconfigure(errors="replace")
            elif codecs.lookup(stream.encoding).name != "utf-8":
                stream.reconfigure(encoding="utf-8")
