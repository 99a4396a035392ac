"""Newsletter blocks: golden output per format, email-safe HTML, and the default episode.

The golden files in tests/golden/ are reviewed as diffs. After an intended change,
regenerate them with:

    MEDIAFEED_UPDATE_GOLDEN=1 python -m pytest tests/test_newsletter.py
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest

from mediafeed.errors import MediafeedError
from mediafeed.links import Links
from mediafeed.model import Episode, Show
from mediafeed.render.newsletter import newest_public, newsletter_block
from tests.test_pages import BASE, make_episode, make_show

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("MEDIAFEED_UPDATE_GOLDEN") == "1"
LINKS = Links(BASE)
PERMALINK = f"{BASE}/episodes/ontmoeting-in-het-fysieke-domein/index.html"
SUMMARY = (
    "Hoe ontmoeten mensen elkaar in de wijk? Prof. Rick Kwekkeboom vertelt over de rol van "
    "het fysieke domein. Een gesprek over bankjes, buurthuizen en toeval. Met tips voor "
    "gemeenten."
)


@pytest.fixture
def show(tmp_path: Path) -> Show:
    return make_show(tmp_path)


@pytest.fixture
def episode(tmp_path: Path) -> Episode:
    return replace(make_episode(tmp_path), summary=SUMMARY)


@pytest.mark.parametrize(("fmt", "suffix"), [("html", "html"), ("markdown", "md"), ("text", "txt")])
def test_block_matches_golden(show: Show, episode: Episode, fmt: str, suffix: str) -> None:
    block = newsletter_block(show, episode, links=LINKS, fmt=fmt)  # type: ignore[arg-type]
    golden = GOLDEN / f"newsletter.{suffix}"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(block, encoding="utf-8")
    assert block == golden.read_text(encoding="utf-8"), f"regenerate {golden.name} if intended"


def test_html_has_inline_styles_only(show: Show, episode: Episode) -> None:
    doc = lxml.html.fragment_fromstring(newsletter_block(show, episode, links=LINKS, fmt="html"))
    assert not doc.xpath("//style | //script | //link | //table")
    assert not doc.xpath("//@class")
    assert all(element.get("style") for element in doc.iter())


def test_html_links_and_images_are_absolute(show: Show, episode: Episode) -> None:
    doc = lxml.html.fragment_fromstring(newsletter_block(show, episode, links=LINKS, fmt="html"))
    urls = doc.xpath("//@href | //@src")
    assert urls == [f"{BASE}/images/artwork-300.jpg", PERMALINK]  # sized, not the original
    assert doc.xpath("//img/@width") == doc.xpath("//img/@height") == ["160"]
    assert doc.xpath("//img/@alt") == ["Omslagafbeelding van Een tegen eenzaamheid"]


def test_dutch_call_to_action_links_the_permalink(show: Show, episode: Episode) -> None:
    doc = lxml.html.fragment_fromstring(newsletter_block(show, episode, links=LINKS, fmt="html"))
    assert doc.xpath("//a[@href=$url]/text()", url=PERMALINK) == ["Hier vindt u de podcast"]


def test_english_call_to_action(tmp_path: Path, episode: Episode) -> None:
    block = newsletter_block(make_show(tmp_path, "en-US"), episode, links=LINKS, fmt="text")
    assert f"Listen to the episode: {PERMALINK}" in block
    assert "25 minutes" in block


def test_html_block_of_a_right_to_left_show_reads_right_to_left(
    tmp_path: Path, episode: Episode
) -> None:
    block = newsletter_block(make_show(tmp_path, "he"), episode, links=LINKS, fmt="html")
    assert block.startswith('<div lang="he" dir="rtl" ')


def test_summary_keeps_three_sentences(show: Show, episode: Episode) -> None:
    block = newsletter_block(show, episode, links=LINKS, fmt="text")
    assert "toeval." in block
    assert "Met tips voor gemeenten." not in block


def test_summary_falls_back_to_notes(show: Show, episode: Episode) -> None:
    block = newsletter_block(show, replace(episode, summary=None), links=LINKS, fmt="text")
    assert "Met prof. Rick Kwekkeboom. Over ontmoeting in de wijk." in block


def test_cover_image_can_be_left_out(show: Show, episode: Episode) -> None:
    block = newsletter_block(show, episode, links=LINKS, fmt="markdown", image=False)
    assert "images/" not in block
    assert f"[Hier vindt u de podcast]({PERMALINK})" in block


def test_markdown_title_is_escaped(show: Show, episode: Episode) -> None:
    hostile = replace(episode, title="# [klik](javascript:x) *vet*")
    block = newsletter_block(show, hostile, links=LINKS, fmt="markdown")
    assert "## \\# \\[klik\\](javascript:x) \\*vet\\*" in block


def test_hostile_title_is_escaped_in_html(show: Show, episode: Episode) -> None:
    hostile = replace(episode, title="<script>alert(1)</script>")
    doc = lxml.html.fragment_fromstring(newsletter_block(show, hostile, links=LINKS, fmt="html"))
    assert not doc.xpath("//script")
    assert doc.xpath("//h2/text()") == ["<script>alert(1)</script>"]


def test_unknown_format_is_refused(show: Show, episode: Episode) -> None:
    with pytest.raises(MediafeedError, match="html, markdown, text"):
        newsletter_block(show, episode, links=LINKS, fmt="pdf")  # type: ignore[arg-type]


def test_newest_public_skips_drafts_and_scheduled(tmp_path: Path) -> None:
    now = dt.datetime(2021, 11, 10, tzinfo=dt.UTC)
    base = make_episode(tmp_path)
    old = replace(base, slug="oud", published=now - dt.timedelta(days=30))
    current = replace(base, slug="nieuw", published=now - dt.timedelta(days=8))
    draft = replace(base, slug="concept", published=now - dt.timedelta(days=1), draft=True)
    later = replace(base, slug="later", published=now + dt.timedelta(days=1))
    assert newest_public([old, draft, later, current], now) is current
    assert newest_public([later], now) is None


def _add(show_dir: Path, tmp_path: Path, *args: str) -> None:
    from click.testing import CliRunner

    from mediafeed.cli import cli
    from tests.mediafactory import mp3_cbr

    media = mp3_cbr(tmp_path, "ontmoeting.mp3")
    added = CliRunner().invoke(cli, ["-C", str(show_dir), "add", str(media), *args])
    assert added.exit_code == 0, added.output


def test_a_scheduled_episode_gets_its_block_and_a_note_of_when_its_link_works(
    show_dir: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from mediafeed.cli import cli

    _add(show_dir, tmp_path, "--title", "Ontmoeting", "--date", "2026-12-24T09:00:00+01:00")
    result = CliRunner(env={"MEDIAFEED_NOW": "2026-12-01T10:00:00+00:00"}).invoke(
        cli, ["-C", str(show_dir), "newsletter", "ontmoeting", "--format", "text"]
    )
    assert result.exit_code == 0, result.output
    assert "Hier vindt u de podcast: " in result.stdout
    assert result.stdout.rstrip().endswith("/episodes/ontmoeting/index.html")
    note = result.stderr.strip()
    assert note.count("\n") == 0 and "scheduled" in note and "2026-12-24 09:00+01:00" in note


def test_an_unpublished_episode_gets_its_block_and_a_note_on_the_notice(
    show_dir: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from mediafeed.cli import cli

    _add(show_dir, tmp_path, "--title", "Ontmoeting", "--date", "2021-11-02T09:00:00+01:00")
    runner = CliRunner()
    assert runner.invoke(cli, ["-C", str(show_dir), "unpublish", "ontmoeting"]).exit_code == 0
    result = runner.invoke(cli, ["-C", str(show_dir), "newsletter", "ontmoeting"])
    assert result.exit_code == 0, result.output
    assert "/episodes/ontmoeting/index.html" in result.stdout
    assert "no longer available" in result.stderr


def test_a_due_episode_no_publish_has_put_in_the_feed_gets_a_note(
    show_dir: Path, tmp_path: Path
) -> None:
    """'ready' in `mediafeed list`: its page is not on the store until the next publish."""
    from click.testing import CliRunner

    from mediafeed.cli import cli

    _add(show_dir, tmp_path, "--title", "Ontmoeting", "--date", "2021-11-02T09:00:00+01:00")
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "newsletter", "--format", "text"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("/episodes/ontmoeting/index.html")
    note = result.stderr.strip()
    assert note.count("\n") == 0 and "ontmoeting is ready" in note and "publish" in note
