"""`mediafeed tag`: the episode file's facts go into the media; a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

import mutagen
import pytest
from click.testing import CliRunner

from mediafeed.cache import Cache
from mediafeed.cli import cli
from mediafeed.episodes import load_episode
from mediafeed.facts import MediaFacts
from mediafeed.manifest import sha256_file
from mediafeed.media.probe import probe
from tests.mediafactory import m4a, mp3_cbr, mp3_no_xing
from tests.test_add import bytes_read


def add(show: Path, media: Path, title: str) -> Path:
    result = CliRunner().invoke(
        cli,
        [
            "-C",
            str(show),
            "add",
            str(media),
            "--title",
            title,
            "--date",
            "2021-11-02T09:00:00+01:00",
        ],
    )
    assert result.exit_code == 0, result.output
    return next((show / "episodes").glob("*.md"))


def tag(show: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(show), "tag"])
    assert result.exit_code == 0, result.output


def retitle(path: Path, old: str, new: str) -> None:
    path.write_text(
        path.read_text(encoding="utf-8").replace(f"title: {old}", f"title: {new}"), encoding="utf-8"
    )


def test_tag_writes_an_edited_title_into_the_mp3_and_records_the_new_bytes(
    show_dir: Path, tmp_path: Path
) -> None:
    episode_file = add(show_dir, mp3_cbr(tmp_path, "a.mp3"), "Oude titel")
    retitle(episode_file, "Oude titel", "Nieuwe titel")
    tag(show_dir)
    episode = load_episode(episode_file)
    media = show_dir / episode.audio
    assert str(mutagen.File(media)["TIT2"]) == "Nieuwe titel"
    assert episode.media.length == media.stat().st_size
    assert episode.media.sha256 == sha256_file(media)


def test_tag_after_the_audio_was_replaced_records_the_new_files_duration_and_type(
    show_dir: Path, tmp_path: Path
) -> None:
    """docs/lifecycle.md: copy the new file over the old one, run tag, publish."""
    episode_file = add(show_dir, mp3_cbr(tmp_path, "a.mp3", seconds=2.0), "Titel")
    media = show_dir / load_episode(episode_file).audio
    media.write_bytes(m4a(tmp_path, "b.m4a", seconds=5.0).read_bytes())
    tag(show_dir)
    episode = load_episode(episode_file)
    assert (round(episode.media.duration), episode.media.mime_type) == (5, "audio/x-m4a")
    assert episode.media.sha256 == sha256_file(media)


def test_tag_corrects_a_type_check_finds_wrong_as_check_advises(
    show_dir: Path, tmp_path: Path
) -> None:
    episode_file = add(show_dir, mp3_cbr(tmp_path, "a.mp3"), "Titel")
    text = episode_file.read_text(encoding="utf-8")
    episode_file.write_text(text.replace("mime_type: audio/mpeg", "mime_type: audio/wav"))
    tag(show_dir)
    assert load_episode(episode_file).media.mime_type == "audio/mpeg"


def test_tag_twice_changes_nothing(show_dir: Path, tmp_path: Path) -> None:
    episode_file = add(show_dir, m4a(tmp_path, "a.m4a"), "Titel")
    retitle(episode_file, "Titel", "Andere titel")
    tag(show_dir)
    media = show_dir / load_episode(episode_file).audio
    before = (media.read_bytes(), episode_file.read_bytes())
    tag(show_dir)
    assert (media.read_bytes(), episode_file.read_bytes()) == before
    assert mutagen.File(media)["\xa9nam"] == ["Andere titel"]


def test_the_check_after_tag_knows_the_retagged_file(show_dir: Path, tmp_path: Path) -> None:
    """tag read the file it wrote: the check before the next publish need not read it again."""
    episode_file = add(show_dir, mp3_cbr(tmp_path, "a.mp3"), "Oude titel")
    retitle(episode_file, "Oude titel", "Nieuwe titel")
    tag(show_dir)
    media = show_dir / load_episode(episode_file).audio
    with Cache(show_dir) as cache:
        assert MediaFacts(cache, verify=False).remembered(media) == probe(media)


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's /proc/self/io")
def test_tag_takes_the_hash_of_a_file_it_knows_from_the_cache(
    show_dir: Path, tmp_path: Path
) -> None:
    """The copy add wrote is not read once more only to learn it is the same file."""
    segment = mp3_no_xing(tmp_path, "segment.mp3", seconds=6.0).read_bytes()
    source = tmp_path / "lang.mp3"
    source.write_bytes(segment * (8_000_000 // len(segment)))
    episode_file = add(show_dir, source, "Oude titel")
    tag(show_dir)  # modules imported on first use
    retitle(episode_file, "Oude titel", "Nieuwe titel")
    before = bytes_read()
    tag(show_dir)
    # Tags written through a copy (one read) and the result probed (one more); a third
    # read was the hash of the file before, which add had noted.
    assert bytes_read() - before < source.stat().st_size * 3.5
