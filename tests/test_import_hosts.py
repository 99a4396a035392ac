"""Moving a podcast in: feeds written as real hosts write them, imported into the current
folder, built, and read back by the parsers podcast apps use."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner, Result

from mediafeed.build import build
from mediafeed.cli import cli
from mediafeed.config import load_show
from mediafeed.episodes import load_episodes
from mediafeed.links import Links
from mediafeed.store.local import LocalStore
from mediafeed.store.target import Target
from tests.conftest import publish_table
from tests.mediafactory import m4a, mp3_cbr
from tests.oldhost import OldHost, old_host

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LINKS = Links("https://nieuw.example.org/show")
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
PSC = "http://podlove.org/simple-chapters"
LONG_NAME = "-".join(["bezoek"] * 30)  # 209 characters
NS = (
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:podcast="https://podcastindex.org/namespace/1.0" '
    'xmlns:atom="http://www.w3.org/2005/Atom"'
)


def libsyn(base: str, sizes: dict[str, int]) -> bytes:
    """Libsyn: ISO-8859-1, CDATA everywhere, permalink GUIDs on old episodes."""
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0" {NS}>
  <channel>
    <title>Café Sociaal</title>
    <link>https://cafesociaal.libsyn.com/website</link>
    <description><![CDATA[Gesprekken over <b>eenzaamheid</b>.]]></description>
    <language>fr</language>
    <copyright><![CDATA[2023 Café Sociaal]]></copyright>
    <itunes:author>Café Sociaal</itunes:author>
    <itunes:keywords>café,gesprek</itunes:keywords>
    <itunes:owner><itunes:name>Élise</itunes:name>
      <itunes:email>elise@cafesociaal.example</itunes:email></itunes:owner>
    <itunes:category text="Society &amp; Culture">
      <itunes:category text="Personal Journals"/></itunes:category>
    <itunes:explicit>clean</itunes:explicit>
    <item>
      <title>Épisode 2 : le café du coin</title>
      <pubDate>Tue, 02 Nov 2021 09:00:00 +0000</pubDate>
      <guid isPermaLink="false"><![CDATA[a1b2c3d4-0000-4000-8000-00000000ca02]]></guid>
      <link><![CDATA[https://cafesociaal.libsyn.com/episode-2-le-cafe-du-coin]]></link>
      <description><![CDATA[<p>Met <strong>koffie</strong> &amp; <span>kleur</span>.</p>]]></description>
      <content:encoded><![CDATA[<p>Met <strong>koffie</strong> &amp; <span>kleur</span>.</p>]]>
      </content:encoded>
      <enclosure length="{sizes["ep1.mp3"]}" type="audio/mpeg" url="{base}/ep1.mp3?dest-id=1"/>
      <itunes:duration>00:00:03</itunes:duration>
      <itunes:explicit>false</itunes:explicit>
      <itunes:keywords>koffie, buurt</itunes:keywords>
      <itunes:subtitle>Koffie in de buurt.</itunes:subtitle>
      <itunes:episode>2</itunes:episode>
    </item>
    <item>
      <title>Épisode 1 : bonjour</title>
      <pubDate>Tue, 26 Oct 2021 09:00:00 +0000</pubDate>
      <guid>https://cafesociaal.libsyn.com/episode-1</guid>
      <link>https://cafesociaal.libsyn.com/episode-1</link>
      <description><![CDATA[Eerste aflevering.]]></description>
      <enclosure length="{sizes["ep2.mp3"]}" type="audio/mpeg" url="{base}/ep2.mp3?dest-id=1"/>
      <itunes:duration>3</itunes:duration>
    </item>
  </channel>
</rss>
""".encode("iso-8859-1")


def anchor(base: str, sizes: dict[str, int]) -> bytes:
    """Anchor / Spotify for Podcasters: one long line, CDATA titles, page names in mixed case."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss {NS} version="2.0"><channel>'
        "<title><![CDATA[Late Night Loners]]></title>"
        "<description><![CDATA[Two friends talk about <b>being alone</b>.]]></description>"
        "<link>https://podcasters.spotify.com/pod/show/latenightloners</link>"
        "<language><![CDATA[en-us]]></language><itunes:author>Sam &amp; Lou</itunes:author>"
        "<itunes:owner><itunes:name>Sam &amp; Lou</itunes:name>"
        "<itunes:email>podcasts12@anchor.example</itunes:email></itunes:owner>"
        '<itunes:explicit>Yes</itunes:explicit><itunes:category text="Comedy"/>'
        '<item><title><![CDATA[Ep. 12 – "Table for one" 🍝]]></title>'
        "<description><![CDATA[<p>Eating out alone: brave or sad?</p>]]></description>"
        "<link>https://podcasters.spotify.com/pod/show/latenightloners/episodes/"
        "Ep-12--Table-for-one-e26abcd</link>"
        '<guid isPermaLink="false">5f0c2b1e-9a9d-4c1e-8d7a-2f1e0c9b8a71</guid>'
        "<pubDate>Fri, 14 Jul 2023 22:00:00 GMT</pubDate>"
        f'<enclosure url="{base}/ep3.m4a" length="{sizes["ep3.m4a"]}" type="audio/x-m4a"/>'
        "<itunes:duration>00:00:02</itunes:duration><itunes:season>1</itunes:season>"
        "<itunes:episode>12</itunes:episode><itunes:episodeType>full</itunes:episodeType>"
        "</item></channel></rss>"
    ).encode()


def buzzsprout(base: str, sizes: dict[str, int]) -> bytes:
    """Buzzsprout: Podcasting 2.0 tags, and here enclosures without a length."""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss {NS} version="2.0">
<channel>
  <title>De Buurtkamer</title>
  <link>https://www.buzzsprout.com/1234567</link>
  <description>Verhalen uit de buurt.</description>
  <language>nl</language>
  <itunes:author>Stichting Buurtkamer</itunes:author>
  <itunes:owner><itunes:name>Stichting Buurtkamer</itunes:name>
    <itunes:email>redactie@buurtkamer.example</itunes:email></itunes:owner>
  <itunes:category text="Society &amp; Culture"><itunes:category text="Relationships" />
  </itunes:category>
  <podcast:funding url="https://www.buzzsprout.com/1234567/support">Steun ons</podcast:funding>
  <podcast:person role="host">Marja de Vries</podcast:person>
  <item>
    <itunes:title>Koffie met de buren</itunes:title>
    <title>Koffie met de buren</title>
    <description><![CDATA[<p>Een <em>koffieochtend</em>.</p>]]></description>
    <content:encoded><![CDATA[<p>Een <em>koffieochtend</em>.</p>]]></content:encoded>
    <itunes:summary>Een koffieochtend in de buurtkamer.</itunes:summary>
    <itunes:image href="https://storage.buzzsprout.com/koffie.jpg" />
    <enclosure url="{base}/ep1.mp3" type="audio/mpeg" />
    <guid isPermaLink="false">Buzzsprout-12345678</guid>
    <pubDate>Tue, 07 Nov 2023 06:00:00 +0100</pubDate>
    <podcast:transcript url="https://www.buzzsprout.com/1234567/12345678/transcript.srt"
      type="application/x-subrip" />
    <podcast:chapters url="https://www.buzzsprout.com/1234567/12345678/chapters.json"
      type="application/json" />
    <itunes:duration>3</itunes:duration>
    <itunes:keywords>koffie,buren</itunes:keywords>
    <itunes:season>2</itunes:season>
    <itunes:episode>4</itunes:episode>
    <itunes:explicit>false</itunes:explicit>
    <podcast:person role="host">Marja de Vries</podcast:person>
    <podcast:person role="guest">Ahmed El Amrani</podcast:person>
  </item>
  <item>
    <itunes:title>Trailer: welkom</itunes:title>
    <title>Trailer: welkom</title>
    <description><![CDATA[<p>Welkom.</p>]]></description>
    <enclosure url="{base}/ep2.mp3" type="audio/mpeg" />
    <guid isPermaLink="false">Buzzsprout-11111111</guid>
    <pubDate>Mon, 02 Oct 2023 06:00:00 +0200</pubDate>
    <itunes:duration>3</itunes:duration>
    <itunes:episodeType>trailer</itunes:episodeType>
  </item>
</channel>
</rss>
""".encode()


def podbean(base: str, sizes: dict[str, int]) -> bytes:
    """Podbean: categories without text, GUIDs left empty, scripts in the notes."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" {NS}>
  <channel>
    <title>Lonely Out Here</title>
    <link>https://lonelyouthere.podbean.com</link>
    <description>On loneliness.</description>
    <language>en</language>
    <itunes:owner><itunes:name>Dr. O'Neil</itunes:name>
      <itunes:email>oneil@lonely.example</itunes:email></itunes:owner>
    <itunes:category text=""/>
    <itunes:category text="Health &amp; Fitness"><itunes:category text=""/></itunes:category>
    <item>
      <title>Nobody calls</title>
      <link>https://lonelyouthere.podbean.com/e/nobody-calls/</link>
      <pubDate>Wed, 01 Feb 2023 10:00:00 -0500</pubDate>
      <guid></guid>
      <description><![CDATA[<p>Hi<script>alert(1)</script> <font color="red">there</font></p>]]></description>
      <enclosure url="{base}/ep1.mp3" length="{sizes["ep1.mp3"]}" type="audio/mpeg"/>
      <itunes:duration>3</itunes:duration>
    </item>
    <item>
      <title>Second call</title>
      <link>https://lonelyouthere.podbean.com/e/second-call/</link>
      <pubDate>Wed, 08 Feb 2023 10:00:00 -0500</pubDate>
      <guid isPermaLink="false"/>
      <description>Plain text notes.</description>
      <enclosure url="{base}/ep2.mp3" length="{sizes["ep2.mp3"]}" type="audio/mpeg"/>
    </item>
  </channel>
</rss>
""".encode()


def castopod(base: str, sizes: dict[str, int], encoding: str = "UTF-8") -> bytes:
    """Castopod: podcast:guid, locked with an owner, the cast on the channel, links
    relative to the site."""
    return f"""<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" {NS}>
  <channel>
    <title>Buurtkamer Oost</title>
    <link>https://castopod.example/@buurtkamer</link>
    <description>Uit de buurtkamer.</description>
    <language>nl</language>
    <copyright>© 2024 Buurtkamer</copyright>
    <podcast:guid>c0ffee00-1111-5222-8333-444455556666</podcast:guid>
    <podcast:locked owner="team@castopod.example">no</podcast:locked>
    <podcast:funding url="https://castopod.example/@buurtkamer/funding">Doneer</podcast:funding>
    <podcast:person role="host" href="https://castopod.example/@anna">Anna Bakker</podcast:person>
    <itunes:type>serial</itunes:type>
    <itunes:author>Buurtkamer</itunes:author>
    <itunes:owner><itunes:name>Buurtkamer</itunes:name>
      <itunes:email>team@castopod.example</itunes:email></itunes:owner>
    <itunes:category text="Society &amp; Culture"/>
    <item>
      <title>Tweede bezoek</title>
      <link>/@buurtkamer/episodes/tweede-bezoek</link>
      <guid isPermaLink="false">castopod-2</guid>
      <pubDate>Mon, 05 Feb 2024 08:00:00 +0000</pubDate>
      <enclosure url="{base}/ep2.mp3" length="{sizes["ep2.mp3"]}" type="audio/mpeg"/>
      <itunes:duration>3</itunes:duration>
      <itunes:episode>2</itunes:episode>
      <podcast:person role="host" href="https://castopod.example/@anna">Anna Bakker</podcast:person>
    </item>
    <item>
      <title>Eerste bezoek</title>
      <link>/@buurtkamer/episodes/eerste-bezoek</link>
      <guid isPermaLink="false">castopod-1</guid>
      <pubDate>Mon, 29 Jan 2024 08:00:00 +0000</pubDate>
      <description><![CDATA[<p>Over <a href="/@buurtkamer">ons</a>.</p>]]></description>
      <enclosure url="{base}/ep1.mp3" length="{sizes["ep1.mp3"]}" type="audio/mpeg"/>
      <itunes:duration>3</itunes:duration>
      <itunes:episode>1</itunes:episode>
    </item>
  </channel>
</rss>
""".encode()


def castopod_utf16(base: str, sizes: dict[str, int]) -> bytes:
    return castopod(base, sizes, "UTF-16").decode().encode("utf-16")  # with a BOM


SHAPES: dict[str, Callable[[str, dict[str, int]], bytes]] = {
    "libsyn": libsyn,
    "anchor": anchor,
    "buzzsprout": buzzsprout,
    "podbean": podbean,
    "castopod": castopod,
    "castopod-utf16": castopod_utf16,
}
# Every guess each feed makes the import take, as the report words it, all of them.
UNLOCKED = "channel: no podcast:locked; set to yes (no other host may import it)"
REPORTED = {
    "libsyn": [
        UNLOCKED,
        "item 1 ('Épisode 2 : le café du coin'): HTML in notes sanitized: 1 tags removed (span)",
    ],
    "anchor": [
        UNLOCKED,
        "item 1 ('Ep. 12 – \"Table for one\" 🍝'): its old page name "
        "'Ep-12--Table-for-one-e26abcd' is not a slug; slug 'ep-12-table-for-one'",
    ],
    "buzzsprout": [
        UNLOCKED,
        "item 1 ('Koffie met de buren'): no enclosure length; {ep1.mp3} taken from the server",
        "item 2 ('Trailer: welkom'): no enclosure length; {ep2.mp3} taken from the server",
    ],
    "podbean": [
        "channel: 2 itunes:category without text dropped",
        UNLOCKED,
        "item 1 ('Nobody calls'): no guid; used the enclosure URL, as podcast apps do",
        "item 1 ('Nobody calls'): HTML in notes sanitized: 2 tags removed (font, script)",
        "item 2 ('Second call'): no guid; used the enclosure URL, as podcast apps do",
    ],
    "castopod": [],
    "castopod-utf16": [],
}
STAY = "media stay on the old host until you import with --download-media"


def reported(shape: str, host: OldHost) -> list[str]:
    found = sizes(host)
    return [
        line.replace("{ep1.mp3}", str(found["ep1.mp3"])).replace("{ep2.mp3}", str(found["ep2.mp3"]))
        for line in REPORTED[shape]
    ]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[OldHost]:
    root = tmp_path / "oldhost"
    root.mkdir()
    mp3_cbr(root, "ep1.mp3", seconds=3.0)
    mp3_cbr(root, "ep2.mp3", seconds=3.0)
    m4a(root, "ep3.m4a", seconds=2.0)
    with old_host(root) as server:
        yield server


def sizes(host: OldHost) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in host.root.iterdir()}


def feed_file(tmp_path: Path, host: OldHost, shape: str) -> Path:
    path = tmp_path / f"{shape}.xml"
    path.write_bytes(SHAPES[shape](host.base, sizes(host)))
    return path


def in_folder(folder: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """The CLI as a producer runs it standing in `folder`."""
    monkeypatch.chdir(folder)
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def source_items(data: bytes) -> dict[str, str]:
    """guid -> title of every item with audio or video, as feedparser reads the source;
    an item without a guid is known by its enclosure URL, as apps know it."""
    items = {}
    for entry in feedparser.parse(data).entries:
        media = [e for e in entry.enclosures if e.get("type", "").startswith(("audio", "video"))]
        if media:
            items[entry.get("id") or media[0].href] = entry.title
    return items


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_hosts_feed_comes_across_whole(
    tmp_path: Path, host: OldHost, shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = feed_file(tmp_path, host, shape)
    show = tmp_path / "show"
    show.mkdir()
    imported = in_folder(show, monkeypatch, "import", str(feed))
    assert imported.exit_code == 0, imported.output
    built = in_folder(show, monkeypatch, "build")
    assert built.exit_code == 0, built.output
    xml = (show / "feed" / "feed.xml").read_bytes()
    expected = source_items(feed.read_bytes())
    with (show / "feed" / "feed.xml").open("rb") as handle:
        by_podcastparser = podcastparser.parse("feed.xml", handle)["episodes"]
    assert {item["guid"]: item["title"] for item in by_podcastparser} == expected
    assert {e.id: e.title for e in feedparser.parse(xml).entries} == expected
    lines = imported.output.splitlines()
    assert lines[1:] == [f"- {line}" for line in (*reported(shape, host), STAY)]


def test_the_shells_folder_stays_usable(tmp_path: Path, host: OldHost) -> None:
    feed = feed_file(tmp_path, host, "castopod")
    show = tmp_path / "show"
    show.mkdir()
    inode = show.stat().st_ino

    def mediafeed(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "mediafeed", *args]
        return subprocess.run(command, cwd=show, capture_output=True, text=True, timeout=60)

    imported = mediafeed("import", str(feed))
    assert imported.returncode == 0, imported.stderr
    assert show.stat().st_ino == inode, "the folder itself was replaced"
    listed = mediafeed("list")
    assert listed.returncode == 0, listed.stderr
    assert "tweede-bezoek" in listed.stdout and "eerste-bezoek" in listed.stdout


def test_a_folder_with_other_files_is_refused_and_left_alone(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = feed_file(tmp_path, host, "castopod")
    show = tmp_path / "show"
    show.mkdir()
    (show / "notes.txt").write_text("mine")
    result = in_folder(show, monkeypatch, "import", str(feed))
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: ") and str(show) in line and "not empty" in line
    assert [p.name for p in show.iterdir()] == ["notes.txt"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("made_by", ["init", "import"])
def test_download_media_into_an_unrelated_show_changes_nothing(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch, made_by: str
) -> None:
    show = tmp_path / "show"
    if made_by == "init":
        assert in_folder(tmp_path, monkeypatch, "init", str(show)).exit_code == 0
    else:
        other = feed_file(tmp_path, host, "libsyn")
        assert in_folder(tmp_path, monkeypatch, "import", str(other), str(show)).exit_code == 0
    before = snapshot(show)
    feed = feed_file(tmp_path, host, "buzzsprout")
    result = in_folder(tmp_path, monkeypatch, "import", "--download-media", str(feed), str(show))
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("Error: ") and "nothing was changed" in line
    assert snapshot(show) == before
    assert not [r for r in host.requests if r.method == "GET"], "nothing was downloaded"


def test_a_rerun_adds_the_feeds_new_items_and_keeps_the_rest(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = feed_file(tmp_path, host, "castopod")
    show = tmp_path / "show"
    assert in_folder(tmp_path, monkeypatch, "import", str(feed), str(show)).exit_code == 0
    before = snapshot(show)
    newer = feed.read_text().replace(
        "<item>",
        "<item><title>Derde bezoek</title><guid>castopod-3</guid>"
        "<pubDate>Mon, 12 Feb 2024 08:00:00 +0000</pubDate>"
        f'<enclosure url="{host.base}/ep3.m4a" length="9" type="audio/x-m4a"/></item><item>',
        1,
    )
    feed.write_text(newer)
    again = in_folder(tmp_path, monkeypatch, "import", "--json", str(feed), str(show))
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["added"] == ["derde-bezoek"]
    after = snapshot(show)
    assert {name: after[name] for name in before} == before


def test_the_channel_keeps_its_settings_and_its_cast(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = feed_file(tmp_path, host, "castopod")
    show = tmp_path / "show"
    assert in_folder(tmp_path, monkeypatch, "import", str(feed), str(show)).exit_code == 0
    config = load_show(show)
    assert config.guid == "c0ffee00-1111-5222-8333-444455556666"
    assert (config.locked, config.type, config.copyright) == (False, "serial", "© 2024 Buurtkamer")
    assert [(f.url, f.text) for f in config.funding] == [
        ("https://castopod.example/@buurtkamer/funding", "Doneer")
    ]
    assert [(p.name, p.role, p.href) for p in config.persons] == [
        ("Anna Bakker", "host", "https://castopod.example/@anna")
    ]
    assert (config.owner.name, config.owner.email) == ("Buurtkamer", "team@castopod.example")
    assert all(ep.persons == () for ep in load_episodes(show / "episodes"))
    build(config, links=LINKS, now=NOW)
    channel = ET.parse(show / "feed" / "feed.xml").getroot().find("channel")
    assert channel is not None
    assert channel.findtext(f"{{{PODCAST}}}guid") == config.guid
    assert channel.findtext(f"{{{PODCAST}}}locked") == "no"
    assert [p.text for p in channel.iter(f"{{{PODCAST}}}person")] == ["Anna Bakker"]


def test_every_episode_field_comes_across_with_side_files_as_links(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = feed_file(tmp_path, host, "buzzsprout")
    show = tmp_path / "show"
    assert in_folder(tmp_path, monkeypatch, "import", str(feed), str(show)).exit_code == 0
    episodes = {ep.slug: ep for ep in load_episodes(show / "episodes")}
    koffie = episodes["koffie-met-de-buren"]
    assert (koffie.season, koffie.episode, koffie.explicit) == (2, 4, False)
    assert koffie.keywords == ("koffie", "buren")
    assert koffie.summary == "Een koffieochtend in de buurtkamer."
    assert koffie.media.length == (host.root / "ep1.mp3").stat().st_size  # from HEAD
    assert [(p.name, p.role) for p in koffie.persons] == [("Ahmed El Amrani", "guest")]
    assert episodes["trailer-welkom"].episode_type == "trailer"
    build(load_show(show), links=LINKS, now=NOW)
    items = ET.parse(show / "feed" / "feed.xml").getroot().iter("item")
    item = next(i for i in items if i.findtext("guid") == "Buzzsprout-12345678")
    old = "https://www.buzzsprout.com/1234567/12345678"
    assert item.find(f"{{{PODCAST}}}chapters").get("url") == f"{old}/chapters.json"  # type: ignore[union-attr]
    transcript = item.find(f"{{{PODCAST}}}transcript")
    assert transcript is not None and transcript.get("url") == f"{old}/transcript.srt"
    assert transcript.get("type") == "application/x-subrip"
    assert (
        item.find(f"{{{ITUNES}}}image").get("href") == "https://storage.buzzsprout.com/koffie.jpg"
    )  # type: ignore[union-attr]
    assert item.findtext(f"{{{ITUNES}}}keywords") == "koffie,buren"
    assert [p.text for p in item.iter(f"{{{PODCAST}}}person")] == [
        "Marja de Vries",
        "Ahmed El Amrani",
    ]


def test_an_episode_without_notes_gets_none_invented(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = feed_file(tmp_path, host, "castopod")
    show = tmp_path / "show"
    assert in_folder(tmp_path, monkeypatch, "import", str(feed), str(show)).exit_code == 0
    episodes = {ep.slug: ep for ep in load_episodes(show / "episodes")}
    assert episodes["tweede-bezoek"].notes == ""
    build(load_show(show), links=LINKS, now=NOW)
    with (show / "feed" / "feed.xml").open("rb") as handle:
        parsed = {e["guid"]: e for e in podcastparser.parse("feed.xml", handle)["episodes"]}
    assert parsed["castopod-2"]["description"] != "Tweede bezoek"
    assert parsed["castopod-1"]["description"]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "<itunes:duration>3<",
            "<itunes:duration>3 min<",
            "- item 1 ('Tweede bezoek'): itunes:duration '3 min' is not a time; left out",
        ),
        (
            "<itunes:duration>3<",
            '<psc:chapters><psc:chapter start="soon" title="Welkom"/></psc:chapters>'
            "<itunes:duration>3<",
            "- item 1 ('Tweede bezoek'): chapter 'Welkom' starts at 'soon', not a time; left out",
        ),
        (
            "<pubDate>Mon, 05 Feb 2024 08:00:00 +0000<",
            "<pubDate>soon<",
            "- item 1 ('Tweede bezoek'): pubDate 'soon' is not a date; dated 1970-01-01",
        ),
        (
            "<pubDate>Mon, 05 Feb 2024 08:00:00 +0000<",
            "<pubDate>0001-01-01T00:00:00Z<",
            "- item 1 ('Tweede bezoek'): pubDate '0001-01-01T00:00:00Z' is not a date; dated 1970",
        ),
        (
            "<link>/@buurtkamer/episodes/tweede-bezoek<",
            f"<link>/@buurtkamer/episodes/{LONG_NAME}<",
            f"- item 1 ('Tweede bezoek'): its old page name {LONG_NAME!r} has 209 characters, "
            "more than a file name can hold; slug 'tweede-bezoek'",
        ),
        (
            "<link>/@buurtkamer/episodes/tweede-bezoek<",
            "<link>/?p=840<",
            "- item 1 ('Tweede bezoek'): its old page https://castopod.example/?p=840 has no "
            "name to keep; slug 'tweede-bezoek'",
        ),
    ],
    ids=[
        "an item's duration",
        "a chapter's start",
        "an item's date",
        "year 1",
        "a name too long",
        "a page by query",
    ],
)
def test_a_value_the_feed_parser_cannot_read_is_said_once_for_its_item(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch, old: str, new: str, said: str
) -> None:
    feed = feed_file(tmp_path, host, "castopod")
    text = feed.read_text().replace(old, new, 1)
    feed.write_text(text.replace("<rss ", f'<rss xmlns:psc="{PSC}" ', 1))
    result = in_folder(tmp_path, monkeypatch, "import", str(feed), str(tmp_path / "show"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if line.startswith(said)] != [], result.output
    problems = [line for line in lines if line.startswith("- item 1 ")]
    assert len(problems) == 1, result.output
    assert all(x.startswith(("Imported", "- ")) for x in lines), result.output
    assert "feed parser" not in result.output and "channel: " not in result.output


def test_an_item_linking_the_show_home_page_has_no_old_page(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A redirect from the old home page to one episode would hide the whole old site."""
    feed = feed_file(tmp_path, host, "castopod")
    home = "<link>https://castopod.example/@buurtkamer/</link>"
    feed.write_text(
        feed.read_text().replace("<link>/@buurtkamer/episodes/tweede-bezoek</link>", home)
    )
    show = tmp_path / "show"
    result = in_folder(tmp_path, monkeypatch, "import", str(feed), str(show))
    assert result.exit_code == 0, result.output
    assert "old page" not in result.output
    assert "old_page" not in (show / "episodes" / "tweede-bezoek.md").read_text()


def test_the_json_report_lists_every_guess(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = feed_file(tmp_path, host, "podbean")
    result = in_folder(tmp_path, monkeypatch, "import", "--json", str(feed), str(tmp_path / "s"))
    report = json.loads(result.output)
    assert sorted(report["imported"]) == ["nobody-calls", "second-call"]
    assert report["report"] == [*reported("podbean", host), STAY]


def test_old_pages_become_slugs_and_a_redirect_map_that_is_not_published(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = feed_file(tmp_path, host, "libsyn")
    show = tmp_path / "show"
    assert in_folder(tmp_path, monkeypatch, "import", str(feed), str(show)).exit_code == 0
    episodes = {ep.slug: ep for ep in load_episodes(show / "episodes")}
    assert set(episodes) == {"episode-2-le-cafe-du-coin", "episode-1"}
    assert episodes["episode-1"].old_page == "https://cafesociaal.libsyn.com/episode-1"
    result = build(load_show(show), links=LINKS, now=NOW)
    rules = [
        line.split()
        for line in (show / "redirects.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert sorted(rules) == [
        ["/episode-1", LINKS.episode_page("episode-1"), "301"],
        ["/episode-2-le-cafe-du-coin", LINKS.episode_page("episode-2-le-cafe-du-coin"), "301"],
    ]
    assert not [obj for obj in result.manifest.objects if "redirect" in obj.key]
    assert not list((show / "feed").rglob("redirects*"))


def test_a_feed_imported_from_its_url_redirects_to_the_new_feed(
    tmp_path: Path, host: OldHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_file(host.root, host, "castopod")  # served by the old host
    show = tmp_path / "show"
    url = host.url("castopod.xml")
    assert in_folder(tmp_path, monkeypatch, "import", url, str(show)).exit_code == 0
    assert load_show(show).origin.feed == url  # type: ignore[union-attr]
    build(load_show(show), links=LINKS, now=NOW)
    text = (show / "redirects.txt").read_text()
    assert f"# on {host.base}\n/castopod.xml {LINKS.feed} 301\n" in text
    assert "\n/@buurtkamer/episodes/eerste-bezoek " in text  # the relative link, resolved


@pytest.mark.slow
def test_a_reimport_after_the_old_host_renamed_an_episode_publishes_to_the_same_pages(
    tmp_path: Path,
    host: OldHost,
    monkeypatch: pytest.MonkeyPatch,
    s3_target: tuple[Any, Target],
    seaweed: LocalStore,
) -> None:
    client, target = s3_target
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.secret_key)
    feed = feed_file(tmp_path, host, "libsyn")
    for name in ("first", "second"):
        show = tmp_path / name
        assert in_folder(tmp_path, monkeypatch, "import", str(feed), str(show)).exit_code == 0
        with (show / "mediafeed.toml").open("a", encoding="utf-8") as handle:
            handle.write(publish_table(target))
        published = in_folder(show, monkeypatch, "publish")
        assert published.exit_code == 0, published.output
        feed.write_bytes(feed.read_bytes().replace(b"bonjour", b"salut tout le monde"))
    keys = {
        obj["Key"]
        for obj in client.list_objects_v2(Bucket=target.bucket)["Contents"]  # type: ignore[index]
    }
    assert f"{target.prefix}/episodes/episode-1/index.html" in keys
    assert not [key for key in keys if "redirect" in key or "import" in key]
