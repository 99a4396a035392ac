"""mediafeed.toml: every problem reported at once, by field; optional tables parsed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mediafeed.config import load_show
from mediafeed.errors import ConfigError
from mediafeed.model import Location
from tests.conftest import SHOW_CONFIG


def write(root: Path, text: str) -> Path:
    (root / "mediafeed.toml").write_text(text, encoding="utf-8")
    return root


def test_the_test_show_loads(show_dir: Path) -> None:
    show = load_show(show_dir)
    assert show.language == "nl" and show.categories[0] == ("Health & Fitness", "Mental Health")
    assert show.publish.target is None


def test_all_problems_are_reported_together(show_dir: Path) -> None:
    text = SHOW_CONFIG.replace('language = "nl"', 'language = "Nederlands"')
    text = text.replace('email = "podcast@example.org"', 'email = "geen-adres"')
    text = text.replace('type = "episodic"', 'type = "weekly"\ntitel = "typo"')
    with pytest.raises(ConfigError) as caught:
        load_show(write(show_dir, text))
    message = str(caught.value)
    for field in ("language", "owner.email", "type", "titel: unknown field"):
        assert field in message


def test_a_config_saved_with_a_byte_order_mark_loads(show_dir: Path) -> None:
    (show_dir / "mediafeed.toml").write_bytes(b"\xef\xbb\xbf" + SHOW_CONFIG.encode("utf-8"))
    assert load_show(show_dir).language == "nl"


def test_an_artwork_name_that_would_break_its_url_is_refused(show_dir: Path) -> None:
    """The name goes into itunes:image as it is: 'cover #1.jpg' would be fetched as 'cover '."""
    shutil.copy(show_dir / "artwork.jpg", show_dir / "cover #1.jpg")
    text = SHOW_CONFIG.replace('artwork = "artwork.jpg"', 'artwork = "cover #1.jpg"')
    with pytest.raises(ConfigError, match="artwork: must be an ASCII file name"):
        load_show(write(show_dir, text))


@pytest.mark.parametrize(
    ("line", "words"),
    [('explicit = "no"', "explicit: expected true or false, got 'no'"),
     ('feed_limit = "ten"', "feed_limit: expected a whole number, got 'ten'"),
     ("copyright = 2026", "copyright: expected text, got 2026")],
)  # fmt: skip
def test_a_value_of_the_wrong_kind_is_named_in_plain_words(
    show_dir: Path, line: str, words: str
) -> None:
    text = line + "\n" + SHOW_CONFIG.replace("explicit = false\n", "")
    with pytest.raises(ConfigError, match=words):
        load_show(write(show_dir, text))


def test_broken_toml_names_the_file(show_dir: Path) -> None:
    with pytest.raises(ConfigError, match="mediafeed.toml: not valid TOML"):
        load_show(write(show_dir, 'title = "unterminated\n'))


def test_a_course_is_a_medium_the_namespace_lists(show_dir: Path) -> None:
    text = SHOW_CONFIG.replace('type = "episodic"', 'type = "serial"\nmedium = "course"')
    assert load_show(write(show_dir, text)).medium == "course"


def test_location_table_with_geo_and_osm(show_dir: Path) -> None:
    text = (
        SHOW_CONFIG + '\n[location]\nname = "Den Haag"\ngeo = "geo:52.08,4.31"\nosm = "R192736"\n'
    )
    assert load_show(write(show_dir, text)).location == Location(
        "Den Haag", "geo:52.08,4.31", "R192736"
    )


def test_location_geo_must_be_a_geo_uri(show_dir: Path) -> None:
    text = SHOW_CONFIG + '\n[location]\nname = "Den Haag"\ngeo = "52.08,4.31"\n'
    with pytest.raises(ConfigError, match="location.geo"):
        load_show(write(show_dir, text))


def test_publish_target_needs_a_public_url(show_dir: Path) -> None:
    text = SHOW_CONFIG + '\n[publish]\ntarget = "s3://bucket/show"\n'
    with pytest.raises(ConfigError, match="publish.public_url"):
        load_show(write(show_dir, text))


def test_publish_target_must_be_an_s3_url(show_dir: Path) -> None:
    text = SHOW_CONFIG + '\n[publish]\ntarget = "bucket/show"\npublic_url = "https://x.org"\n'
    with pytest.raises(ConfigError, match="s3://bucket/prefix"):
        load_show(write(show_dir, text))


def test_missing_artwork_file_is_named(show_dir: Path) -> None:
    (show_dir / "artwork.jpg").unlink()
    with pytest.raises(ConfigError, match="artwork: file 'artwork.jpg' not found"):
        load_show(show_dir)


def test_a_misspelt_publish_key_gets_the_key_it_looks_like(show_dir: Path) -> None:
    text = SHOW_CONFIG + '\n[publish]\ntarget = "s3://b/x"\nendpoint = "https://s3.example.org"\n'
    with pytest.raises(ConfigError, match=r"publish\.endpoint: unknown field \(did you mean "
                       r"'endpoint_url'\?\)"):  # fmt: skip
        load_show(write(show_dir, text))


@pytest.mark.parametrize(
    ("field", "line"),
    [
        ("link", 'link = "www.example.nl"'),
        ("link", 'link = "javascript:alert(1)"'),
        ("funding[0].url", '[[funding]]\nurl = "ftp://example.org/"\ntext = "Steun"'),
        ("persons[0].href", '[[persons]]\nname = "Rick"\nhref = "javascript:x()"'),
        ("publish.public_url", '[publish]\ntarget = "s3://b/x"\npublic_url = "podcast.nl/x"'),
    ],
)
def test_only_web_addresses_go_into_the_feed(show_dir: Path, field: str, line: str) -> None:
    if line.startswith("link"):
        text = re.sub(r"^link = .*$", line, SHOW_CONFIG, count=1, flags=re.M)
    else:
        text = SHOW_CONFIG + "\n" + line + "\n"
    with pytest.raises(ConfigError) as caught:
        load_show(write(show_dir, text))
    assert f"{field}: " in caught.value.message and "web address" in caught.value.message


def test_timezone_must_be_a_zone_name(show_dir: Path) -> None:
    zoned = load_show(write(show_dir, 'timezone = "Europe/Amsterdam"\n' + SHOW_CONFIG))
    assert zoned.timezone == "Europe/Amsterdam"
    with pytest.raises(ConfigError, match="timezone: 'CET\\+1' is not a time zone name"):
        load_show(write(show_dir, 'timezone = "CET+1"\n' + SHOW_CONFIG))


def test_init_refuses_a_language_name_and_says_what_a_code_looks_like(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mediafeed.cli import cli

    result = CliRunner().invoke(cli, ["init", str(tmp_path / "s"), "--language", "Nederlands"])
    assert result.exit_code == 1 and "--language" in result.output and "'nl'" in result.output
    assert not (tmp_path / "s").exists(), "nothing written for a config no command would read"


@pytest.mark.parametrize(
    ("language", "zone"),
    [("nl-BE", "Europe/Brussels"), ("fr-CA", "UTC"), ("en-GB", "Europe/London")],
)
def test_init_takes_the_clock_of_the_region_a_language_code_names(
    tmp_path: Path, language: str, zone: str
) -> None:
    from mediafeed.commands.init import init_show

    init_show(tmp_path / "s", title="Show", language=language)
    assert load_show(tmp_path / "s").timezone == zone


def test_init_gives_a_dutch_show_the_dutch_clock(tmp_path: Path) -> None:
    from mediafeed.commands.init import init_show

    init_show(tmp_path / "s", title="Een tegen eenzaamheid", language="nl")
    assert load_show(tmp_path / "s").timezone == "Europe/Amsterdam"
