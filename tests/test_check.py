"""`mediafeed check`: each rule finds its violation in a dedicated bad copy of the demo show,
and the demo show itself passes clean."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from mediafeed.check import check_show
from mediafeed.cli import cli
from mediafeed.rules import RULES, Finding
from tests.mediafactory import jpeg, ogg_vorbis

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
ONTMOETING = "episodes/ontmoeting-in-het-fysieke-domein.md"
SIGNALEN = "episodes/signalen-van-eenzaamheid-herkennen.md"
WELKOM = "episodes/welkom-bij-een-tegen-eenzaamheid.md"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A private copy of the demo show, free to break."""
    root = tmp_path / "show"
    root.mkdir()
    for name in ("mediafeed.toml", "artwork.jpg"):
        shutil.copyfile(REPO / name, root / name)
    for folder in ("episodes", "media", "transcripts"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def clean(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Findings but the demo's own: two of its episodes have no transcript yet."""
    return tuple(f for f in findings if f.rule != "transcript-missing")


def test_the_demo_show_warns_of_its_two_episodes_without_a_transcript(demo: Path) -> None:
    found = check_show(demo, now=NOW)
    assert [(f.rule, f.path, f.severity) for f in found] == [
        ("transcript-missing", SIGNALEN, "warning"),
        ("transcript-missing", WELKOM, "warning"),
    ]
    assert all("WCAG 2.1 SC 1.2.1" in f.message for f in found)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(old, text, re.M), f"{old!r} not in {path.name}"
    path.write_text(re.sub(old, new, text, count=1, flags=re.M), encoding="utf-8")


def config(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: edit(root / "mediafeed.toml", old, new)


def episode(name: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda root: edit(root / name, old, new)


def episode_art(episode_file: str, name: str) -> Callable[[Path], None]:
    """The show's cover copied to `name`, and the episode's image set to it."""

    def breakage(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / "artwork.jpg", root / name)
        edit(root / episode_file, r"^(audio: .*)$", rf"image: {name}\n\1")

    return breakage


REQUIRE_TRANSCRIPT = config(r"^locked = true$", "locked = true\nrequire_transcript = true")
DRAFT_TRANSCRIPT = episode(ONTMOETING, r"^(transcript: .*)$", r"\1\ntranscript_status: draft")


def picture(size: tuple[int, int], mode: str, name: str) -> Callable[[Path], None]:
    """Real pictures saved by Pillow's encoders, in shapes Apple refuses."""

    def make(root: Path) -> None:
        Image.new(mode, size, "white").save(root / name)
        edit(root / "mediafeed.toml", r"^artwork = .*$", f'artwork = "{name}"')

    return make


def small_artwork(root: Path) -> None:
    shutil.copyfile(jpeg(root / "tmp", size=600), root / "artwork.jpg")


def no_notes(root: Path) -> None:
    path = root / SIGNALEN
    path.write_text(path.read_text(encoding="utf-8").split("---\n\n")[0] + "---\n")


def words_file(text: str) -> Callable[[Path], None]:
    def write(root: Path) -> None:
        (root / "templates" / "words").mkdir(parents=True)
        (root / "templates" / "words" / "nl.toml").write_text(text, encoding="utf-8")

    return write


def remove_media(root: Path) -> None:
    (root / "media" / "ontmoeting-in-het-fysieke-domein.mp3").unlink()


def garbage_media(root: Path) -> None:
    (root / "media" / "ontmoeting-in-het-fysieke-domein.mp3").write_text("geen audio\n" * 99)


def ogg_media(root: Path) -> None:
    """A real Ogg Vorbis file, correctly described: fine for the Podcast Index, not Apple."""
    media = ogg_vorbis(root / "media", "ontmoeting-in-het-fysieke-domein.ogg")
    path = root / ONTMOETING
    edit(path, r"^audio: .*$", "audio: media/ontmoeting-in-het-fysieke-domein.ogg")
    edit(path, r"^mime_type: .*$", "mime_type: audio/ogg")
    edit(path, r"^length: .*$", f"length: {media.stat().st_size}")
    edit(path, r"^sha256: .*$", f"sha256: {hashlib.sha256(media.read_bytes()).hexdigest()}")


def bad_transcript(root: Path) -> None:
    (root / "transcripts" / "ontmoeting-in-het-fysieke-domein.vtt").write_text("Welkom!\n")


PUBLIC_HTTP = '\n[publish]\ntarget = "s3://b/x"\npublic_url = "http://podcast.example.org/x"\n'
PUBLIC = '\n[publish]\ntarget = "s3://b/x"\npublic_url = "https://podcast.example.org/x"\n'


def placeholder_for_a_target(root: Path) -> None:
    config(r"^author = .*$", 'author = "Your name or organisation"')(root)
    with (root / "mediafeed.toml").open("a") as handle:
        handle.write(PUBLIC)


# rule -> (how to break the demo show, the file and field the finding must name)
BREAKAGES: dict[str, tuple[Callable[[Path], None], str, str | None]] = {
    "config": (config(r"^explicit = false$", 'explicit = "nee"'), "mediafeed.toml", "explicit"),
    "required": (config(r"^author = .*\n", ""), "mediafeed.toml", "author"),
    "owner-email": (
        config(r"^email = .*$", 'email = "podcast at example"'),
        "mediafeed.toml",
        "owner.email",
    ),
    "category": (
        config(r'\["Government"\]', '["Science & Medicine"]'),
        "mediafeed.toml",
        "categories[1]",
    ),
    "artwork-missing": (
        episode(WELKOM, r"^episode_type: trailer$", "episode_type: trailer\nimage: weg.jpg"),
        WELKOM,
        "image",
    ),
    "image-name": (episode_art(WELKOM, "art/artwork.jpg"), WELKOM, "image"),
    "artwork-format": (picture((1400, 1400), "RGB", "cover.gif"), "mediafeed.toml", "artwork"),
    "artwork-size": (small_artwork, "mediafeed.toml", "artwork"),
    "artwork-square": (picture((1400, 1600), "RGB", "cover.jpg"), "mediafeed.toml", "artwork"),
    "artwork-color": (picture((1400, 1400), "RGBA", "cover.png"), "mediafeed.toml", "artwork"),
    "episode-file": (episode(ONTMOETING, "^title:", "titel:"), ONTMOETING, "titel"),
    "duplicate-guid": (
        episode(SIGNALEN, r"^guid: .*$", "guid: 29e6eedd-3461-465d-a327-dd631a9f491e"),
        SIGNALEN,
        "guid",
    ),
    "duplicate-title": (
        episode(SIGNALEN, r"^title: .*$", "title: Ontmoeting in het fysieke domein"),
        SIGNALEN,
        "title",
    ),
    "media-missing": (remove_media, ONTMOETING, "audio"),
    "media-unreadable": (garbage_media, ONTMOETING, "audio"),
    "enclosure-length": (
        episode(ONTMOETING, r"^length: .*$", "length: 120000"),
        ONTMOETING,
        "length",
    ),
    "enclosure-type": (
        episode(ONTMOETING, r"^mime_type: .*$", "mime_type: audio/x-m4a"),
        ONTMOETING,
        "mime_type",
    ),
    "enclosure-duration": (
        episode(ONTMOETING, r"^duration: .*$", "duration: 36000"),
        ONTMOETING,
        "duration",
    ),
    "enclosure-apple": (ogg_media, ONTMOETING, "mime_type"),
    "https": (
        lambda root: (root / "mediafeed.toml").open("a").write(PUBLIC_HTTP),
        "mediafeed.toml",
        "publish.public_url",
    ),
    "https-link": (config(r'^link = "https:', 'link = "http:'), "mediafeed.toml", "link"),
    "description-length": (
        config(r'^description = """\\$', 'description = """' + "x" * 4001),
        "mediafeed.toml",
        "description",
    ),
    "description-missing": (no_notes, SIGNALEN, "notes"),
    "numbering": (episode(ONTMOETING, r"^episode: 2$", "episode: 3"), "episodes", "episode"),
    "transcript": (bad_transcript, ONTMOETING, "transcript"),
    "transcript-missing": (episode(ONTMOETING, r"^transcript: .*\n", ""), ONTMOETING, "transcript"),
    "transcript-required": (REQUIRE_TRANSCRIPT, SIGNALEN, "transcript"),
    "transcript-draft": (
        lambda root: (REQUIRE_TRANSCRIPT(root), DRAFT_TRANSCRIPT(root))[0],
        ONTMOETING,
        "transcript_status",
    ),
    "chapters": (episode(ONTMOETING, r"start: 3\.5", "start: 30"), ONTMOETING, "chapters[1]"),
    "podcast-guid": (
        config(r"^guid = .*$", 'guid = "een-tegen-eenzaamheid"'),
        "mediafeed.toml",
        "guid",
    ),
    "no-episodes": (
        lambda root: [p.unlink() for p in (root / "episodes").glob("*.md")],
        "episodes",
        None,
    ),
    "owner-verify": (
        config(r"^hide_email = false$", "hide_email = true"),
        "mediafeed.toml",
        "owner.hide_email",
    ),
    "placeholder": (placeholder_for_a_target, "mediafeed.toml", "author"),
    "placeholder-preview": (
        config(r"^email = .*$", 'email = "you@example.org"'),
        "mediafeed.toml",
        "owner.email",
    ),
    "url": (config(r"^link = .*$", 'link = "www.example.nl"'), "mediafeed.toml", "link"),
    "tag-length": (episode(SIGNALEN, r"^title: .*$", "title: " + "lang " * 60), SIGNALEN, "title"),
    "title-line": (
        episode(SIGNALEN, r"^title: .*$", 'title: "Signalen\\\\nvan eenzaamheid herkennen"'),
        SIGNALEN,
        "title",
    ),
    "episode-title": (
        episode(ONTMOETING, r"^title: .*$", "title: 'Aflevering 2: Ontmoeting'"),
        ONTMOETING,
        "title",
    ),
    "stale-tags": (
        episode(ONTMOETING, r"^title: .*$", "title: Ontmoeten in de wijk"),
        ONTMOETING,
        "audio",
    ),
    "license": (
        config(r"^license = .*$", 'license = "Vrij te gebruiken"'),
        "mediafeed.toml",
        "license",
    ),
    "podroll-guid": (
        config(r"^license = ", 'podroll = ["https://podcast.example.nl/feed.xml"]\nlicense = '),
        "mediafeed.toml",
        "podroll[0]",
    ),
    "loudness": (
        episode(
            ONTMOETING,
            r"^(sha256: .*)$",
            r"\1\nloudness: {integrated: -23.0, range: 4.0, true_peak: -3.0, channels: 2}",
        ),
        ONTMOETING,
        "loudness.integrated",
    ),  # fmt: skip
    "soundbite-length": (
        episode(ONTMOETING, r"^audio:", "soundbites:\n- start: 1\n  duration: 5\naudio:"),
        ONTMOETING,
        "soundbites[0]",
    ),
    "page-words": (config(r"^language = .*$", 'language = "it"'), "mediafeed.toml", "language"),
    "words-file": (words_file('luister = "Luister"\n'), "templates/words/nl.toml", "luister"),
}


def test_every_rule_has_a_bad_fixture() -> None:
    assert set(BREAKAGES) == set(RULES)


def test_the_demo_show_passes_clean(demo: Path) -> None:
    assert clean(check_show(demo, now=NOW)) == ()


@pytest.mark.parametrize("rule", sorted(BREAKAGES))
def test_each_rule_finds_its_violation(demo: Path, rule: str) -> None:
    breakage, path, field = BREAKAGES[rule]
    breakage(demo)
    found = [f for f in check_show(demo, now=NOW) if f.rule == rule]
    assert found, f"rule {rule} found nothing"
    assert (found[0].path, found[0].field) == (path, field), found[0]
    assert found[0].severity == RULES[rule][0]
    assert found[0].message and found[0].fix


def test_two_pictures_of_one_name_in_two_folders_are_found(demo: Path) -> None:
    """Both would be published as images/cover.jpg, the second over the first."""
    episode_art(WELKOM, "art/a/cover.jpg")(demo)
    episode_art(SIGNALEN, "art/b/cover.jpg")(demo)
    found = [(f.path, f.message) for f in check_show(demo, now=NOW) if f.rule == "image-name"]
    assert found == [(WELKOM, "published as images/cover.jpg, as 'art/b/cover.jpg' is")]


def test_a_loopback_public_url_is_only_a_warning(demo: Path) -> None:
    with (demo / "mediafeed.toml").open("a") as handle:
        handle.write('\n[publish]\ntarget = "s3://b/x"\npublic_url = "http://127.0.0.1:8333/b/x"\n')
    [finding] = [f for f in check_show(demo, now=NOW) if f.field == "publish.public_url"]
    assert (finding.rule, finding.severity) == ("https-link", "warning")


def test_findings_report_every_problem_at_once(demo: Path) -> None:
    for rule in ("owner-email", "category", "numbering", "transcript"):
        BREAKAGES[rule][0](demo)
    rules = {f.rule for f in check_show(demo, now=NOW)}
    assert {"owner-email", "numbering", "transcript"} <= rules


def test_an_image_or_transcript_naming_a_folder_is_a_finding(demo: Path) -> None:
    edit(demo / WELKOM, r"^episode_type: trailer$", "episode_type: trailer\nimage: media")
    edit(demo / SIGNALEN, r"^(audio: .*)$", r"\1\ntranscript: transcripts")
    found = {(f.rule, f.path, f.field) for f in check_show(demo, now=NOW)}
    assert {
        ("artwork-format", WELKOM, "image"),
        ("transcript", SIGNALEN, "transcript"),
    } <= found


def run(show: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(show), *args], catch_exceptions=False)


def test_cli_check_exits_0_on_the_demo_show() -> None:
    result = run(REPO, "check")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 errors, 2 warnings.")


def test_cli_check_prints_one_line_per_finding_and_exits_1(demo: Path) -> None:
    BREAKAGES["enclosure-length"][0](demo)
    BREAKAGES["duplicate-title"][0](demo)
    result = run(demo, "check")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"error: {ONTMOETING}: length: says 120000 bytes")
    assert "[enclosure-length]" in lines[0] and "mediafeed tag ontmoeting" in lines[0]
    assert lines[1].startswith(f"warning: {SIGNALEN}: title:")
    assert lines[2].startswith(f"warning: {SIGNALEN}: audio:")  # its tags carry the old title
    assert lines[-1] == "1 error, 4 warnings."


def test_cli_check_json_is_for_scripts(demo: Path) -> None:
    BREAKAGES["transcript"][0](demo)
    result = run(demo, "check", "--json")
    assert result.exit_code == 1
    [finding] = [f for f in json.loads(result.output) if f["rule"] != "transcript-missing"]
    assert Finding(**finding).rule == "transcript"
    assert set(finding) == {"severity", "rule", "path", "field", "message", "fix"}


def test_publish_refuses_a_show_with_errors(demo: Path, private_state_dir: Path) -> None:
    BREAKAGES["media-missing"][0](demo)
    BREAKAGES["chapters"][0](demo)
    result = CliRunner().invoke(cli, ["-C", str(demo), "publish"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "2 errors" in lines[0] and "mediafeed check" in lines[0] and "--force" in lines[0]
    started = [
        name for name in ("data", "store.json", "s3.json") if (private_state_dir / name).exists()
    ]
    assert not started, "a refused publish starts no store"


# ---------------------------------------------------------------------------------------
# Speed that matters at scale: a second check reads no unchanged media file.
# ---------------------------------------------------------------------------------------


def test_a_second_check_reads_no_unchanged_media(
    demo: Path, opens: Callable[[Path], list[str]]
) -> None:
    hour_ago = time.time_ns() - 3600 * 10**9
    for media in (demo / "media").iterdir():  # older than the window a write may still move in
        os.utime(media, ns=(hour_ago, hour_ago))
    assert clean(check_show(demo, now=NOW)) == ()
    watched = [opens(media) for media in sorted((demo / "media").iterdir())]
    assert clean(check_show(demo, now=NOW)) == ()
    assert len(watched) == 3 and all(seen == [] for seen in watched)
    assert clean(check_show(demo, now=NOW, verify=True)) == ()
    assert all(seen for seen in watched), "--verify reads every media file again"


def test_a_changed_media_file_is_probed_again(demo: Path) -> None:
    check_show(demo, now=NOW)
    media = sorted((demo / "media").glob("*.mp3"))[0]
    media.write_bytes(media.read_bytes()[:-1000])
    findings = check_show(demo, now=NOW)
    assert any(f.rule == "enclosure-length" and f.field == "length" for f in findings)


def test_a_remembered_clean_episode_is_checked_again_when_its_transcript_breaks(
    demo: Path,
) -> None:
    assert clean(check_show(demo, now=NOW)) == ()
    bad_transcript(demo)
    findings = clean(check_show(demo, now=NOW))
    assert [(f.rule, f.field) for f in findings] == [("transcript", "transcript")]


def test_remembered_findings_come_back_until_fixed(demo: Path) -> None:
    bad_transcript(demo)
    first = check_show(demo, now=NOW)
    assert check_show(demo, now=NOW) == first


# ---------------------------------------------------------------------------------------
# Issue 13: what check says before the wrong thing is published.
# ---------------------------------------------------------------------------------------


def test_what_init_wrote_is_a_reminder_locally_and_an_error_for_a_real_target(
    tmp_path: Path,
) -> None:
    from mediafeed.commands.init import init_show

    root = tmp_path / "nieuw"
    init_show(root, title="Nieuw", language="nl")
    fields = {"description", "author", "link", "owner.name", "owner.email", "artwork"}
    local = [f for f in check_show(root, now=NOW) if f.rule.startswith("placeholder")]
    assert {f.field for f in local} == fields and {f.severity for f in local} == {"warning"}
    with (root / "mediafeed.toml").open("a") as handle:
        handle.write(PUBLIC)
    remote = [f for f in check_show(root, now=NOW) if f.rule.startswith("placeholder")]
    assert {f.field for f in remote} == fields and {f.severity for f in remote} == {"error"}


def test_a_script_link_is_refused_by_check_and_by_build(demo: Path) -> None:
    config(r"^link = .*$", 'link = "javascript:alert(1)"')(demo)
    [finding] = [f for f in check_show(demo, now=NOW) if f.field == "link"]
    assert (finding.rule, finding.severity) == ("url", "error")
    result = CliRunner().invoke(cli, ["-C", str(demo), "build"])
    assert result.exit_code == 1 and "link: 'javascript:alert(1)'" in result.output
    assert not (demo / "feed" / "feed.xml").exists()


def test_the_description_limit_counts_bytes_as_apple_does(demo: Path) -> None:
    # 2,100 characters, 4,200 bytes of UTF-8: every é takes two.
    config(r'^description = """\\$', 'description = """' + "é" * 2100)(demo)
    [finding] = [f for f in check_show(demo, now=NOW) if f.rule == "description-length"]
    assert finding.field == "description" and "bytes of UTF-8" in finding.message


def test_an_edited_title_leaves_the_media_stale_until_tag_runs(demo: Path) -> None:
    slug = "ontmoeting-in-het-fysieke-domein"
    BREAKAGES["stale-tags"][0](demo)
    [stale] = [f for f in check_show(demo, now=NOW) if f.rule == "stale-tags"]
    assert "title" in stale.message and f"mediafeed tag {slug}" in stale.fix
    assert run(demo, "tag", slug).exit_code == 0
    assert clean(check_show(demo, now=NOW)) == ()


def test_media_tagged_for_another_address_are_stale_once_the_show_has_its_own(
    demo: Path,
) -> None:
    with (demo / "mediafeed.toml").open("a") as handle:
        handle.write(PUBLIC)
    found = [f for f in check_show(demo, now=NOW) if f.rule == "stale-tags"]
    assert len(found) == 3 and all("feed URL" in f.message for f in found)


def test_stale_tags_are_remembered_without_reading_the_media_again(
    demo: Path, opens: Callable[[Path], list[str]]
) -> None:
    hour_ago = time.time_ns() - 3600 * 10**9
    for media in (demo / "media").iterdir():
        os.utime(media, ns=(hour_ago, hour_ago))
    BREAKAGES["stale-tags"][0](demo)
    first = check_show(demo, now=NOW)
    watched = [opens(media) for media in sorted((demo / "media").iterdir())]
    assert check_show(demo, now=NOW) == first
    assert any(f.rule == "stale-tags" for f in first) and all(seen == [] for seen in watched)
