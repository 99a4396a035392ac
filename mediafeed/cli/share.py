"""The commands that hand an episode to other places: a newsletter block, an embed snippet."""

from __future__ import annotations

import click

from mediafeed.cli.base import current_show, now


@click.command()
@click.argument("slug", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown", "text"]),
    default="html",
    show_default=True,
    help="Output format.",
)
@click.option("--no-image", is_flag=True, help="Leave the cover image out.")
def newsletter(slug: str | None, fmt: str, no_image: bool) -> None:
    """A ready-to-paste newsletter block linking episode SLUG (default: the newest one).

    The HTML block uses inline styles and absolute links only, so mail clients keep it.
    A scheduled episode gets its block too, so the mail can be ready before the release;
    a note on stderr says from when its link works.
    """
    from mediafeed.commands.share import newsletter_for

    block, note = newsletter_for(current_show(), slug, fmt=fmt, image=not no_image, now=now())
    if note:
        click.echo(f"Note: {note}", err=True)
    click.echo(block, nl=False)


@click.command()
@click.argument("slug")
def embed(slug: str) -> None:
    """The <iframe> snippet that plays episode SLUG on another web page.

    It shows the episode's player page (episodes/SLUG/embed/), 100 % wide and 220 pixels
    high (520 for video), which asks nothing of any other site and sets no cookie.
    """
    from mediafeed.commands.share import embed_for

    snippet, note = embed_for(current_show(), slug, now=now())
    if note:
        click.echo(note, err=True)
    click.echo(snippet)


COMMANDS = (newsletter, embed)
