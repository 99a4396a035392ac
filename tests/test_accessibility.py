"""Text alternatives and the accessibility statement: the settings in mediafeed.toml and the
episode file, the draft note on pages, both transcripts in the feed, and the statement page
linked from every page of a built show."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import podcastparser
import pytest

from mediafeed.build import build
from mediafeed.check import check_show
from mediafeed.config import load_show
from mediafeed.episodes import load_episode
from mediafeed.errors import ConfigError, EpisodeError
from mediafeed.links import ACCESSIBILITY_KEY, Links
from mediafeed.records import episode_from_record, episode_record
from tests.conftest import SHOW_CONFIG
from tests.mediafactory import mp3_cbr
from tests.showmaker import write_episode

LINKS = Links("https://podcast.example.nl/een")
NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
PUBLISHED = dt.datetime(2021, 11, 2, 9, 0, tzinfo=dt.UTC)
VTT = """WEBVTT

00:00:00.000 --> 00:00:01.000
<v Rick Kwekkeboom>Welkom bij deze aflevering.

00:00:01.000 --> 00:00:02.000
<v Interviewer>Dank u wel &amp; tot ziens.
"""
STATEMENT = """
[accessibility]
contact = "toegankelijkheid@example.nl"
checked = 2026-11-30
status = "compliant"
method = "Zelf onderzocht met axe-core."
limitations = ["De oudste afleveringen hebben nog geen uitgeschreven tekst."]
"""


def config(root: Path, extra: str = "", top: str = "") -> Path:
    (root / "mediafeed.toml").write_text(top + SHOW_CONFIG + extra, encoding="utf-8")
    return root


def problems(root: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_show(root)
    return str(caught.value)


def test_the_settings_default_to_off_with_a_statement_from_the_owner(show_dir: Path) -> None:
    show = load_show(show_dir)
    assert show.require_transcript is False
    assert show.transcribe_model == "small"
    assert show.accessibility.contact is None and show.accessibility.status == "partial"


def test_the_settings_are_read(show_dir: Path) -> None:
    extra = STATEMENT + '\n[transcribe]\nmodel = "models/whisper-small"\n'
    show = load_show(config(show_dir, extra, top="require_transcript = true\n"))
    assert show.require_transcript is True
    assert show.transcribe_model == "models/whisper-small"
    assert show.accessibility.checked == "2026-11-30"
    assert show.accessibility.limitations == (
        "De oudste afleveringen hebben nog geen uitgeschreven tekst.",
    )


def test_wrong_settings_are_all_reported_at_once(show_dir: Path) -> None:
    extra = '\n[transcribe]\nmodle = "tiny"\n[accessibility]\nchecked = "gisteren"\nstatus = "ok"\n'
    message = problems(config(show_dir, extra, top='require_transcript = "ja"\n'))
    assert "require_transcript: expected true or false" in message
    assert "transcribe.modle: unknown field (did you mean 'model'?)" in message
    assert "accessibility.checked: 'gisteren' is not a date" in message
    assert "accessibility.status: must be one of compliant, partial, none" in message


def make_episode(root: Path, slug: str = "ontmoeting", **fields: object) -> Path:
    media = mp3_cbr(root / "media", f"{slug}.mp3")
    return write_episode(root, slug, media, published=PUBLISHED, **fields)


def with_transcript(root: Path, slug: str = "ontmoeting", **fields: object) -> Path:
    (root / "transcripts").mkdir(exist_ok=True)
    (root / "transcripts" / f"{slug}.vtt").write_text(VTT, encoding="utf-8")
    return make_episode(root, slug, **{"transcript": f"transcripts/{slug}.vtt", **fields})


def test_the_transcript_status_and_model_are_kept_through_the_cache(show_dir: Path) -> None:
    path = with_transcript(show_dir, transcript_status="draft", transcript_model="small")
    episode = load_episode(path)
    assert (episode.transcript_status, episode.transcript_model) == ("draft", "small")
    assert episode_from_record(episode_record(episode)) == episode


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"transcript_status": "klaar"}, "transcript_status: must be one of draft, reviewed"),
        ({"transcript_status": "draft", "transcript": None}, "needs a transcript file"),
    ],
)
def test_a_wrong_transcript_status_is_an_error(
    show_dir: Path, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(EpisodeError, match=message):
        load_episode(with_transcript(show_dir, **fields))


def built(root: Path) -> Path:
    build(load_show(root), links=LINKS, now=NOW)
    return root / "feed"


def page_text(out: Path, slug: str = "ontmoeting") -> str:
    page = lxml.html.fromstring((out / "episodes" / slug / "index.html").read_bytes())
    return " ".join(page.xpath("string(//main)").split())


@pytest.mark.parametrize(
    ("language", "note"),
    [("nl", "Automatisch gemaakt, nog niet nagekeken."),
     ("en", "Automatically generated, not yet reviewed.")],
)  # fmt: skip
def test_a_draft_transcript_is_marked_on_the_page(show_dir: Path, language: str, note: str) -> None:
    (show_dir / "mediafeed.toml").write_text(
        SHOW_CONFIG.replace('language = "nl"', f'language = "{language}"'), encoding="utf-8"
    )
    with_transcript(show_dir, transcript_status="draft")
    text = page_text(built(show_dir))
    assert note in text
    assert "Rick Kwekkeboom: Welkom bij deze aflevering." in text  # the voice tag's speaker


def test_a_reviewed_transcript_carries_no_note(show_dir: Path) -> None:
    with_transcript(show_dir, transcript_status="reviewed")
    text = page_text(built(show_dir))
    assert "nagekeken" not in text
    assert "Interviewer: Dank u wel & tot ziens." in text


def test_the_feed_lists_the_captions_and_a_plain_text_rendering(show_dir: Path) -> None:
    with_transcript(show_dir, transcript_status="draft")
    out = built(show_dir)
    xml = (out / "feed.xml").read_bytes()
    base = f"{LINKS.base_url}/episodes/ontmoeting"
    [entry] = feedparser.parse(xml).entries
    assert entry.podcast_transcript["url"] in (f"{base}/transcript.vtt", f"{base}/transcript.txt")
    with (out / "feed.xml").open("rb") as handle:
        [episode] = podcastparser.parse(LINKS.feed, handle)["episodes"]
    assert episode["guid"]
    root = lxml.etree.fromstring(xml)
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    found = [dict(t.attrib) for t in root.xpath("//item/podcast:transcript", namespaces=ns)]
    assert found == [
        {"url": f"{base}/transcript.vtt", "type": "text/vtt", "language": "nl", "rel": "captions"},
        {"url": f"{base}/transcript.txt", "type": "text/plain", "language": "nl"},
    ]
    assert (out / "episodes" / "ontmoeting" / "transcript.txt").read_text(encoding="utf-8") == (
        "Rick Kwekkeboom: Welkom bij deze aflevering.\n\nInterviewer: Dank u wel & tot ziens.\n\n"
    )


def test_a_missing_transcript_is_a_warning_naming_wcag(show_dir: Path) -> None:
    make_episode(show_dir)
    [found] = [f for f in check_show(show_dir, now=NOW) if f.rule.startswith("transcript")]
    assert (found.rule, found.severity, found.field) == ("transcript-missing", "warning",
                                                         "transcript")  # fmt: skip
    assert "WCAG 2.1 SC 1.2.1" in found.message


def test_with_require_transcript_a_missing_one_is_an_error_a_draft_a_warning(
    show_dir: Path,
) -> None:
    config(show_dir, top="require_transcript = true\n")
    make_episode(show_dir, "zonder")
    with_transcript(show_dir, "concept", transcript_status="draft")
    found = {f.rule: f.severity for f in check_show(show_dir, now=NOW)}
    assert found["transcript-required"] == "error"
    assert found["transcript-draft"] == "warning"


def test_an_episode_not_yet_public_needs_no_transcript(show_dir: Path) -> None:
    config(show_dir, top="require_transcript = true\n")
    make_episode(show_dir, draft=True)
    assert not [f for f in check_show(show_dir, now=NOW) if f.rule.startswith("transcript")]


def test_the_statement_is_filled_from_the_config(show_dir: Path) -> None:
    config(show_dir, STATEMENT)
    with_transcript(show_dir, transcript_status="draft")
    make_episode(show_dir, "zonder")
    page = lxml.html.fromstring((built(show_dir) / ACCESSIBILITY_KEY).read_bytes())
    text = " ".join(page.xpath("string(//main)").split())
    assert "Toegankelijkheidsverklaring" in text
    assert "voldoet volledig aan WCAG 2.1 niveau AA" in text
    assert "Laatst onderzocht op 30 november 2026. Zelf onderzocht met axe-core." in text
    assert "1 van de 2 afleveringen hebben een uitgeschreven tekst." in text
    assert "Automatisch gemaakt en nog niet nagekeken: 1." in text
    assert "De oudste afleveringen hebben nog geen uitgeschreven tekst." in text
    assert page.xpath("//a[@href='mailto:toegankelijkheid@example.nl']")


def test_without_a_table_the_statement_names_the_owner_and_no_check(show_dir: Path) -> None:
    make_episode(show_dir)
    page = lxml.html.fromstring((built(show_dir) / ACCESSIBILITY_KEY).read_bytes())
    text = " ".join(page.xpath("string(//main)").split())
    assert "De website is nog niet onderzocht." in text
    assert page.xpath("//a[@href='mailto:podcast@example.org']")


def test_every_page_links_the_statement_from_its_footer(show_dir: Path) -> None:
    with_transcript(show_dir)
    make_episode(show_dir, "tweede", unpublished=True)  # its notice page too
    out = built(show_dir)
    pages = [p for p in out.rglob("index.html") if "embed" not in p.parts]
    assert len(pages) >= 4
    for path in pages:
        page = lxml.html.fromstring(path.read_bytes())
        [href] = page.xpath("//footer//a/@href")
        assert (path.parent / href).resolve() == (out / ACCESSIBILITY_KEY).resolve(), path
