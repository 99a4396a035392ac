"""Loudness: `add` measures it as ffmpeg's own meter does, `normalize` lands on the show's
target without touching the original, and `check` warns about an episode off target."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mutagen.id3 import ID3

from mediafeed.cache import Cache
from mediafeed.cli import cli
from mediafeed.episodes import load_episode
from mediafeed.facts import MediaFacts
from mediafeed.media.probe import probe
from tests import mediafactory as mf

Maker = Callable[[Path], Path]
# name -> (maker, the target its channels call for)
FILES: dict[str, tuple[Maker, float]] = {
    "quiet-mp3": (lambda tmp: mf.mp3_at(tmp, -30.0, "quiet.mp3"), -19.0),
    "loud-clipping-mp3": (lambda tmp: mf.mp3_at(tmp, -8.0, "loud.mp3"), -19.0),
    "stereo-m4a": (lambda tmp: mf.m4a_stereo(tmp, "stereo.m4a"), -16.0),
    "mono-opus": (lambda tmp: mf.opus(tmp, "mono.opus", seconds=6.0), -19.0),
}


def run(show: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["-C", str(show), *args])
    assert result.exit_code == 0, result.output
    return result


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", FILES)
def test_add_writes_the_loudness_ffmpegs_meter_reads(
    show_dir: Path, tmp_path: Path, name: str
) -> None:
    source = FILES[name][0](tmp_path)
    run(show_dir, "add", str(source), "--slug", "ep")
    found = load_episode(show_dir / "episodes" / "ep.md").loudness
    assert found is not None
    integrated, peak = mf.ebur128(source)
    assert abs(found.integrated - integrated) <= 0.5
    assert abs(found.true_peak - peak) <= 0.5
    assert "loudness:" in (show_dir / "episodes" / "ep.md").read_text()


@pytest.mark.parametrize("name", FILES)
def test_normalize_lands_on_target_and_keeps_the_original(
    show_dir: Path, tmp_path: Path, name: str
) -> None:
    maker, target = FILES[name]
    run(show_dir, "add", str(maker(tmp_path)), "--slug", "ep")
    before = load_episode(show_dir / "episodes" / "ep.md")
    original = show_dir / before.audio
    digest = sha256(original)
    run(show_dir, "normalize", "ep")
    after = load_episode(show_dir / "episodes" / "ep.md")
    normalized = show_dir / after.audio
    integrated, peak = mf.ebur128(normalized)
    assert abs(integrated - target) <= 1.0
    assert peak <= -1.0
    assert sha256(original) == digest, "the original is byte-identical"
    assert after.normalized is not None
    assert (after.normalized.original, after.normalized.original_sha256) == (before.audio, digest)
    assert abs(mf.seconds_of(normalized) - mf.seconds_of(original)) <= 0.05
    assert (after.guid, after.media.sha256) == (before.guid, sha256(normalized))
    assert after.loudness is not None and abs(after.loudness.integrated - integrated) <= 0.5


def test_the_check_after_normalize_knows_the_normalized_copy(
    show_dir: Path, tmp_path: Path
) -> None:
    run(show_dir, "add", str(mf.mp3_cbr(tmp_path, "a.mp3")), "--slug", "ep")
    run(show_dir, "normalize", "ep")
    normalized = show_dir / load_episode(show_dir / "episodes" / "ep.md").audio
    with Cache(show_dir) as cache:
        assert MediaFacts(cache, verify=False).remembered(normalized) == probe(normalized)


def test_add_normalize_copies_a_normalized_file_and_leaves_the_producers(
    show_dir: Path, tmp_path: Path
) -> None:
    source = mf.mp3_at(tmp_path, -8.0, "loud.mp3")
    digest = sha256(source)
    run(show_dir, "add", str(source), "--slug", "ep", "--normalize")
    episode = load_episode(show_dir / "episodes" / "ep.md")
    assert sha256(source) == digest
    assert episode.normalized is not None and episode.normalized.original_sha256 == digest
    integrated, peak = mf.ebur128(show_dir / episode.audio)
    assert abs(integrated + 19.0) <= 1.0 and peak <= -1.0
    assert sorted(p.name for p in (show_dir / "media").iterdir()) == ["ep.mp3"]


def test_normalize_keeps_tags_cover_and_chapters(show_dir: Path, tmp_path: Path) -> None:
    run(show_dir, "add", str(mf.mp3_at(tmp_path, -30.0, "quiet.mp3")), "--slug", "ep",
        "--title", "Ontmoeting")  # fmt: skip
    path = show_dir / "episodes" / "ep.md"
    text = path.read_text().replace("audio:", "chapters:\n- start: 0\n  title: Begin\n"
                                    "- start: 3\n  title: Vervolg\naudio:")  # fmt: skip
    path.write_text(text)
    run(show_dir, "tag", "ep")
    run(show_dir, "normalize", "ep")
    tags = ID3(show_dir / load_episode(path).audio)
    assert str(tags["TIT2"]) == "Ontmoeting"
    assert tags.getall("APIC"), "the cover"
    assert [frame.element_id for frame in tags.getall("CHAP")] == ["chp0", "chp1"]


def test_check_warns_about_an_episode_off_target_until_normalized(
    show_dir: Path, tmp_path: Path
) -> None:
    run(show_dir, "add", str(mf.mp3_at(tmp_path, -30.0, "quiet.mp3")), "--slug", "ep")

    def loudness_findings() -> list[dict[str, str]]:
        result = CliRunner().invoke(cli, ["-C", str(show_dir), "check", "--json"])
        return [f for f in json.loads(result.output) if f["rule"] == "loudness"]

    [finding] = loudness_findings()
    assert (finding["severity"], finding["field"]) == ("warning", "loudness.integrated")
    assert "-19" in finding["message"]
    run(show_dir, "normalize", "ep")
    assert loudness_findings() == []


def test_the_target_comes_from_mediafeed_toml(show_dir: Path, tmp_path: Path) -> None:
    with (show_dir / "mediafeed.toml").open("a") as handle:
        handle.write("\n[loudness]\ntarget = -14\nmono_target = -17\n")
    run(show_dir, "add", str(mf.mp3_at(tmp_path, -30.0, "quiet.mp3")), "--slug", "ep",
        "--normalize")  # fmt: skip
    integrated, _ = mf.ebur128(show_dir / load_episode(show_dir / "episodes" / "ep.md").audio)
    assert abs(integrated + 17.0) <= 1.0


def test_a_wrong_loudness_table_is_one_line_naming_the_config(show_dir: Path) -> None:
    with (show_dir / "mediafeed.toml").open("a") as handle:
        handle.write('\n[loudness]\ntarget = "loud"\n')
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "normalize", "ep"])
    assert result.exit_code == 1
    assert "mediafeed.toml" in result.output and "loudness: target" in result.output


def test_a_failed_normalize_leaves_no_file_and_the_episode_unchanged(
    show_dir: Path, tmp_path: Path
) -> None:
    run(show_dir, "add", str(mf.mp3_cbr(tmp_path)), "--slug", "ep")
    path = show_dir / "episodes" / "ep.md"
    before = path.read_bytes()
    media = show_dir / "media" / "ep.mp3"
    media.write_bytes(media.read_bytes()[:400])  # cut short: ffmpeg finds no audio to encode
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "normalize", "ep"])
    assert result.exit_code == 1
    assert "ep.mp3" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in (show_dir / "media").iterdir()) == ["ep.mp3"]
    assert path.read_bytes() == before
