"""feed.xml: the demo show against a golden file, every tag where its data is, parsers agree.

The golden file is the demo show's feed with a fixed base URL. After an intended change,
regenerate it and review the diff:

    MEDIAFEED_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_feed.py -k golden
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest
from lxml import etree

from mediafeed.config import load_show
from mediafeed.episodes import load_episodes
from mediafeed.links import Links
from mediafeed.model import Chapter, Episode, Funding, Location, Owner, Person, Show, Status
from mediafeed.render.feed import chapters_json, podcast_guid, render_feed
from mediafeed.rules import chapters_problem

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "demo-feed.xml"
BASE = "https://podcast.example.org/een-tegen-eenzaamheid"
LINKS = Links(BASE)
NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
}


def demo() -> tuple[Show, list[Episode]]:
    show = load_show(REPO)
    episodes = [ep for ep in load_episodes(show.episodes_dir) if ep.status(NOW) is Status.PUBLISHED]
    return show, episodes


def parse(xml: bytes) -> Any:
    return etree.fromstring(xml)


def one(root: Any, path: str, context: str = "") -> Any:
    """The single node at `path`; the message names the tag that is missing or doubled."""
    found = root.xpath(path, namespaces=NS)
    assert len(found) == 1, f"{context}{path}: expected one, found {len(found)}"
    return found[0]


def none(root: Any, path: str) -> None:
    found = root.xpath(path, namespaces=NS)
    assert not found, f"{path}: expected none, found {len(found)}"


@pytest.fixture(scope="module")
def demo_xml() -> bytes:
    show, episodes = demo()
    return render_feed(show, episodes, links=LINKS)


def test_demo_feed_matches_the_golden_file(demo_xml: bytes) -> None:
    if os.environ.get("MEDIAFEED_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(demo_xml)
    assert demo_xml == GOLDEN.read_bytes(), "feed changed: review, then regenerate the golden"


def test_no_tag_the_readme_says_is_not_written_is_in_the_demo_feed(demo_xml: bytes) -> None:
    rows = [line for line in (REPO / "README.md").read_text().splitlines() if "| no" in line]
    unwritten = [tag for row in rows for tag in re.findall(r"`(itunes:[A-Za-z-]+)`", row)]
    assert unwritten, "the README's table of Apple tags has no row marked 'no'"
    for tag in unwritten:
        none(parse(demo_xml), f"//{tag}")


def test_render_is_deterministic() -> None:
    show, episodes = demo()
    assert render_feed(show, episodes, links=LINKS) == render_feed(show, episodes, links=LINKS)


CHANNEL_TAGS = {
    "title": "Een tegen eenzaamheid",
    "link": "https://www.eentegeneenzaamheid.nl/",
    "language": "nl",
    "copyright": "© 2021 Programma Een tegen eenzaamheid",
    "itunes:author": "Programma Een tegen eenzaamheid",
    "itunes:title": "Een tegen eenzaamheid",
    "itunes:explicit": "false",
    "itunes:type": "episodic",
    "itunes:owner/itunes:name": "Programma Een tegen eenzaamheid",
    "itunes:owner/itunes:email": "podcast@example.org",
    "podcast:guid": "0b1c4c5e-3f0a-5c6e-9a59-2d6b1f7c8e10",
    "podcast:locked": "yes",
    "podcast:medium": "podcast",
    "podcast:funding": "Over het programma",
    "podcast:person": "Programma Een tegen eenzaamheid",
    "podcast:trailer": "Welkom bij Een tegen eenzaamheid",
}


@pytest.mark.parametrize("tag", sorted(CHANNEL_TAGS))
def test_demo_channel_tag(demo_xml: bytes, tag: str) -> None:
    assert one(parse(demo_xml), f"/rss/channel/{tag}").text == CHANNEL_TAGS[tag], tag


def test_demo_channel_attributes(demo_xml: bytes) -> None:
    channel = one(parse(demo_xml), "/rss/channel")
    assert one(channel, "itunes:image/@href") == f"{BASE}/images/artwork.jpg"
    assert one(channel, "podcast:locked/@owner") == "podcast@example.org"
    assert one(channel, "atom:link[@rel='self']/@href") == f"{BASE}/feed.xml"
    categories = [
        (c.get("text"), [s.get("text") for s in c])
        for c in channel.xpath("itunes:category", namespaces=NS)
    ]
    assert categories == [("Health & Fitness", ["Mental Health"]), ("Government", [])]
    trailer = one(channel, "podcast:trailer")
    assert trailer.get("length") == "117009" and trailer.get("type") == "audio/mpeg"
    assert trailer.get("pubdate") == "Tue, 14 Sep 2021 09:00:00 +0200"


def test_demo_channel_leaves_out_tags_without_data(demo_xml: bytes) -> None:
    channel = one(parse(demo_xml), "/rss/channel")
    for tag in (
        "itunes:block",
        "itunes:complete",
        "itunes:new-feed-url",
        "podcast:location",
        "podcast:txt",
        "podcast:updateFrequency",
    ):
        none(channel, tag)


def item(root: Any, guid: str) -> Any:
    return one(root, f"/rss/channel/item[guid='{guid}']")


def test_demo_item_carries_every_apple_tag(demo_xml: bytes) -> None:
    entry = item(parse(demo_xml), "29e6eedd-3461-465d-a327-dd631a9f491e")
    slug = "ontmoeting-in-het-fysieke-domein"
    assert one(entry, "title").text == "Ontmoeting in het fysieke domein"
    assert one(entry, "itunes:title").text == "Ontmoeting in het fysieke domein"
    assert one(entry, "guid/@isPermaLink") == "false"
    assert one(entry, "pubDate").text == "Tue, 02 Nov 2021 09:00:00 +0100"
    assert one(entry, "link").text == f"{BASE}/episodes/{slug}/index.html"
    assert one(entry, "itunes:episodeType").text == "full"
    assert one(entry, "itunes:season").text == "1"
    assert one(entry, "itunes:episode").text == "2"
    assert one(entry, "itunes:duration").text == "9"
    assert one(entry, "itunes:explicit").text == "false"
    enclosure = one(entry, "enclosure")
    assert enclosure.get("url") == f"{BASE}/media/{slug}-35305a535767.mp3"
    assert (enclosure.get("length"), enclosure.get("type")) == ("124878", "audio/mpeg")
    assert "<strong>prof. Rick Kwekkeboom</strong>" in one(entry, "content:encoded").text
    assert "<strong>prof. Rick Kwekkeboom</strong>" in one(entry, "description").text
    assert one(entry, "itunes:summary").text.startswith("Prof. Rick Kwekkeboom over")


def test_demo_item_carries_podcast_namespace_tags(demo_xml: bytes) -> None:
    entry = item(parse(demo_xml), "29e6eedd-3461-465d-a327-dd631a9f491e")
    slug = "ontmoeting-in-het-fysieke-domein"
    assert one(entry, "podcast:season").text == "1"
    assert one(entry, "podcast:episode").text == "2"
    transcript = one(entry, "podcast:transcript[@type='text/vtt']")
    assert dict(transcript.attrib) == {
        "url": f"{BASE}/episodes/{slug}/transcript.vtt",
        "type": "text/vtt",
        "language": "nl",
        "rel": "captions",
    }
    # Beside the captions, the text the build makes of them, for apps that show text.
    assert dict(one(entry, "podcast:transcript[@type='text/plain']").attrib) == {
        "url": f"{BASE}/episodes/{slug}/transcript.txt",
        "type": "text/plain",
        "language": "nl",
    }
    chapters = one(entry, "podcast:chapters")
    assert chapters.get("url") == f"{BASE}/episodes/{slug}/chapters.json"
    assert chapters.get("type") == "application/json+chapters"
    persons = [(p.text, p.get("role")) for p in entry.xpath("podcast:person", namespaces=NS)]
    # Item persons replace the channel's: the host is restated beside the guest.
    assert persons == [("Programma Een tegen eenzaamheid", "host"), ("Rick Kwekkeboom", "guest")]
    assert one(entry, "podcast:person[@role='guest']/@href") == "https://www.hva.nl/"


def test_demo_items_leave_out_tags_without_data(demo_xml: bytes) -> None:
    root = parse(demo_xml)
    trailer = item(root, "23d279d9-934e-4654-add5-40ea1cb0a16c")
    assert one(trailer, "itunes:episodeType").text == "trailer"
    for tag in (
        "itunes:episode",
        "podcast:episode",
        "podcast:chapters",
        "podcast:transcript",
        "podcast:person",
        "itunes:block",
        "itunes:image",
    ):
        none(trailer, tag)


def test_items_are_newest_first(demo_xml: bytes) -> None:
    dates = [ep.published for ep in demo()[1]]
    assert dates == sorted(dates, reverse=True)
    titles = [t.text for t in parse(demo_xml).xpath("/rss/channel/item/title")]
    assert titles[0] == "Ontmoeting in het fysieke domein"


def test_podcastparser_reads_the_demo_feed(demo_xml: bytes) -> None:
    parsed = podcastparser.parse(f"{BASE}/feed.xml", io.BytesIO(demo_xml))
    assert parsed["title"] == "Een tegen eenzaamheid"
    assert parsed["cover_url"] == f"{BASE}/images/artwork.jpg"
    assert [e["guid"] for e in parsed["episodes"]][0] == "29e6eedd-3461-465d-a327-dd631a9f491e"
    first = parsed["episodes"][0]
    assert first["total_time"] == 9
    assert first["enclosures"][0]["file_size"] == 124878


def test_feedparser_reads_the_demo_feed_without_complaint(demo_xml: bytes) -> None:
    fp = feedparser.parse(demo_xml)
    assert not fp.bozo, fp.bozo_exception
    assert fp.feed.title == "Een tegen eenzaamheid"
    # feedparser reads only yes/true as explicit; "false" comes back as not explicit.
    assert not fp.feed.itunes_explicit
    assert fp.entries[0].itunes_title == "Ontmoeting in het fysieke domein"
    assert [e.itunes_episodetype for e in fp.entries] == ["full", "full", "trailer"]
    assert fp.feed.tags[0].term == "Health & Fitness"


# ---------------------------------------------------------------------------------------
# A show that uses every option: each tag appears, with the value given.
# ---------------------------------------------------------------------------------------


def full_show() -> tuple[Show, list[Episode]]:
    show, episodes = demo()
    show = replace(
        show,
        block=True,
        complete=True,
        explicit=True,
        type="serial",
        new_feed_url="https://new.example.org/feed.xml",
        artwork="cover.jpeg",
        owner=Owner("Eigenaar", "eigenaar@example.org", hide_email=True),
        location=Location("Utrecht", geo="geo:52.0907,5.1214", osm="R47798"),
        txt=(("verify", "S6lpp-7ZCn8"),),
        update_frequency="Maandelijks",
        update_rrule="FREQ=MONTHLY",
        funding=(Funding("https://steun.example.org/", "Steun ons"),),
        persons=(Person("Anna", role="host", img="https://example.org/anna.jpg"),),
        categories=(("Arts", "Books"), ("Arts", "Design"), ("Government",)),
        guid="",
    )
    chapters = (Chapter(0, "Begin"), Chapter(2.5, "Midden", img="https://example.org/c.jpg"))
    first = replace(
        episodes[0],
        block=True,
        explicit=True,
        image="art/ep.png",
        location=Location("Amsterdam"),
        season=0,
        episode=0,
        chapters=chapters,
        season_name="Buurten",
        episode_display="Aflevering nul",
    )
    return show, [first, *episodes[1:]]


@pytest.fixture(scope="module")
def full_xml() -> bytes:
    show, episodes = full_show()
    return render_feed(show, episodes, links=LINKS)


FULL_CHANNEL = {
    "itunes:block": "Yes",
    "itunes:complete": "Yes",
    "itunes:explicit": "true",
    "itunes:type": "serial",
    "itunes:new-feed-url": "https://new.example.org/feed.xml",
    "itunes:owner/itunes:name": "Eigenaar",
    "podcast:locked": "yes",
    "podcast:location[@geo='geo:52.0907,5.1214'][@osm='R47798']": "Utrecht",
    "podcast:txt[@purpose='verify']": "S6lpp-7ZCn8",
    "podcast:updateFrequency[@complete='true'][@rrule='FREQ=MONTHLY']": "Maandelijks",
    "podcast:funding[@url='https://steun.example.org/']": "Steun ons",
    "podcast:person[@img='https://example.org/anna.jpg'][@role='host']": "Anna",
}


@pytest.mark.parametrize("tag", sorted(FULL_CHANNEL))
def test_every_channel_option_round_trips(full_xml: bytes, tag: str) -> None:
    assert one(parse(full_xml), f"/rss/channel/{tag}").text == FULL_CHANNEL[tag], tag


def test_hidden_owner_email_is_absent_everywhere(full_xml: bytes) -> None:
    channel = one(parse(full_xml), "/rss/channel")
    none(channel, "itunes:owner/itunes:email")
    none(channel, "podcast:locked/@owner")
    assert b"eigenaar@example.org" not in full_xml


def test_jpeg_artwork_and_grouped_subcategories(full_xml: bytes) -> None:
    channel = one(parse(full_xml), "/rss/channel")
    assert one(channel, "itunes:image/@href") == f"{BASE}/images/cover.jpeg"
    arts = one(channel, "itunes:category[@text='Arts']")
    assert [sub.get("text") for sub in arts] == ["Books", "Design"]


def test_podcast_guid_is_derived_from_the_feed_url_when_not_configured(full_xml: bytes) -> None:
    assert one(parse(full_xml), "/rss/channel/podcast:guid").text == podcast_guid(LINKS.feed)


def test_every_item_option_round_trips(full_xml: bytes) -> None:
    entry = item(parse(full_xml), "29e6eedd-3461-465d-a327-dd631a9f491e")
    assert one(entry, "itunes:block").text == "Yes"
    assert one(entry, "itunes:explicit").text == "true"
    assert one(entry, "itunes:image/@href") == f"{BASE}/images/ep.png"
    assert one(entry, "itunes:season").text == "0", "season 0 is a season"
    assert one(entry, "itunes:episode").text == "0"
    assert one(entry, "podcast:location").text == "Amsterdam"
    assert one(entry, "podcast:season[@name='Buurten']").text == "0"
    assert one(entry, "podcast:episode[@display='Aflevering nul']").text == "0"


def test_a_seven_digit_episode_number_is_written_in_full() -> None:
    """A daily show's number: "1e+06" or "1.23457e+06" is no number apps read."""
    show, episodes = demo()
    numbered = [replace(episodes[0], episode=1234567)]
    entry = item(parse(render_feed(show, numbered, links=LINKS)), numbered[0].guid)
    assert one(entry, "podcast:episode").text == "1234567"
    assert one(entry, "itunes:episode").text == "1234567"


def test_artwork_sizes_are_offered_as_podcast_images(full_xml: bytes) -> None:
    srcset = one(parse(full_xml), "/rss/channel/podcast:images/@srcset")
    assert srcset.startswith(f"{BASE}/images/artwork-1400.jpg 1400w, ")
    assert srcset.endswith(f"{BASE}/images/artwork-150.jpg 150w")


def test_each_artwork_size_is_a_podcast_image_with_its_width_and_words(full_xml: bytes) -> None:
    """podcast:image, which replaces podcast:images: each size, square, described in words."""
    channel = one(parse(full_xml), "/rss/channel")
    images = channel.xpath("podcast:image", namespaces=NS)
    assert [(i.get("href"), i.get("width")) for i in images] == [
        (f"{BASE}/images/artwork-{width}.jpg", str(width)) for width in (1400, 600, 300, 150)
    ]
    for image in images:
        assert (image.get("purpose"), image.get("aspect-ratio")) == ("artwork", "1/1")
        assert image.get("alt") and one(channel, "title").text in image.get("alt")


def test_an_episodes_own_picture_is_its_podcast_image(full_xml: bytes) -> None:
    entry = item(parse(full_xml), "29e6eedd-3461-465d-a327-dd631a9f491e")
    assert one(entry, "podcast:image[@purpose='artwork']/@href") == f"{BASE}/images/ep.png"


@pytest.mark.parametrize(
    ("url", "guid"),
    [
        ("https://podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("http://mp3s.nashownotes.com/pc20rss.xml/", "917393e3-1b1e-5cef-ace4-edaa54e1f810"),
    ],
)
def test_podcast_guid_matches_the_namespace_examples(url: str, guid: str) -> None:
    assert podcast_guid(url) == guid


def test_chapters_json_is_podcast_index_format() -> None:
    _, episodes = full_show()
    data = chapters_json(episodes[0])
    assert chapters_problem(data) is None
    document = json.loads(data)
    assert document["version"] == "1.2.0"
    assert document["chapters"] == [
        {"startTime": 0, "title": "Begin"},
        {"startTime": 2.5, "title": "Midden", "img": "https://example.org/c.jpg"},
    ]


def test_a_chapter_image_is_linked_where_the_episode_file_says(tmp_path: Path) -> None:
    # The episode file takes a chapter's img as a web address; the build copies no file.
    text = (REPO / "episodes" / "ontmoeting-in-het-fysieke-domein.md").read_text("utf-8")
    art = "  img: https://www.example.org/plein.jpg\n"
    path = tmp_path / "ontmoeting.md"
    path.write_text(text.replace("  title: Welkom\n", "  title: Welkom\n" + art), "utf-8")
    [episode] = load_episodes(tmp_path)
    chapters = json.loads(chapters_json(episode))["chapters"]
    assert chapters[0]["img"] == "https://www.example.org/plein.jpg"
