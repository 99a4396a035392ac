"""Page templates: the show's own `templates/` folder over the packaged ones, rendered
with Jinja2 (HTML autoescaped)."""

from __future__ import annotations

import functools
import re
import traceback
from pathlib import Path

import jinja2

from mediafeed.errors import EpisodeError
from mediafeed.model import Show
from mediafeed.render.i18n import iso_duration, timestamp

PACKAGED_TEMPLATES = Path(__file__).parent / "templates"


# One environment per show folder: compiling the templates anew for every page made a
# 10,000-episode build take minutes. Keyed on the show's own template files too, because
# Jinja2 would keep using a packaged template after the show adds an override for it.
@functools.lru_cache(maxsize=8)
def _environment(root: Path, overrides: tuple[tuple[str, int], ...]) -> jinja2.Environment:
    """Templates from the show's own `templates/` folder first, then the packaged ones."""
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(root / "templates"),
            jinja2.FileSystemLoader(PACKAGED_TEMPLATES),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # The show's own templates are in the key above, by their times, and the packaged
        # ones change only with the package: no stat of three templates for every page.
        auto_reload=False,
    )
    env.filters.update(timestamp=timestamp, iso_duration=iso_duration, md_escape=markdown_escape)
    return env


def render_template(
    show: Show, name: str, context: dict[str, object], *, template: jinja2.Template | None = None
) -> str:
    """Render one (possibly show-overridden) template; HTML templates autoescape.
    `template`: the one by this name, looked up once (see `find_template`) for many
    renders."""
    try:
        return (template or find_template(show, name)).render(context)
    except jinja2.TemplateError as exc:
        raise _template_error(show, name, exc) from exc


def find_template(show: Show, name: str) -> jinja2.Template:
    """The template by this name, for `render_template` to render many times: looking it
    up looks through the show's own templates folder."""
    own = show.root / "templates"
    overrides = (
        tuple(sorted((str(p), p.stat().st_mtime_ns) for p in own.rglob("*") if p.is_file()))
        if own.is_dir()
        else ()
    )
    try:
        return _environment(show.root, overrides).get_template(name)
    except jinja2.TemplateError as exc:
        raise _template_error(show, name, exc) from exc


def _template_error(show: Show, name: str, exc: jinja2.TemplateError) -> EpisodeError:
    """Names the file at fault, the show's own or a packaged one, and its line: the template
    asked for is often fine, and the fault is in a base or include it uses."""
    folders = (str(show.root / "templates"), str(PACKAGED_TEMPLATES))
    lines = [(f.filename, f.lineno) for f in traceback.extract_tb(exc.__traceback__)]
    if isinstance(exc, jinja2.TemplateSyntaxError):
        lines.append((exc.filename or "", exc.lineno))
    at_fault = [(file, line) for file, line in lines if file.startswith(folders)]
    path, line = at_fault[-1] if at_fault else (str(show.root / "templates" / name), None)
    field = f"line {line}" if line else None
    said = f"no template {exc.name!r}" if isinstance(exc, jinja2.TemplateNotFound) else exc
    return EpisodeError(f"template error: {said}", path=path, field=field)


def markdown_escape(text: str) -> str:
    """Escape what Markdown would read as markup in one line of titles or summaries."""
    escaped = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)
    # Only at the start of a line do these begin a heading, quote, list or rule.
    escaped = re.sub(r"^(\s*)([#+=-])", r"\1\\\2", escaped)
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", escaped)


def stylesheet(show: Show) -> bytes:
    """The site's CSS: the show's own `templates/style.css` if present, else ours, read as
    text as a template is (its line ends become newlines)."""
    own = show.root / "templates" / "style.css"
    css = own if own.is_file() else PACKAGED_TEMPLATES / "style.css"
    return css.read_text(encoding="utf-8").encode("utf-8")
