"""The Podcasting 2.0 tags apps read next: license, podroll, socialInteract, soundbite and
the WebSub hub link, from mediafeed.toml and episode files to the feed and the pages.

The golden file covers them all; after an intended change, regenerate and review it:

    MEDIAFEED_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_reach.py -k golden
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import podcastparser
import pytest
from lxml import etree

from mediafeed.config import load_show
from mediafeed.episodes import load_episodes
from mediafeed.errors import ConfigError, EpisodeError
from mediafeed.links import Links, episode_page_key
from mediafeed.model import Show
from mediafeed.render.feed import podcast_guid, render_feed
from mediafeed.render.pages import render_episode_page, render_show_page
from tests import mediafactory
from tests.conftest import SHOW_CONFIG
from tests.showmaker import write_episode

GOLDEN = Path(__file__).parent / "golden" / "reach-feed.xml"
LINKS = Links("https://podcast.example.org/een")
PUBLISHED = dt.datetime(2021, 11, 2, 9, 0, tzinfo=dt.UTC)
NS = {"podcast": "https://podcastindex.org/namespace/1.0", "atom": "http://www.w3.org/2005/Atom"}
FRIEND_GUID = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
OTHER_FEED = "https://other.example.org/feed.xml"
POST = "https://mastodon.example.nl/@een/111222333444555666"

SHOW_EXTRA = f"""\
license = "CC-BY-4.0"
podroll = ["{FRIEND_GUID}", {{ feed_url = "{OTHER_FEED}", title = "Ander" }}]
"""
PUBLISH_EXTRA = """
[publish]
websub_hubs = ["https://pubsubhubbub.appspot.com/", "https://hub.example.org/"]
"""
EPISODE_EXTRA = f"""\
license:
  name: Alle rechten voorbehouden
  url: https://www.eentegeneenzaamheid.nl/voorwaarden
social_interact:
- uri: {POST}
  account_id: "@een@mastodon.example.nl"
  account_url: https://mastodon.example.nl/@een
  priority: 1
soundbites:
- start: "0:20"
  duration: 30
  title: Wat ontmoeting doet
- start: 60.5
  duration: 20
"""


EPISODE = """\
---
title: Ontmoeting
guid: 5586f5df-460d-510f-ad77-8bd4136cfef2
published: '2021-11-02T09:00:00+00:00'
audio: media/ontmoeting.mp3
duration: 120.0
length: 960469
mime_type: audio/mpeg
sha256: 1c553a3828b1d0e4f7a9b2c5d8e1f4a7b0c3d6e9f2a5b8c1d4e7f0a3b6c9d2e5
---

Over ontmoeting in de wijk.
"""


def reach_show(show_dir: Path, *, episode_extra: str = EPISODE_EXTRA,
               show_extra: str = SHOW_EXTRA, publish_extra: str = PUBLISH_EXTRA) -> Path:  # fmt: skip
    config = SHOW_CONFIG.replace("[owner]", show_extra + "\n[owner]") + publish_extra
    (show_dir / "mediafeed.toml").write_text(config, encoding="utf-8")
    # Fixed media facts: the feed is rendered from the episode file alone.
    path = show_dir / "episodes" / "ontmoeting.md"
    path.write_text(EPISODE.replace("audio:", episode_extra + "audio:"), encoding="utf-8")
    return path


def feed_of(show_dir: Path) -> tuple[Show, bytes]:
    show = load_show(show_dir)
    return show, render_feed(show, load_episodes(show.episodes_dir), links=LINKS)


@pytest.fixture
def reach_feed(show_dir: Path) -> bytes:
    reach_show(show_dir)
    return feed_of(show_dir)[1]


def xpath(xml: bytes, path: str) -> list[Any]:
    found: list[Any] = etree.fromstring(xml).xpath(path, namespaces=NS)
    return found


def test_the_feed_with_every_new_tag_matches_the_golden_file(reach_feed: bytes) -> None:
    if os.environ.get("MEDIAFEED_UPDATE_GOLDEN"):
        GOLDEN.write_bytes(reach_feed)
    assert reach_feed == GOLDEN.read_bytes(), "feed changed: review, then regenerate the golden"


def test_an_spdx_license_is_written_in_lower_case_on_the_channel(reach_feed: bytes) -> None:
    [channel] = xpath(reach_feed, "/rss/channel/podcast:license")
    assert channel.text == "cc-by-4.0" and "url" not in channel.attrib


def test_a_custom_license_carries_its_url_on_the_item(reach_feed: bytes) -> None:
    [item] = xpath(reach_feed, "//item/podcast:license")
    assert item.text == "Alle rechten voorbehouden"
    assert item.get("url") == "https://www.eentegeneenzaamheid.nl/voorwaarden"


def test_the_podroll_lists_remote_items_by_feed_guid(reach_feed: bytes) -> None:
    items = xpath(reach_feed, "/rss/channel/podcast:podroll/podcast:remoteItem")
    assert [item.get("feedGuid") for item in items] == [FRIEND_GUID, podcast_guid(OTHER_FEED)]
    assert [item.get("feedUrl") for item in items] == [None, OTHER_FEED]


def test_social_interact_names_the_post_its_protocol_and_account(reach_feed: bytes) -> None:
    [social] = xpath(reach_feed, "//item/podcast:socialInteract")
    assert dict(social.attrib) == {
        "uri": POST,
        "protocol": "activitypub",
        "accountId": "@een@mastodon.example.nl",
        "accountUrl": "https://mastodon.example.nl/@een",
        "priority": "1",
    }


def test_soundbites_give_start_and_duration_in_seconds(reach_feed: bytes) -> None:
    bites = xpath(reach_feed, "//item/podcast:soundbite")
    assert [(b.get("startTime"), b.get("duration"), b.text) for b in bites] == [
        ("20", "30", "Wat ontmoeting doet"),
        ("60.5", "20", None),
    ]


def test_each_websub_hub_is_linked_beside_the_self_link(reach_feed: bytes) -> None:
    hubs = xpath(reach_feed, "/rss/channel/atom:link[@rel='hub']/@href")
    assert hubs == ["https://pubsubhubbub.appspot.com/", "https://hub.example.org/"]
    assert xpath(reach_feed, "/rss/channel/atom:link[@rel='self']/@href")


def test_podcast_clients_still_read_the_feed(reach_feed: bytes) -> None:
    parsed = podcastparser.parse(LINKS.feed, io.BytesIO(reach_feed))
    assert [ep["title"] for ep in parsed["episodes"]] == ["Ontmoeting"]
    other = feedparser.parse(reach_feed)
    assert not other.bozo, other.bozo_exception
    assert other.entries[0].enclosures


def test_a_show_without_the_new_fields_writes_none_of_the_tags(show_dir: Path) -> None:
    media = mediafactory.mp3_cbr(show_dir / "media", "gewoon.mp3")
    write_episode(show_dir, "gewoon", media, published=PUBLISHED)
    _, xml = feed_of(show_dir)
    for tag in ("license", "podroll", "socialInteract", "soundbite"):
        assert not xpath(xml, f"//podcast:{tag}"), tag
    assert not xpath(xml, "//atom:link[@rel='hub']")


@pytest.mark.parametrize("protocol", ["bluesky", "lightning"])
def test_each_protocol_the_namespace_lists_is_taken(show_dir: Path, protocol: str) -> None:
    uri = (
        "at://did:plc:abc/app.bsky.feed.post/1" if protocol == "bluesky" else "https://x.example/1"
    )
    reach_show(show_dir, episode_extra=f"social_interact:\n  uri: {uri}\n  protocol: {protocol}\n")
    _, xml = feed_of(show_dir)
    assert [tag.get("protocol") for tag in xpath(xml, "//podcast:socialInteract")] == [protocol]


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ("soundbites:\n- start: 100\n  duration: 30\n", "soundbites", "after the episode's end"),
        ("soundbites:\n- start: 10\n  duration: 0\n", "soundbites", "more than 0"),
        ("soundbites:\n- start: soon\n  duration: 5\n", "soundbites", "not a time"),
        ("social_interact: javascript:alert(1)\n", "social_interact", "not a activitypub"),
        ("social_interact:\n  uri: https://x.example/1\n  protocol: myspace\n",
         "social_interact", "must be one of"),
        ("license:\n  name: Eigen\n  url: ftp://example.org/l\n", "license", "is not a web address"),
    ],
)  # fmt: skip
def test_a_wrong_episode_field_is_refused_by_name(
    show_dir: Path, extra: str, field: str, words: str
) -> None:
    reach_show(show_dir, episode_extra=extra)
    with pytest.raises(EpisodeError) as caught:
        load_episodes(show_dir / "episodes")
    assert caught.value.field == field or f"{field}:" in caught.value.message
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("show_extra", "publish_extra", "words"),
    [
        ('podroll = ["not-a-guid-or-url"]\n', "", "podroll[0].feed_url"),
        ('podroll = [{ feed_guid = "abc" }]\n', "", "is not a podcast:guid"),
        ("", '\n[publish]\nwebsub_hubs = ["hub.example.org"]\n', "publish.websub_hubs[0]"),
        ('license = { url = "https://example.org/" }\n', "", "license:"),
    ],
)
def test_a_wrong_show_field_is_refused_by_name(
    show_dir: Path, show_extra: str, publish_extra: str, words: str
) -> None:
    reach_show(show_dir, show_extra=show_extra, publish_extra=publish_extra)
    with pytest.raises(ConfigError) as caught:
        load_show(show_dir)
    assert words in caught.value.message


def check_lines(show_dir: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "mediafeed", "-C", str(show_dir), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.splitlines()


def test_check_refuses_a_custom_license_without_its_url(show_dir: Path) -> None:
    reach_show(show_dir, episode_extra="license: Eigen voorwaarden\n")
    [line] = [line for line in check_lines(show_dir) if "[license]" in line]
    assert line.startswith("error: episodes/ontmoeting.md: license:")


def test_check_warns_of_a_soundbite_apps_would_not_play_and_a_guid_it_guessed(
    show_dir: Path,
) -> None:
    reach_show(show_dir, episode_extra="soundbites:\n- start: 1\n  duration: 5\n")
    lines = check_lines(show_dir)
    assert any(line.startswith("warning:") and "[soundbite-length]" in line for line in lines)
    assert any("podroll[1]" in line and "[podroll-guid]" in line for line in lines)
    assert not any("[license]" in line for line in lines)  # CC-BY-4.0 is an SPDX identifier


def test_the_episode_page_shows_license_discussion_and_soundbites(show_dir: Path) -> None:
    reach_show(show_dir)
    show = load_show(show_dir)
    [episode] = load_episodes(show.episodes_dir)
    doc = lxml.html.fromstring(render_episode_page(show, episode, links=LINKS))
    [license] = doc.xpath("//footer//a[@rel='license']")
    assert license.text == "Alle rechten voorbehouden"
    assert license.get("href") == "https://www.eentegeneenzaamheid.nl/voorwaarden"
    assert doc.xpath("//p[@class='discuss']/a/@href") == [POST]
    bites = doc.xpath("//section[@class='soundbites']//li")
    assert [bite.text_content().strip() for bite in bites] == [
        "0:20 Wat ontmoeting doet",
        "1:00 20 seconden",
    ]


def test_the_show_page_links_the_spdx_text_of_its_license(show_dir: Path) -> None:
    reach_show(show_dir)
    show = load_show(show_dir)
    doc = lxml.html.fromstring(render_show_page(show, [], links=LINKS))
    assert doc.xpath("//a[@rel='license']/@href") == ["https://spdx.org/licenses/CC-BY-4.0.html"]


def test_pages_describe_the_show_and_episode_in_json_ld(show_dir: Path) -> None:
    reach_show(show_dir)
    show = load_show(show_dir)
    [episode] = load_episodes(show.episodes_dir)
    page = lxml.html.fromstring(render_episode_page(show, episode, links=LINKS))
    [data] = page.xpath("//script[@type='application/ld+json']/text()")
    found = json.loads(data)
    assert found["@type"] == "PodcastEpisode"
    assert found["url"] == LINKS.url(episode_page_key(episode.slug))
    assert found["partOfSeries"] == {
        "@type": "PodcastSeries",
        "name": show.title,
        "url": LINKS.show_page,
    }
    assert found["associatedMedia"]["contentUrl"] == LINKS.media(episode)
    home = lxml.html.fromstring(render_show_page(show, [episode], links=LINKS))
    series = json.loads(home.xpath("//script[@type='application/ld+json']/text()")[0])
    assert series["@type"] == "PodcastSeries" and series["webFeed"] == LINKS.feed


def test_the_episode_file_keeps_the_new_fields_when_rewritten(show_dir: Path) -> None:
    from mediafeed.episodes import episode_fields, parse_episode_file, render_episode_file

    path = reach_show(show_dir)
    [episode] = load_episodes(show_dir / "episodes")
    path.write_text(render_episode_file(episode_fields(episode), episode.notes))
    again = parse_episode_file(path, path.read_bytes())
    assert (again.license, again.social_interact, again.soundbites) == (
        episode.license,
        episode.social_interact,
        episode.soundbites,
    )


def test_an_import_keeps_every_new_tag(show_dir: Path, tmp_path: Path) -> None:
    path = reach_show(show_dir)
    feed = tmp_path / "old-feed.xml"
    feed.write_bytes(feed_of(show_dir)[1])
    root = tmp_path / "moved"
    result = subprocess.run(
        [sys.executable, "-m", "mediafeed", "import", str(feed), str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    original, moved = load_show(show_dir), load_show(root)
    assert moved.license is not None and moved.license.name == "cc-by-4.0"
    assert [item.feed_guid for item in moved.podroll] == [FRIEND_GUID, podcast_guid(OTHER_FEED)]
    assert moved.podroll[1].feed_url == OTHER_FEED
    [before] = load_episodes(path.parent)
    [after] = load_episodes(root / "episodes")
    assert after.license == before.license
    assert after.social_interact == before.social_interact
    assert after.soundbites == before.soundbites
    assert feed_of(root)[1].count(b"podcast:soundbite ") == 2
    assert original.podroll[0] == moved.podroll[0]
