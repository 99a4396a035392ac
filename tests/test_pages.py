"""Show and episode pages: language, player, link previews, transcript, and hostile text."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediafeed.errors import EpisodeError
from mediafeed.links import SHOW_PAGE_KEY, STYLESHEET_KEY, Links, episode_page_key
from mediafeed.model import Chapter, Episode, MediaInfo, Owner, Person, Show
from mediafeed.render import pages
from mediafeed.render.i18n import WORDS, Locale, resolve_language
from mediafeed.render.pages import render_episode_page, render_show_page
from mediafeed.render.templating import stylesheet
from mediafeed.render.transcripts import parse_transcript

BASE = "https://podcast.example.nl/een"
LINKS = Links(BASE)
CET = dt.timezone(dt.timedelta(hours=1))

VTT = """WEBVTT

NOTE made by hand

00:00.000 --> 00:04.000
<v Rick Kwekkeboom>Welkom bij deze aflevering over ontmoeting.

00:04.000 --> 00:09.500
<v Rick Kwekkeboom>Eenzaamheid begint vaak in het fysieke domein.

00:01:08.000 --> 00:01:11.000
<v Interviewer>Dank u wel &amp; tot ziens.
"""


def render_site(show: Show, episodes: Sequence[Episode], *, links: Links) -> dict[str, bytes]:
    """The show page, each episode's page and the stylesheet, by key, as a build writes them."""
    site = {
        SHOW_PAGE_KEY: render_show_page(show, episodes, links=links).encode(),
        STYLESHEET_KEY: stylesheet(show),
    }
    for episode in episodes:
        page = render_episode_page(show, episode, links=links)
        site[episode_page_key(episode.slug)] = page.encode()
    return site


def make_show(root: Path, language: str = "nl") -> Show:
    return Show(
        root=root,
        title="Een tegen eenzaamheid",
        description="Gesprekken over eenzaamheid en ontmoeting.",
        author="Ministerie van VWS",
        owner=Owner("Redactie", "podcast@example.nl"),
        language=language,
        categories=(("Health & Fitness",),),
        explicit=False,
        artwork="cover.png",
        link="https://www.eentegeneenzaamheid.nl",
        guid="5b0e1f2a-0000-4000-8000-000000000001",
        subscribe=(("Apple Podcasts", "https://podcasts.apple.com/nl/podcast/id1"),),
    )


def make_episode(root: Path, **changes: object) -> Episode:
    (root / "transcripts").mkdir(exist_ok=True)
    (root / "transcripts" / "ontmoeting.vtt").write_text(VTT, encoding="utf-8")
    episode = Episode(
        slug="ontmoeting-in-het-fysieke-domein",
        source_file=str(root / "episodes" / "ontmoeting-in-het-fysieke-domein.md"),
        title="Ontmoeting in het fysieke domein",
        guid="urn:uuid:ontmoeting",
        published=dt.datetime(2021, 11, 2, 9, 0, tzinfo=CET),
        audio="media/ontmoeting.mp3",
        media=MediaInfo(
            duration=1503.4, length=12_027_000, mime_type="audio/mpeg", sha256="ab" * 32
        ),
        notes="Met **prof. Rick Kwekkeboom**. Over ontmoeting in [de wijk](https://example.nl).",
        chapters=(Chapter(0, "Introductie"), Chapter(68, "Afsluiting")),
        persons=(Person("Rick Kwekkeboom", "guest", href="https://www.hu.nl/kwekkeboom"),),
        transcript="transcripts/ontmoeting.vtt",
    )
    return replace(episode, **changes)  # type: ignore[arg-type]


def episode_doc(show: Show, episode: Episode) -> lxml.html.HtmlElement:
    site = render_site(show, [episode], links=LINKS)
    return lxml.html.fromstring(site[episode_page_key(episode.slug)])


def meta(doc: lxml.html.HtmlElement, prop: str) -> str:
    values = doc.xpath(f'//meta[@property="{prop}" or @name="{prop}"]/@content')
    assert len(values) == 1, f"expected one <meta> {prop}, found {values}"
    return str(values[0])


@pytest.fixture
def show(tmp_path: Path) -> Show:
    return make_show(tmp_path)


@pytest.fixture
def episode(tmp_path: Path) -> Episode:
    return make_episode(tmp_path)


def test_dutch_show_shows_dutch_date(show: Show, episode: Episode) -> None:
    doc = episode_doc(show, episode)
    assert doc.xpath("//main//time/text()")[0] == "2 november 2021"


def test_dutch_show_shows_duration_in_minutes(show: Show, episode: Episode) -> None:
    assert "25 minuten" in episode_doc(show, episode).xpath("//main//time/text()")


def test_lang_attribute_is_the_show_language(tmp_path: Path, episode: Episode) -> None:
    doc = episode_doc(make_show(tmp_path, "nl-NL"), episode)
    assert doc.get("lang") == "nl-NL"
    assert "2 november 2021" in doc.xpath("//main//time/text()")


def test_unknown_language_falls_back_to_english(tmp_path: Path, episode: Episode) -> None:
    doc = episode_doc(make_show(tmp_path, "tlh"), episode)
    times = doc.xpath("//main//time/text()")
    assert "November 2, 2021" in times
    assert "25 minutes" in times


@pytest.mark.parametrize("language", ["ar", "he-IL", "fa", "ur"])
def test_a_right_to_left_language_reads_right_to_left(
    tmp_path: Path, episode: Episode, language: str
) -> None:
    assert episode_doc(make_show(tmp_path, language), episode).get("dir") == "rtl"


@pytest.mark.parametrize("language", ["nl", "en-US", "de"])
def test_a_left_to_right_language_keeps_the_default_direction(
    tmp_path: Path, episode: Episode, language: str
) -> None:
    assert episode_doc(make_show(tmp_path, language), episode).get("dir") is None


def test_captions_are_in_the_show_language_even_without_its_page_words(tmp_path: Path) -> None:
    media = MediaInfo(
        duration=60, length=9000, mime_type="video/mp4", sha256="c" * 64, is_video=True
    )
    video = make_episode(tmp_path, media=media, audio="media/v.mp4")
    doc = episode_doc(make_show(tmp_path, "de-DE"), video)
    assert doc.xpath("//track[@kind='captions']/@srclang") == ["de-DE"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "nl"),
        ("nl-NL", "nl"),
        ("NL_be", "nl"),
        ("en-GB", "en"),
        ("fr-CA", "fr"),
        ("pt", "en"),
        ("", "en"),
    ],
)
def test_language_resolution(language: str, expected: str) -> None:
    assert resolve_language(language) == expected


@pytest.mark.parametrize("code", sorted(p.stem for p in WORDS.glob("*.toml")))
def test_every_language_has_every_word_with_the_same_blanks(code: str) -> None:
    english, words = (tomllib.loads((WORDS / f"{c}.toml").read_text("utf-8")) for c in ("en", code))
    assert words.keys() == english.keys()
    assert len(words["months"]) == 12 and words["units"].keys() == english["units"].keys()
    for key, text in english.items():
        if isinstance(text, str):
            assert set(re.findall(r"{\w+}", words[key])) == set(re.findall(r"{\w+}", text)), key


@pytest.mark.parametrize(("language", "expected"), [("fr", "1er mai 2022"), ("en", "May 1, 2022")])
def test_the_first_of_the_month_as_the_language_writes_it(language: str, expected: str) -> None:
    assert Locale.for_language(language).date(dt.date(2022, 5, 1)) == expected


@pytest.mark.parametrize(
    ("language", "date", "duration"),
    [
        ("de", "2. November 2021", "25 Minuten"),
        ("fr-FR", "2 novembre 2021", "25 minutes"),
        ("es", "2 de noviembre de 2021", "25 minutos"),
    ],
)
def test_a_show_in_a_language_with_its_words_reads_in_it(
    tmp_path: Path, episode: Episode, language: str, date: str, duration: str
) -> None:
    times = episode_doc(make_show(tmp_path, language), episode).xpath("//main//time/text()")
    assert date in times and duration in times


@pytest.mark.parametrize(
    ("seconds", "dutch", "english"),
    [
        (1500, "25 minuten", "25 minutes"),
        (61, "1 minuut", "1 minute"),
        (3900, "1 uur 5 minuten", "1 hour 5 minutes"),
        (7200, "2 uur", "2 hours"),
        (42.4, "42 seconden", "42 seconds"),
    ],
)
def test_duration_wording(seconds: float, dutch: str, english: str) -> None:
    assert Locale("nl").duration(seconds) == dutch
    assert Locale("en").duration(seconds) == english


def test_canonical_and_og_url_are_the_absolute_permalink(show: Show, episode: Episode) -> None:
    doc = episode_doc(show, episode)
    permalink = f"{BASE}/episodes/ontmoeting-in-het-fysieke-domein/index.html"
    assert doc.xpath('//link[@rel="canonical"]/@href') == [permalink]
    assert meta(doc, "og:url") == permalink


def test_open_graph_and_twitter_tags(show: Show, episode: Episode) -> None:
    doc = episode_doc(show, episode)
    assert meta(doc, "og:title") == "Ontmoeting in het fysieke domein"
    assert meta(doc, "og:description").startswith("Met prof. Rick Kwekkeboom.")
    assert meta(doc, "og:image") == f"{BASE}/images/artwork-1400.jpg"
    assert meta(doc, "og:type") == "article"
    assert meta(doc, "og:audio") == LINKS.media(episode)
    assert meta(doc, "twitter:card") == "summary"


def test_rss_alternate_link_on_both_pages(show: Show, episode: Episode) -> None:
    site = render_site(show, [episode], links=LINKS)
    for key in ("index.html", episode_page_key(episode.slug)):
        doc = lxml.html.fromstring(site[key])
        assert doc.xpath('//link[@rel="alternate"][@type="application/rss+xml"]/@href') == [
            LINKS.feed
        ], key


def test_audio_player_plays_the_enclosure(show: Show, episode: Episode) -> None:
    doc = episode_doc(show, episode)
    canonical = LINKS.episode_page(episode.slug)
    (audio,) = doc.xpath("//audio")
    assert audio.get("controls") is not None
    assert audio.get("preload") == "metadata"
    (source,) = audio.xpath("source")
    assert urljoin(canonical, source.get("src")) == LINKS.media(episode)
    assert source.get("type") == "audio/mpeg"
    downloads = doc.xpath("//a[@download]/@href")
    assert [urljoin(canonical, href) for href in downloads] == [LINKS.media(episode)]


def test_video_episode_gets_a_video_player(show: Show, tmp_path: Path) -> None:
    media = MediaInfo(
        duration=60, length=900_000, mime_type="video/mp4", sha256="c" * 64, is_video=True
    )
    doc = episode_doc(show, make_episode(tmp_path, media=media, audio="media/v.mp4"))
    assert not doc.xpath("//audio")
    assert doc.xpath("//video[@controls]/source/@type") == ["video/mp4"]
    assert doc.xpath("//track[@kind='captions']/@src") == ["transcript.vtt"]


def test_transcript_cues_read_as_paragraphs(show: Show, episode: Episode) -> None:
    section = episode_doc(show, episode).xpath("//section[@class='transcript']")[0]
    paragraphs = [" ".join(p.text_content().split()) for p in section.xpath("p[time or a]")]
    assert paragraphs[0] == (
        "0:00 Rick Kwekkeboom: Welkom bij deze aflevering over ontmoeting. "
        "Eenzaamheid begint vaak in het fysieke domein."
    )
    assert paragraphs[1] == "1:08 Interviewer: Dank u wel & tot ziens."


def test_srt_transcript_is_parsed() -> None:
    srt = "1\r\n00:00:01,500 --> 00:00:03,000\r\n<i>Goedemorgen.</i>\r\n\r\n2\r\n"
    srt += "01:02:03,000 --> 01:02:05,000\r\nTot de volgende keer.\r\n"
    paragraphs = parse_transcript(srt, ".srt")
    assert [(p.start, p.text) for p in paragraphs] == [(1.5, "Goedemorgen. Tot de volgende keer.")]


def test_a_json_transcript_reads_as_its_speakers_turns(show: Show, tmp_path: Path) -> None:
    """The namespace's JSON format: segments of speaker, startTime and body, here a word each."""
    words = [("Darth Vader", 0.5, "I"), ("Darth Vader", 1, "am"), ("Darth Vader", 1.5, "your"),
             ("Darth Vader", 2.25, "father.\n"), ("Luke", 2.75, "Nooooo")]  # fmt: skip
    segments = [{"speaker": who, "startTime": at, "body": body} for who, at, body in words]
    document = {"version": "1.0.0", "segments": segments}
    (tmp_path / "t.json").write_text(json.dumps(document), encoding="utf-8")
    doc = episode_doc(show, make_episode(tmp_path, transcript="t.json"))
    section = doc.xpath("//section[@class='transcript']")[0]
    paragraphs = [" ".join(p.text_content().split()) for p in section.xpath("p[a/@data-start]")]
    assert paragraphs == ["0:00 Darth Vader: I am your father.", "0:02 Luke: Nooooo"]


def test_an_html_transcript_reads_as_its_speakers_turns(show: Show, tmp_path: Path) -> None:
    """The namespace's HTML format: each turn a <cite> speaker, a <time> and a <p>."""
    turns = "<cite>Kevin:</cite>\n<time>0:00</time>\n<p>\n  Een update &amp; meer.\n</p>\n"
    turns += "<cite>Alban :</cite>\n<time>1:09</time>\n<p>Je <em>triggert</em> Tom.</p>\n"
    (tmp_path / "t.html").write_text(turns, encoding="utf-8")
    doc = episode_doc(show, make_episode(tmp_path, transcript="t.html"))
    section = doc.xpath("//section[@class='transcript']")[0]
    paragraphs = [" ".join(p.text_content().split()) for p in section.xpath("p[a/@data-start]")]
    assert paragraphs == ["0:00 Kevin: Een update & meer.", "1:09 Alban: Je triggert Tom."]


def test_plain_text_transcript_becomes_paragraphs(show: Show, tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("Eerste alinea\nloopt door.\n\nTweede alinea.\n")
    doc = episode_doc(show, make_episode(tmp_path, transcript="t.txt"))
    texts = doc.xpath("//section[@class='transcript']/p/text()")
    assert texts[:2] == ["Eerste alinea loopt door.", "Tweede alinea."]


def test_transcript_file_is_linked_next_to_the_page(show: Show, episode: Episode) -> None:
    doc = episode_doc(show, episode)
    links = doc.xpath("//section[@class='transcript']//a[not(@class)]/@href")
    assert [urljoin(LINKS.episode_page(episode.slug), h) for h in links] == [
        LINKS.transcript(episode)
    ]


def test_missing_transcript_is_a_clear_error(show: Show, tmp_path: Path) -> None:
    with pytest.raises(EpisodeError, match="cannot read transcript") as caught:
        episode_doc(show, make_episode(tmp_path, transcript="gone.vtt"))
    assert caught.value.field == "transcript"


def test_transcript_outside_the_show_is_refused(show: Show, tmp_path: Path) -> None:
    with pytest.raises(EpisodeError, match="inside the show folder"):
        episode_doc(show, make_episode(tmp_path, transcript="../../etc/passwd"))


def test_chapters_with_timestamps(show: Show, episode: Episode) -> None:
    items = episode_doc(show, episode).xpath("//section[@class='chapters']//li")
    assert [" ".join(li.text_content().split()) for li in items] == [
        "0:00 Introductie",
        "1:08 Afsluiting",
    ]
    assert items[1].xpath("a/@href")[0].endswith("#t=68")


def test_a_chapter_time_says_in_its_datetime_the_second_it_shows(
    show: Show, episode: Episode
) -> None:
    """`<time datetime>` states the element's content: 1:08.6 shows as 1:08, not 1:09."""
    chapters = (Chapter(0, "Introductie"), Chapter(68.6, "Afsluiting"))
    (shown,) = episode_doc(show, replace(episode, chapters=chapters)).xpath(
        "//section[@class='chapters']//li[2]//time"
    )
    assert (shown.text, shown.get("datetime")) == ("1:08", "PT0H1M8S")


def test_guests_are_listed_with_their_role(show: Show, episode: Episode) -> None:
    (item,) = episode_doc(show, episode).xpath("//section[@class='people']//li")
    assert " ".join(item.text_content().split()) == "Rick Kwekkeboom (gast)"


def test_show_page_lists_episodes_newest_first(show: Show, tmp_path: Path) -> None:
    older = make_episode(
        tmp_path,
        slug="eerste",
        title="Eerste",
        published=dt.datetime(2021, 10, 5, 9, 0, tzinfo=CET),
    )
    newer = make_episode(tmp_path)
    doc = lxml.html.fromstring(render_site(show, [newer, older], links=LINKS)["index.html"])
    hrefs = doc.xpath("//ol[@class='episode-list']//h3/a/@href")
    assert [urljoin(LINKS.show_page, h) for h in hrefs] == [
        LINKS.episode_page(newer.slug),
        LINKS.episode_page("eerste"),
    ]
    assert "5 oktober 2021" in doc.xpath("//ol[@class='episode-list']//time/text()")


def test_show_page_has_subscribe_links_and_artwork(show: Show, episode: Episode) -> None:
    doc = lxml.html.fromstring(render_site(show, [episode], links=LINKS)["index.html"])
    subscribe = doc.xpath("//section[@class='subscribe']//a/@href")
    assert subscribe == ["https://podcasts.apple.com/nl/podcast/id1", LINKS.feed]
    assert doc.xpath("//img[@class='artwork']/@alt") == [
        "Omslagafbeelding van Een tegen eenzaamheid"
    ]


def test_renaming_the_title_keeps_the_url(show: Show, episode: Episode) -> None:
    renamed = replace(episode, title="Een heel andere titel")
    assert set(render_site(show, [renamed], links=LINKS)) == set(
        render_site(show, [episode], links=LINKS)
    )


def test_output_is_deterministic(show: Show, episode: Episode) -> None:
    assert render_site(show, [episode], links=LINKS) == render_site(show, [episode], links=LINKS)


def test_show_templates_override_the_packaged_ones(show: Show, episode: Episode) -> None:
    (show.root / "templates").mkdir()
    (show.root / "templates" / "style.css").write_text("body { color: black; }\n")
    site = render_site(show, [episode], links=LINKS)
    assert site["style.css"] == b"body { color: black; }\n"


def test_pages_load_nothing_from_other_hosts(show: Show, episode: Episode) -> None:
    site = render_site(show, [episode], links=LINKS)
    for key in ("index.html", episode_page_key(episode.slug)):
        doc = lxml.html.fromstring(site[key])
        base = LINKS.url(key)
        loaded = doc.xpath("//@src | //link/@href | //@poster | //@srcset | //object/@data")
        assert loaded, key
        for url in loaded:
            assert urljoin(base, url).startswith(BASE + "/"), (key, url)
        assert not doc.xpath("//script[@src] | //iframe | //style"), key
        assert [
            script.text.strip()
            for script in doc.xpath("//script[not(@type='application/ld+json')]")
        ] in ([], [SEEK_SCRIPT]), key


HOSTILE_NOTES = """Hallo <script>alert(1)</script>
<img src=x onerror="alert(2)">
<a href="javascript:alert(3)">klik</a> [ook](javascript:alert(4))
<p style="x" onmouseover="alert(5)">tekst</p> "onmouseover=alert(6) x
"""


# Plain random text rarely spells a tag; mixing in markup fragments makes every run try.
HOSTILE_TEXT = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            [
                "<script>",
                "</script>",
                "<",
                ">",
                '"',
                "'",
                " onmouseover=",
                "javascript:",
                "<img src=x onerror=alert(1)>",
                "[a](",
                ")",
                "</title>",
                "-->",
                "&",
                "\n\n",
            ]
        ),
    ),
    max_size=30,
).map("".join)


URL_ATTRIBUTES = frozenset({"href", "src", "poster", "action", "formaction", "data"})


# The one script a page may carry: ours, inline, that makes chapter times seek the player.
SEEK_SCRIPT = (
    (Path(pages.__file__).parent / "templates" / "episode.html")
    .read_text(encoding="utf-8")
    .partition("<script>\n")[2]
    .partition("</script>")[0]
    .strip()
)


def assert_inert(doc: lxml.html.HtmlElement) -> None:
    scripts = [
        script.text.strip() for script in doc.xpath("//script[not(@type='application/ld+json')]")
    ]
    assert scripts in ([], [SEEK_SCRIPT]), "a <script> element got through"
    for data in doc.xpath("//script[@type='application/ld+json']"):
        json.loads(data.text)  # a title that closes the element would leave broken JSON
    for element in doc.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{element.tag} has {name}"
            if name.lower() in URL_ATTRIBUTES:
                assert not value.strip().lower().startswith("javascript:"), f"{element.tag} {name}"


def test_hostile_text_never_breaks_out(show: Show, tmp_path: Path) -> None:
    hostile = make_episode(
        tmp_path,
        title='<script>alert(1)</script>"onmouseover="alert(1)',
        summary="</title><script>alert(7)</script>",
        notes=HOSTILE_NOTES,
        persons=(Person("<b onclick=x>Mallory</b>", "guest", href="javascript:alert(8)"),),
        chapters=(Chapter(1, "<script>alert(9)</script>", url="javascript:alert(10)"),),
    )
    site = render_site(show, [hostile], links=LINKS)
    for body in site.values():
        if body.startswith(b"<!doctype"):
            assert_inert(lxml.html.fromstring(body))
    doc = lxml.html.fromstring(site[episode_page_key(hostile.slug)])
    assert doc.xpath("//h1/text()") == ['<script>alert(1)</script>"onmouseover="alert(1)']


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=HOSTILE_TEXT, notes=HOSTILE_TEXT)
def test_arbitrary_text_stays_text(tmp_path: Path, title: str, notes: str) -> None:
    show = make_show(tmp_path)
    episode = make_episode(tmp_path, title=title, notes=notes, summary=None)
    site = render_site(show, [episode], links=LINKS)
    for key in ("index.html", episode_page_key(episode.slug)):
        assert_inert(lxml.html.fromstring(site[key]))


def test_an_edited_show_template_is_used_at_once(show: Show, episode: Episode) -> None:
    (show.root / "templates").mkdir()
    own = show.root / "templates" / "gone.html"
    own.write_text("<p>weg</p>\n")
    render_site(show, [episode], links=LINKS)
    own.write_text("<p>echt weg</p>\n")
    assert (
        pages.render_gone_page(
            show, episode.slug, links=LINKS, page_key=episode_page_key(episode.slug)
        )
        == "<p>echt weg</p>\n"
    )


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("base.html", "<html>\n{{ broken }}\n", "line 2: template error: 'broken' is undefined"),
        ("base.html", "<html>\n{% endif %}\n", "line 2: template error: Encountered unknown"),
        ("_subscribe.html", "{% include '_nope.html' %}", "line 1: template error: no template"),
    ],
    ids=["undefined", "syntax", "include"],
)
def test_a_template_error_names_the_file_at_fault(
    show: Show, episode: Episode, name: str, text: str, said: str
) -> None:
    """The show overrides only a part the page uses: the error names that part."""
    (show.root / "templates").mkdir()
    (show.root / "templates" / name).write_text(text)
    with pytest.raises(EpisodeError) as caught:
        render_site(show, [episode], links=LINKS)
    assert str(caught.value).startswith(f"{show.root / 'templates' / name}: {said}")


def _outline(doc: lxml.html.HtmlElement) -> list[tuple[int, str]]:
    """Every heading of the page, in order, with its level."""
    headings = doc.xpath("//h1 | //h2 | //h3 | //h4 | //h5 | //h6")
    return [(int(h.tag[1]), " ".join(h.text_content().split())) for h in headings]


def test_note_headings_sit_below_the_notes_heading(show: Show, tmp_path: Path) -> None:
    notes = "Inleiding.\n\n## Wie praat er mee\n\nRick.\n\n### Zijn boek\n\nTitel.\n\n## Links\n"
    outline = _outline(episode_doc(show, make_episode(tmp_path, notes=notes)))
    levels = [level for level, _ in outline]
    # A whole outline: one h1, and no heading more than one level below the one before.
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(now <= before + 1 for before, now in zip(levels, levels[1:], strict=False))
    at = outline.index((2, "Over deze aflevering"))
    assert outline[at + 1 : at + 4] == [(3, "Wie praat er mee"), (4, "Zijn boek"), (3, "Links")]


def test_deep_note_headings_move_up_to_the_next_level(show: Show, tmp_path: Path) -> None:
    outline = _outline(episode_doc(show, make_episode(tmp_path, notes="#### Alleen diep\n\nx")))
    at = outline.index((2, "Over deze aflevering"))
    assert outline[at + 1] == (3, "Alleen diep")


def test_pages_use_the_sized_artwork_never_the_original(show: Show, episode: Episode) -> None:
    site = render_site(show, [episode], links=LINKS)
    for key, picture in (("index.html", "240px"), (episode_page_key(episode.slug), "160px")):
        doc = lxml.html.fromstring(site[key])
        page = LINKS.url(key)
        assert "cover.png" not in site[key].decode(), key
        (img,) = doc.xpath("//img[@class='artwork']")
        assert img.get("sizes") == picture
        offered = [part.split() for part in img.get("srcset").split(", ")]
        assert [(urljoin(page, url), w) for url, w in offered] == [
            (f"{BASE}/images/artwork-{width}.jpg", f"{width}w") for width in (150, 300, 600)
        ]
        assert urljoin(page, img.get("src")) == f"{BASE}/images/artwork-300.jpg"
        (icon,) = doc.xpath("//link[@rel='icon']/@href")
        assert urljoin(page, icon) == f"{BASE}/images/artwork-150.jpg"
        assert (
            meta(doc, "og:image")
            == meta(doc, "twitter:image")
            == (f"{BASE}/images/artwork-1400.jpg")
        )
        assert meta(doc, "og:image:width") == meta(doc, "og:image:height") == "1400"


def test_an_episode_image_of_its_own_is_shown_as_it_is(show: Show, tmp_path: Path) -> None:
    doc = episode_doc(show, make_episode(tmp_path, image="art/ep.jpg"))
    (img,) = doc.xpath("//img[@class='artwork']")
    assert img.get("src") == "../../images/ep.jpg" and img.get("srcset") is None
    assert meta(doc, "og:image") == f"{BASE}/images/ep.jpg"
    assert not doc.xpath('//meta[@property="og:image:width"]')


def test_a_built_show_links_small_pictures_that_are_there(show_dir: Path, tmp_path: Path) -> None:
    """A 3000 px cover of megabytes: the pages link the build's sized copies, which exist."""
    import os

    from click.testing import CliRunner
    from PIL import Image

    from mediafeed.cli import cli
    from tests.mediafactory import mp3_cbr

    noise = Image.frombytes("RGB", (3000, 3000), os.urandom(3000 * 3000 * 3))
    noise.save(show_dir / "artwork.jpg", quality=95)
    original = (show_dir / "artwork.jpg").stat().st_size
    runner = CliRunner()
    media = mp3_cbr(tmp_path, "o.mp3")
    assert (
        runner.invoke(cli, ["-C", str(show_dir), "add", str(media), "--title", "O"]).exit_code == 0
    )
    assert runner.invoke(cli, ["-C", str(show_dir), "build"]).exit_code == 0
    out = show_dir / "feed"
    for key in ("index.html", "episodes/o/index.html"):
        doc = lxml.html.fromstring((out / key).read_bytes())
        named = doc.xpath("//img/@src | //link[@rel='icon' or @rel='apple-touch-icon']/@href")
        named += [p.split()[0] for s in doc.xpath("//img/@srcset") for p in s.split(", ")]
        for href in named:
            picture = (out / key).parent / href
            assert picture.is_file(), (key, href)
            assert picture.stat().st_size * 20 < original, (key, href)
