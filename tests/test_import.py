"""Import of real-world feeds: every item imported or reported, GUIDs intact, safe parsing."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import podcastparser
import pytest
from lxml import etree
from PIL import Image

from mediafeed.build import build
from mediafeed.cache import Cache
from mediafeed.check import check_show
from mediafeed.config import load_show
from mediafeed.episodes import load_episode, load_episodes
from mediafeed.facts import MediaFacts
from mediafeed.links import Links
from mediafeed.media.probe import probe
from mediafeed.model import Episode, Location
from tests.mediafactory import m4a, mp3_cbr
from tests.test_pipeline import assert_clean_failure, ok, run

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
PLATFORMS = [
    "buzzsprout.xml",
    "anchor.xml",
    "libsyn-latin1.xml",
    "podbean-cp1252.xml",
    "powerpress-messy.xml",
]
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
LINKS = Links("https://nieuw.example.org/show")


def import_file(tmp_path: Path, name: str, *extra: str) -> tuple[Path, str]:
    root = tmp_path / "imported"
    result = ok(tmp_path, "import", str(FEEDS / name), str(root), *extra)
    return root, result.output


def source_entries(name: str) -> list[dict[str, object]]:
    return list(feedparser.parse((FEEDS / name).read_bytes()).entries)


# ---------------------------------------------------------------------------------------
# Real-world feeds
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PLATFORMS)
def test_every_item_is_imported_or_reported(tmp_path: Path, name: str) -> None:
    root, output = import_file(tmp_path, name)
    skipped = [line for line in output.splitlines() if line.endswith("(skipped)")]
    imported = load_episodes(root / "episodes")
    assert len(imported) + len(skipped) == len(source_entries(name))
    assert f"Imported {len(imported)} episode{'s' * (len(imported) != 1)} " in output


@pytest.mark.parametrize("name", PLATFORMS)
def test_imported_show_builds_to_the_same_episodes(tmp_path: Path, name: str) -> None:
    root, _ = import_file(tmp_path, name)
    build(load_show(root), links=LINKS, now=NOW)
    with (root / "feed" / "feed.xml").open("rb") as handle:
        built = {item["guid"]: item for item in podcastparser.parse(LINKS.feed, handle)["episodes"]}
    sources: dict[str, Any] = {}
    for entry in source_entries(name):  # the first item of a duplicated guid is the one kept
        sources.setdefault(str(entry.get("id") or entry.enclosures[0].href), entry)
    assert built and set(built) <= set(sources)
    for guid, item in built.items():
        source = sources[guid]
        assert not source.get("title") or item["title"] == source.title
        if source.get("published_parsed"):  # one without is dated by the channel (reported)
            assert (
                item["published"]
                == dt.datetime(*source.published_parsed[:6], tzinfo=dt.UTC).timestamp()
            )
        [enclosure] = item["enclosures"]
        assert enclosure["url"] == source.enclosures[0].href
        length = source.enclosures[0].get("length")  # none: written as 0, which
        assert enclosure["file_size"] == (int(length) if length else -1)  # podcastparser: -1


def test_guids_are_kept_exactly_even_permalinks_and_plain_numbers(tmp_path: Path) -> None:
    root, _ = import_file(tmp_path, "libsyn-latin1.xml")
    guids = {ep.guid for ep in load_episodes(root / "episodes")}
    assert guids == {
        "a1b2c3d4-0000-4000-8000-00000000ca02",
        "https://cafesociaal.libsyn.com/episode-1",
    }
    root, _ = import_file(tmp_path / "messy", "powerpress-messy.xml")
    assert "34" in {ep.guid for ep in load_episodes(root / "episodes")}


def test_itunes_and_podcasting_20_tags_are_kept(tmp_path: Path) -> None:
    root, _ = import_file(tmp_path, "buzzsprout.xml")
    [episode, trailer] = load_episodes(root / "episodes")
    assert (episode.slug, episode.guid) == ("koffie-met-de-buren", "Buzzsprout-12345678")
    assert (episode.season, episode.episode, episode.explicit) == (2, 4, False)
    assert [(p.name, p.role) for p in episode.persons] == [
        ("Marja de Vries", "host"),
        ("Ahmed El Amrani", "guest"),
    ]
    assert episode.location == Location("Utrecht", geo="geo:52.0907,5.1214", osm="R47798")
    assert episode.media.duration == 1532
    assert "<em>koffieochtend</em>" in episode.notes
    assert trailer.episode_type == "trailer" and trailer.media.duration == 51
    show = load_show(root)
    assert show.guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert show.categories == (("Society & Culture", "Relationships"), ("Health & Fitness",))
    assert (show.language, show.owner.email) == ("nl", "redactie@buurtkamer.example")


def test_podlove_chapters_and_old_podcast_namespace(tmp_path: Path) -> None:
    root, _ = import_file(tmp_path, "podbean-cp1252.xml")
    [episode] = load_episodes(root / "episodes")
    assert [(c.start, c.title, c.url) for c in episode.chapters] == [
        (0.0, "Intro", None),
        (135.0, "The phone", "https://example.org/phones"),
        (1800.0, "What helps", None),
    ]
    assert load_show(root).locked is False


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("libsyn-latin1.xml", "Épisode 2 : le café du coin"),
        ("podbean-cp1252.xml", "“Nobody calls” – with Dr. O’Neil"),
        ("anchor.xml", 'Ep. 12 – "Table for one" 🍝'),
    ],
)
def test_odd_encodings_read_correctly(tmp_path: Path, name: str, title: str) -> None:
    root, _ = import_file(tmp_path, name)
    assert title in {ep.title for ep in load_episodes(root / "episodes")}


def test_utf16_feed_reads_correctly(tmp_path: Path) -> None:
    text = (FEEDS / "buzzsprout.xml").read_text(encoding="utf-8")
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    root = tmp_path / "imported"
    ok(tmp_path, "import", str(utf16), str(root))
    assert {ep.title for ep in load_episodes(root / "episodes")} == {
        "Koffie met de buren",
        "Trailer: welkom",
    }


def test_messy_feed_reports_each_problem_by_item(tmp_path: Path) -> None:
    root, output = import_file(tmp_path, "powerpress-messy.xml")
    assert "item 2 ('Uitzending 39: herhaling'): duplicate guid" in output
    assert "item 4: no enclosure" in output
    assert "item 5 ('Uitzending 37: zonder datum'): no pubDate; dated 2023-12-03" in output
    assert "item 7 ('Uitzending 35: de bibliotheek'): no enclosure length" in output
    assert "item 3 ('Uitzending 38: de bibliotheek'): no guid" in output
    assert "item 6: no title" in output and "season 'S4'" in output
    episodes = {ep.slug: ep for ep in load_episodes(root / "episodes")}
    assert set(episodes) == {
        "uitzending-40",  # its old page's name
        "uitzending-38-de-bibliotheek",
        "uitzending-37-zonder-datum",
        "uitzending-36",
        "uitzending-35-de-bibliotheek",
        "uitzending-34-de-bibliotheek",
    }
    no_guid = episodes["uitzending-38-de-bibliotheek"]
    assert no_guid.guid == no_guid.enclosure_url and no_guid.media.mime_type == "audio/mpeg"


def test_a_feed_without_owner_email_leaves_a_placeholder_check_names(tmp_path: Path) -> None:
    """Spotify verifies ownership by that address: a made-up one must not pass unnoticed."""
    root, output = import_file(tmp_path, "powerpress-messy.xml")
    assert "channel: no itunes:owner email; set a placeholder in mediafeed.toml" in output
    found = [(f.rule, f.field) for f in check_show(root, now=NOW)]
    assert ("placeholder-preview", "owner.email") in found


def test_a_negative_duration_is_unknown_not_the_end_of_the_import(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(
        (FEEDS / "anchor.xml").read_text().replace("<itunes:duration>2580<", "<itunes:duration>-5<")
    )
    root = tmp_path / "imported"
    ok(tmp_path, "import", str(tmp_path / "feed.xml"), str(root))
    durations = sorted(str(ep.media.duration) for ep in load_episodes(root / "episodes"))
    assert durations == ["0.0", "2592.0"]


def imported_with(tmp_path: Path, tags: str) -> list[Episode]:
    """The episodes of an import of the Anchor feed with `tags` added to its item."""
    (tmp_path / "feed.xml").write_text(
        (FEEDS / "anchor.xml")
        .read_text()
        .replace("<itunes:duration>2580", f"{tags}<itunes:duration>2580")
    )
    root = tmp_path / "imported"
    ok(tmp_path, "import", str(tmp_path / "feed.xml"), str(root))
    return load_episodes(root / "episodes")


def test_a_persons_link_that_is_not_a_web_address_is_left_behind(tmp_path: Path) -> None:
    guest = '<podcast:person role="guest" href="javascript:alert(1)" img="ftp://x/y.jpg">Eve'
    persons = [p for ep in imported_with(tmp_path, f"{guest}</podcast:person>") for p in ep.persons]
    assert [(p.name, p.role, p.href, p.img) for p in persons] == [("Eve", "guest", None, None)]


def test_a_location_whose_geo_is_no_geo_uri_keeps_its_name(tmp_path: Path) -> None:
    place = '<podcast:location geo="52.09,5.12">Utrecht</podcast:location>'
    places = [ep.location for ep in imported_with(tmp_path, place) if ep.location]
    assert places == [Location("Utrecht")]


def slugs_with_episode_12_titled(tmp_path: Path, title: str) -> list[str]:
    """The slugs an import of the Anchor feed gives, its episode 12 retitled."""
    (tmp_path / "feed.xml").write_text(
        (FEEDS / "anchor.xml")
        .read_text()
        .replace("Ep. 12 – &quot;Table for one&quot; 🍝", title)
        .replace('Ep. 12 – "Table for one" 🍝', title)
    )
    root = tmp_path / "imported"
    ok(tmp_path, "import", str(tmp_path / "feed.xml"), str(root))
    return sorted(ep.slug for ep in load_episodes(root / "episodes"))


def import_without_a_duration(tmp_path: Path) -> Path:
    """anchor.xml imported with its second item's itunes:duration left out."""
    feed = (FEEDS / "anchor.xml").read_text().replace("<itunes:duration>2580</itunes:duration>", "")
    (tmp_path / "feed.xml").write_text(feed)
    root = tmp_path / "imported"
    ok(tmp_path, "import", str(tmp_path / "feed.xml"), str(root))
    build(load_show(root), links=LINKS, now=NOW)
    return root


def test_an_episode_of_unknown_length_states_no_itunes_duration(tmp_path: Path) -> None:
    root = import_without_a_duration(tmp_path)
    items = etree.parse(root / "feed" / "feed.xml").xpath("//item")
    durations = [item.findtext(f"{{{ITUNES}}}duration") for item in items]
    assert durations == ["2592", None]  # not 0: apps would show the episode as 0:00 long


def test_an_episode_of_unknown_length_states_no_json_ld_duration(tmp_path: Path) -> None:
    root = import_without_a_duration(tmp_path)
    [unknown] = [ep for ep in load_episodes(root / "episodes") if not ep.media.duration]
    page = lxml.html.parse(root / "feed" / "episodes" / unknown.slug / "index.html")
    [data] = page.xpath("//script[@type='application/ld+json']/text()")
    assert "duration" not in json.loads(data)["associatedMedia"]


def test_a_transcript_left_on_the_old_host_keeps_the_type_its_feed_named(
    tmp_path: Path,
) -> None:
    # Buzzsprout's HTML transcript has no file extension to tell its type by.
    srt = '<podcast:transcript url="https://www.buzzsprout.com/1234567/12345678/transcript.srt"'
    feed = (
        (FEEDS / "buzzsprout.xml").read_text().replace(srt + ' type="application/x-subrip" />', "")
    )
    (tmp_path / "feed.xml").write_text(feed)
    root = tmp_path / "imported"
    ok(tmp_path, "import", str(tmp_path / "feed.xml"), str(root))
    build(load_show(root), links=LINKS, now=NOW)
    found = etree.parse(root / "feed" / "feed.xml").xpath("//*[local-name()='transcript']")
    assert [(t.get("url")[-11:], t.get("type")) for t in found] == [("/transcript", "text/html")]


def test_same_titles_get_distinct_slugs(tmp_path: Path) -> None:
    assert slugs_with_episode_12_titled(tmp_path, "Ep. 11 – Table for one") == [
        "ep-11-table-for-one",
        "ep-11-table-for-one-2",
    ]


def test_a_title_that_is_a_windows_device_name_gets_another_slug(tmp_path: Path) -> None:
    assert "con-2" in slugs_with_episode_12_titled(tmp_path, "Con")


def test_an_item_without_audio_or_video_is_named_once_in_its_line(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(
        (FEEDS / "anchor.xml")
        .read_text()
        .replace('type="audio/x-m4a"', 'type="application/pdf"', 1)
    )
    output = ok(tmp_path, "import", str(tmp_path / "feed.xml"), str(tmp_path / "imported")).output
    skipped = [line for line in output.splitlines() if line.endswith("(skipped)")]
    assert skipped == [
        "- item 1 ('Ep. 12 – \"Table for one\" 🍝'): enclosure type 'application/pdf' is not "
        "audio or video (skipped)"
    ]


# ---------------------------------------------------------------------------------------
# Bad feeds: one clear line, nothing written
# ---------------------------------------------------------------------------------------

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file://{path}">]>
<rss version="2.0"><channel><title>&secret;</title></channel></rss>
"""
HTML = "<!DOCTYPE html><html><head><title>Our podcast</title></head><body><p>Hi<br></body></html>"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("just some text, not a feed\n", "not XML"),
        (HTML, "web page"),
        (BOMB, "XML bomb"),
        ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "not an RSS"),
        ("", "empty"),
    ],
)
def test_bad_feed_fails_cleanly_and_writes_nothing(tmp_path: Path, content: str, says: str) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(content, encoding="utf-8")
    assert_clean_failure(run(tmp_path, "import", str(bad), str(tmp_path / "show")), "bad.xml", says)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xml"]


def test_external_entities_are_refused_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret-value")
    bad = tmp_path / "bad.xml"
    bad.write_text(EXTERNAL.format(path=secret))
    result = run(tmp_path, "import", str(bad), str(tmp_path / "show"))
    assert_clean_failure(result, "refused")
    assert "top-secret-value" not in result.output and not (tmp_path / "show").exists()


def test_huge_feed_is_refused_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as handle:
        handle.truncate(33 * 1024 * 1024)  # sparse: costs no disk
    assert_clean_failure(run(tmp_path, "import", str(huge), str(tmp_path / "show")), "refused")
    assert not (tmp_path / "show").exists()


def test_unreachable_url_fails_cleanly(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens here
    url = f"http://127.0.0.1:{port}/feed.xml"
    assert_clean_failure(run(tmp_path, "import", url, str(tmp_path / "show")), "cannot reach")
    assert not (tmp_path / "show").exists()


def test_non_http_urls_are_refused(tmp_path: Path) -> None:
    url = f"file://{FEEDS / 'anchor.xml'}"
    assert_clean_failure(run(tmp_path, "import", url, str(tmp_path / "show")), "http")


def test_import_into_a_non_empty_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "show"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert_clean_failure(
        run(tmp_path, "import", str(FEEDS / "anchor.xml"), str(target)), "not empty"
    )
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------------------------------
# Over HTTP, with media: a fake old host on 127.0.0.1
# ---------------------------------------------------------------------------------------


class OldHost(http.server.ThreadingHTTPServer):
    """Serves files with Range support; `cut` sends only a prefix of a file, as a
    connection dropping mid-download would; `requests` records Range headers seen."""

    def __init__(self, root: Path):
        self.root = root
        self.cut: dict[str, int] = {}
        self.ranges: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: OldHost

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.server.root / self.path.lstrip("/").split("?")[0]
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        if self.headers.get("Range"):
            self.server.ranges.append(self.headers["Range"])
            start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start : self.server.cut.get(path.name, len(data))])


@pytest.fixture
def old_host(tmp_path: Path) -> Iterator[OldHost]:
    root = tmp_path / "oldhost"
    root.mkdir()
    mp3_cbr(root, "ep1.mp3", seconds=3.0)
    m4a(root, "ep2.m4a", seconds=2.0)
    server = OldHost(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    feed = (FEEDS / "buzzsprout.xml").read_text(encoding="utf-8")
    feed = feed.replace(
        "https://www.buzzsprout.com/1234567/12345678-koffie-met-de-buren.mp3",
        f"{server.base}/ep1.mp3",
    )
    feed = feed.replace(
        "https://www.buzzsprout.com/1234567/11111111-trailer.mp3", f"{server.base}/ep2.m4a"
    )
    feed = feed.replace(
        "https://www.buzzsprout.com/1234567/12345678/chapters.json", f"{server.base}/chapters.json"
    )
    feed = feed.replace(
        "https://www.buzzsprout.com/1234567/12345678/transcript.srt",
        f"{server.base}/transcript.srt",
    )
    (root / "feed.xml").write_text(feed, encoding="utf-8")
    (root / "chapters.json").write_text(
        '{"version": "1.2.0", "chapters": ['
        '{"startTime": 0, "title": "Begin"},'
        '{"startTime": 1.5, "title": "Koffie"}]}'
    )
    (root / "transcript.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nGoedemorgen.\n")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_import_from_a_url_without_media_keeps_remote_enclosures(
    tmp_path: Path, old_host: OldHost
) -> None:
    root = tmp_path / "show"
    ok(tmp_path, "import", f"{old_host.base}/feed.xml", str(root))
    remote = {ep.enclosure_url for ep in load_episodes(root / "episodes")}
    assert remote == {f"{old_host.base}/ep1.mp3", f"{old_host.base}/ep2.m4a"}
    assert list((root / "media").iterdir()) == []


def test_unpublishing_an_episode_still_on_the_old_host_promises_no_deletion(
    tmp_path: Path, old_host: OldHost
) -> None:
    root = tmp_path / "show"
    ok(tmp_path, "import", f"{old_host.base}/feed.xml", str(root))
    output = ok(root, "unpublish", "koffie-met-de-buren").output
    assert "its media stays on the old host" in output and "delete" not in output


def test_download_media_moves_media_chapters_and_transcripts(
    tmp_path: Path, old_host: OldHost
) -> None:
    root = tmp_path / "show"
    output = ok(
        tmp_path, "import", f"{old_host.base}/feed.xml", str(root), "--download-media"
    ).output
    assert "media of 2 downloaded" in output
    episodes = {ep.slug: ep for ep in load_episodes(root / "episodes")}
    koffie = episodes["koffie-met-de-buren"]
    assert koffie.enclosure_url is None and koffie.guid == "Buzzsprout-12345678"
    assert (root / koffie.audio).read_bytes() == (old_host.root / "ep1.mp3").read_bytes()
    assert koffie.media.length == (old_host.root / "ep1.mp3").stat().st_size
    assert "the feed said 24567890 bytes" in output
    assert [c.title for c in koffie.chapters] == ["Begin", "Koffie"]
    assert koffie.transcript == "transcripts/koffie-met-de-buren.srt"
    assert episodes["trailer-welkom"].audio == "media/trailer-welkom.m4a"
    result = build(load_show(root), links=LINKS, now=NOW)
    assert {obj.key for obj in result.manifest.objects} >= {
        "episodes/koffie-met-de-buren/chapters.json",
        "episodes/koffie-met-de-buren/transcript.srt",
    }


def test_downloaded_media_are_known_to_the_check_before_a_publish(
    tmp_path: Path, old_host: OldHost
) -> None:
    """The import probed each file as it came in: the first publish need not read it again."""
    root = tmp_path / "show"
    ok(tmp_path, "import", f"{old_host.base}/feed.xml", str(root), "--download-media")
    with Cache(root) as cache:
        facts = MediaFacts(cache, verify=False)
        for ep in load_episodes(root / "episodes"):
            assert facts.remembered(root / ep.audio) == probe(root / ep.audio)


def test_side_files_at_addresses_without_an_ending_get_the_ending_of_their_kind(
    tmp_path: Path, old_host: OldHost
) -> None:
    """Buzzsprout's HTML transcript and a CDN's picture have no ending to keep."""
    feed = (old_host.root / "feed.xml").read_text(encoding="utf-8")
    srt = f'<podcast:transcript url="{old_host.base}/transcript.srt" type="application/x-subrip" />'
    feed = feed.replace(srt, f'<itunes:image href="{old_host.base}/art?w=3000" />').replace(
        "https://www.buzzsprout.com/1234567/12345678/transcript", f"{old_host.base}/transcript"
    )
    (old_host.root / "feed.xml").write_text(feed, encoding="utf-8")
    (old_host.root / "transcript").write_text("<cite>Anna:</cite><p>Goedemorgen.</p>\n")
    Image.new("RGB", (1400, 1400), (200, 80, 40)).save(old_host.root / "art", "PNG")
    root = tmp_path / "show"
    ok(tmp_path, "import", f"{old_host.base}/feed.xml", str(root), "--download-media")
    koffie = load_episode(root / "episodes" / "koffie-met-de-buren.md")
    assert (koffie.transcript, koffie.image) == (
        "transcripts/koffie-met-de-buren.html",
        "images/koffie-met-de-buren.png",
    )
    build(load_show(root), links=LINKS, now=NOW)
    found = etree.parse(root / "feed" / "feed.xml").xpath("//*[local-name()='transcript']/@type")
    assert found == ["text/html"]


def test_a_failed_download_with_json_reports_and_exits_1(tmp_path: Path, old_host: OldHost) -> None:
    old_host.cut["ep1.mp3"] = 100
    args = ["import", f"{old_host.base}/feed.xml", str(tmp_path / "show"), "--download-media"]
    result = run(tmp_path, *args, "--json")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "1 download failed; run the same command again to resume" in result.output
    assert '"failed": [' in result.output


def test_interrupted_download_resumes_and_checks_the_size(
    tmp_path: Path, old_host: OldHost
) -> None:
    root = tmp_path / "show"
    size = (old_host.root / "ep1.mp3").stat().st_size
    old_host.cut["ep1.mp3"] = size // 2
    result = run(tmp_path, "import", f"{old_host.base}/feed.xml", str(root), "--download-media")
    assert result.exit_code == 1 and f"got {size // 2} of {size} bytes" in result.output
    koffie = root / "episodes" / "koffie-met-de-buren.md"
    assert "enclosure_url:" in koffie.read_text(), "an incomplete download is not used"
    assert (root / "media" / "koffie-met-de-buren.mp3.part").stat().st_size == size // 2
    old_host.cut.clear()
    ok(tmp_path, "import", f"{old_host.base}/feed.xml", str(root), "--download-media")
    assert old_host.ranges == [f"bytes={size // 2}-"]
    episodes = {ep.slug: ep for ep in load_episodes(root / "episodes")}
    media = root / episodes["koffie-met-de-buren"].audio
    assert media.read_bytes() == (old_host.root / "ep1.mp3").read_bytes()


def test_tag_names_the_episode_whose_media_is_still_on_the_old_host(tmp_path: Path) -> None:
    root, _ = import_file(tmp_path, "anchor.xml")
    episode = load_episodes(root / "episodes")[0]
    result = run(root, "tag", episode.slug)
    assert_clean_failure(result, f"{episode.slug}.md", "old host", "--download-media")


def test_tag_of_every_episode_passes_over_media_on_the_old_host(tmp_path: Path) -> None:
    root, _ = import_file(tmp_path, "anchor.xml")
    remote = len(load_episodes(root / "episodes"))
    result = run(root, "tag")
    assert result.exit_code == 0, result.output
    said = f"Passed over {remote} episodes whose media is on the old host (move it with "
    assert result.output.startswith(said) and result.output.count("\n") == 1, result.output


@pytest.mark.parametrize("command", ["transcribe", "normalize"])
def test_a_command_on_media_still_on_the_old_host_names_the_episode(
    tmp_path: Path, command: str
) -> None:
    root, _ = import_file(tmp_path, "anchor.xml")
    episode = load_episodes(root / "episodes")[0]
    result = run(root, command, episode.slug)
    assert_clean_failure(result, f"{episode.slug}.md", "old host", "--download-media")
