"""Any text in any field: the feed stays well-formed XML and the visible text survives.

Hypothesis feeds arbitrary Unicode (surrogates, control characters, U+FFFE), markup and
HTML into every text field of the show and its episodes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from mediafeed.config import load_show
from mediafeed.episodes import load_episodes
from mediafeed.links import Links
from mediafeed.model import Episode, Funding, Location, Owner, Person, Show
from mediafeed.render.feed import render_feed
from mediafeed.render.notes import plain_text, xml_safe

REPO = Path(__file__).resolve().parent.parent
LINKS = Links("https://podcast.example.org/show")
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
SHOW = load_show(REPO)
EPISODE = [
    ep for ep in load_episodes(SHOW.episodes_dir) if ep.slug == "ontmoeting-in-het-fysieke-domein"
][0]

# Every code point, surrogates and C0/C1 controls included, with markup mixed in.
ANY_CHAR = st.one_of(st.characters(exclude_categories=()), st.characters(categories=["Cs"]))
MARKUP = st.sampled_from(
    [
        "<b>",
        "</p>",
        "<script>alert(1)</script>",
        "]]>",
        "&amp;",
        "&",
        "<![CDATA[",
        "\x00",
        "\x0b",
        "\ufffe",
        "\ud800",
        "**",
        "\n\n",
        '"',
        "'",
        "<a href='javascript:x'>",
        "\r\n",
    ]
)
TEXT = st.lists(st.one_of(st.text(ANY_CHAR, max_size=8), MARKUP), max_size=8).map("".join)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def visible(value: str) -> str:
    """What a listener should see of a plain-text field: all but what XML cannot carry."""
    return xml_safe(value).strip()


def render(show: Show, episode: Episode) -> Any:
    xml = render_feed(show, [episode], links=LINKS)
    return etree.fromstring(xml)  # raises on anything that is not well-formed


def texts(root: Any, path: str) -> list[str]:
    return [node.text or "" for node in root.xpath(path, namespaces=NS)]


@SETTINGS
@given(
    title=TEXT,
    description=TEXT,
    author=TEXT,
    owner=TEXT,
    person=TEXT,
    funding=TEXT,
    location=TEXT,
    copyright=TEXT,
    category=TEXT,
)
def test_any_channel_text_gives_well_formed_xml(
    title: str,
    description: str,
    author: str,
    owner: str,
    person: str,
    funding: str,
    location: str,
    copyright: str,
    category: str,
) -> None:
    show = replace(
        SHOW,
        title=title,
        description=description,
        author=author,
        owner=Owner(owner, owner),
        persons=(Person(person, img=person),),
        funding=(Funding(funding, funding),),
        location=Location(location),
        copyright=copyright,
        categories=((category, category),),
        txt=((person, funding),),
        update_frequency=location,
    )
    root = render(show, EPISODE)
    channel = root.find("channel")
    if visible(title):
        assert channel.findtext("title") == visible(title)
    if visible(author):
        assert texts(channel, "itunes:author") == [visible(author)]
    if visible(person):
        assert texts(channel, "podcast:person") == [visible(person)]
    if visible(funding):
        assert texts(channel, "podcast:funding") == [visible(funding)]
    if visible(location):
        assert texts(channel, "podcast:location") == [visible(location)]


@SETTINGS
@given(title=TEXT, summary=TEXT, notes=TEXT, guest=TEXT, chapter=TEXT)
def test_any_episode_text_gives_well_formed_xml(
    title: str, summary: str, notes: str, guest: str, chapter: str
) -> None:
    episode = replace(
        EPISODE,
        title=title,
        summary=summary,
        notes=notes,
        persons=(Person(guest, role=guest, href=guest),),
        location=Location(guest),
    )
    root = render(SHOW, episode)
    [item] = root.iter("item")
    if visible(title):
        assert item.findtext("title") == visible(title)
        assert texts(item, "itunes:title") == [visible(title)]
    if visible(summary):
        assert texts(item, "itunes:summary") == [visible(summary)]
    if visible(guest):
        assert visible(guest) in texts(item, "podcast:person")


WORD = st.text("abcdefghijklmnopqrstuvwxyzÀéßøЖж中文ABC", min_size=1, max_size=10)
SEPARATOR = st.sampled_from(
    [
        " ",
        " **",
        "** ",
        " _",
        "_ ",
        " <b>",
        "</b> ",
        " <em>",
        "</i> ",
        "\n\n",
        "\n- ",
        "\n# ",
        " `",
        "` ",
        "\n> ",
        " <br> ",
        " \x00 ",
        " \x0b",
        "\ufffe ",
        " & ",
        " [",
        "] ",
        " <span>",
        " <script></script> ",
        " <p onclick='x'>",
    ]
)


@SETTINGS
@given(st.lists(st.tuples(SEPARATOR, WORD), min_size=1, max_size=12))
def test_every_word_of_marked_up_notes_survives(parts: list[tuple[str, str]]) -> None:
    notes = "".join(sep + word for sep, word in parts)
    episode = replace(EPISODE, notes=notes, summary=None)
    root = render(SHOW, episode)
    [item] = root.iter("item")
    [summary] = texts(item, "itunes:summary")
    [html] = texts(item, "content:encoded")
    for _, word in parts:
        assert word in summary, (word, summary)
        assert word in html, (word, html)
    fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    assert not fragment.xpath("//script"), html
    assert not fragment.xpath("//@*[starts-with(name(), 'on')]"), html
    assert summary == plain_text(notes)
