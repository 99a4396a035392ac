"""`mediafeed init`: a new show folder with a commented config, folders and artwork."""

from __future__ import annotations

import io
import json
import re
import tomllib
import uuid
from pathlib import Path

from PIL import Image, ImageDraw
from slugify import slugify

from mediafeed.config import CONFIG_NAME, language_problem, timezone_problem
from mediafeed.episodes import write_text_atomic
from mediafeed.errors import ConfigError
from mediafeed.output import write_atomic
from mediafeed.render.i18n import OWN_WORDS, words_file_name, words_to_translate
from mediafeed.rules import PLACEHOLDER_COVER, PLACEHOLDERS

ARTWORK_NAME = "artwork.jpg"
ARTWORK_SIZE = 1400  # Apple's minimum; 3000 is its maximum

CONFIG_TEMPLATE = """\
# The show. Every field is documented in the README ("Configuration").
title = {title}
description = "{description}"
author = "{author}"
language = {language}
# Dates written without a time zone (in episode files, `add --date`) are in this one.
timezone = "{timezone}"
categories = [["Society & Culture"]]
explicit = false
type = "episodic"
artwork = "{artwork}"
link = "{link}"
# podcast:guid, generated once; never change it after the first publish.
guid = "{guid}"
# The show's folder on the embedded local store, fixed once: its feed and episode pages
# keep their URLs whatever the title becomes. Never change it after the first publish.
local_prefix = "{local_prefix}"
locked = true

[owner]
name = "{owner_name}"
email = "{owner_email}"
hide_email = false

# Where `mediafeed publish` uploads. Leave this table out to publish to the embedded
# local store (a SeaweedFS server on 127.0.0.1 that mediafeed starts and manages).
# [publish]
# target = "s3://my-bucket/my-show"
# endpoint_url = "https://<account>.r2.cloudflarestorage.com"   # for S3-compatible stores
# region = "auto"
# public_url = "https://podcast.example.org/my-show"
"""


def toml(value: object) -> str:
    """A TOML value: JSON strings, booleans and arrays of them are valid TOML; a table is
    written inline."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {toml(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


# The zone a show most likely keeps its clock in: by the region of its language code when
# it names one (fr-CA is not in Paris), else by the language; UTC for the others.
ZONES = {"nl": "Europe/Amsterdam", "fr": "Europe/Paris", "de": "Europe/Berlin"}
REGION_ZONES = {
    "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels",
    "FR": "Europe/Paris",
    "DE": "Europe/Berlin",
    "AT": "Europe/Vienna",
    "CH": "Europe/Zurich",
    "LU": "Europe/Luxembourg",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
}


def default_zone(language: str) -> str:
    """The zone `init` writes for a show in `language`, a code like 'nl' or 'nl-BE'."""
    base, *rest = language.split("-")
    regions = [part.upper() for part in rest if len(part) == 2 or part.isdigit()]
    return REGION_ZONES.get(regions[0], "UTC") if regions else ZONES.get(base.lower(), "UTC")


def init_show(root: Path, *, title: str, language: str = "en", timezone: str | None = None) -> Path:
    """Create the show folder; refuse to touch an existing show or write a config that
    every later command would refuse."""
    config = root / CONFIG_NAME
    if config.exists():
        raise ConfigError("a show already exists here", path=config)
    timezone = timezone or default_zone(language)
    if problem := language_problem(language):
        raise ConfigError(problem, field="--language")
    if problem := timezone_problem(timezone):
        raise ConfigError(problem, field="--timezone")
    if not title.strip():
        raise ConfigError("must not be empty", field="--title")
    for folder in ("episodes", "media"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    make_artwork(root / ARTWORK_NAME, title, comment=PLACEHOLDER_COVER)
    guid = str(uuid.uuid4())
    text = CONFIG_TEMPLATE.format(
        title=toml(title),
        language=toml(language),
        timezone=timezone,
        **{key.replace(".", "_"): value for key, value in PLACEHOLDERS.items()},
        artwork=ARTWORK_NAME,
        guid=guid,
        local_prefix=new_local_prefix(title, guid),
    )
    write_text_atomic(config, text, exclusive=True)
    if (words := words_to_translate(language)) is not None:
        path = root / OWN_WORDS / words_file_name(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, words, exclusive=True)
    return config


def new_local_prefix(title: str, guid: str) -> str:
    """A folder on the embedded store no other show has: two shows `init` made with the
    same title get two folders, told apart by their podcast:guid."""
    tail = slugify(guid).replace("-", "")[:8] or uuid.uuid4().hex[:8]
    return f"{slugify(title, max_length=50) or 'show'}-{tail}"


def pin_local_prefix(config: Path, prefix: str) -> bool:
    """Write `local_prefix` into a config that lacks it, keeping every other byte: the
    line goes before the first table, and only if the file then reads as it did plus the
    key. False when that cannot be done safely (the producer is asked to add it)."""
    text = config.read_text(encoding="utf-8-sig")
    before = tomllib.loads(text)
    line = f"local_prefix = {toml(prefix)}  # the show's folder on the local store\n"
    table = re.search(r"(?m)^[ \t]*\[", text)
    at = table.start() if table else len(text)
    head = text[:at] if not at or text[:at].endswith("\n") else text[:at] + "\n"
    pinned = head + line + text[at:]
    try:
        if tomllib.loads(pinned) != {**before, "local_prefix": prefix}:
            return False
    except tomllib.TOMLDecodeError:
        return False
    write_text_atomic(config, pinned)
    return True


def make_artwork(path: Path, title: str, *, comment: bytes = b"") -> None:
    """A plain square cover in the size Apple accepts, to replace with the real one;
    `comment` marks it inside the JPEG (init's, so check knows it was never replaced)."""
    if path.exists():
        return
    image = Image.new("RGB", (ARTWORK_SIZE, ARTWORK_SIZE), (22, 58, 89))
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 80, ARTWORK_SIZE - 80, ARTWORK_SIZE - 80), outline=(240, 200, 90), width=12)
    draw.text((140, ARTWORK_SIZE // 2), title[:40], fill=(255, 255, 255), font_size=72)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, comment=comment)
    write_atomic(path, buffer.getvalue(), durable=True)  # never a half cover left behind
