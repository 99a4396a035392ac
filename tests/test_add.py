"""`mediafeed add`: the producer's file is opened once, read-only, and nothing half-done stays."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mediafeed.cli import cli
from mediafeed.episodes import load_episode
from mediafeed.manifest import sha256_file
from mediafeed.media.probe import probe
from tests import mediafactory as mf
from tests.test_pipeline import assert_clean_failure, assert_nothing_added

Maker = Callable[[Path], Path]
FORMATS: dict[str, Maker] = {
    "mp3-cbr": mf.mp3_cbr,
    "mp3-vbr": mf.mp3_vbr,
    "mp3-id3v2.4": lambda tmp: mf.mp3_tagged(tmp, "v2.4"),
    "m4a": mf.m4a,
    "opus": mf.opus,
    "flac": mf.flac,
    "wav": mf.wav,
}


def add(show: Path, media: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(show), "add", str(media), *args])


def media_files(show: Path) -> list[str]:
    return sorted(path.name for path in (show / "media").iterdir())


@pytest.mark.parametrize("name", FORMATS)
def test_add_opens_the_producers_file_once_and_only_to_read(
    show_dir: Path, tmp_path: Path, name: str, opens: Callable[[Path], list[str]]
) -> None:
    source = FORMATS[name](tmp_path)
    modes = opens(source)
    result = add(show_dir, source, "--title", "Eén keer")
    assert result.exit_code == 0, result.output
    assert modes == ["r"], "one open, read-only"  # the mode as the file's raw stream has it


def bytes_read() -> int:
    """Bytes this process has read from files so far (copy_file_range and sendfile count)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's /proc/self/io")
def test_add_reads_a_large_mp3_once(show_dir: Path, tmp_path: Path) -> None:
    # Whole frames repeated stay one valid stream: 8 MB, so every other read is noise.
    segment_file = mf.mp3_no_xing(tmp_path, "segment.mp3", seconds=6.0)
    segment = segment_file.read_bytes()
    source = tmp_path / "lang.mp3"
    source.write_bytes(segment * (8_000_000 // len(segment)))
    size = source.stat().st_size
    warm_up = add(show_dir, segment_file, "--title", "Eerst")  # modules imported on first use
    assert warm_up.exit_code == 0, warm_up.output
    before = bytes_read()
    result = add(show_dir, source, "--title", "Lang")
    assert result.exit_code == 0, result.output
    # The copy is written from that one read, hashed and walked on the way; the copy in
    # media/ is not read back. (add once read nine times the size: probes, copies, hashes.)
    # The loudness meter, an ffmpeg child, decodes the producer's file once more: Linux
    # counts a waited-for child's reads in its parent's rchar.
    assert bytes_read() - before < size * 2.1


@pytest.mark.parametrize("name", FORMATS)
def test_add_records_the_sources_audio_facts_and_the_copys_length_and_hash(
    show_dir: Path, tmp_path: Path, name: str
) -> None:
    source = FORMATS[name](tmp_path)
    before = source.read_bytes()
    result = add(show_dir, source, "--title", "Feiten")
    assert result.exit_code == 0, result.output
    episode = load_episode(show_dir / "episodes" / "feiten.md")
    media = show_dir / episode.audio
    assert source.read_bytes() == before, "the producer's file must not change"
    assert (episode.media.length, episode.media.sha256) == (
        media.stat().st_size,
        sha256_file(media),
    )
    info = probe(source)  # the episode file keeps these of the facts
    assert (episode.media.duration, episode.media.mime_type) == (info.duration, info.mime_type)
    assert media_files(show_dir) == [media.name], "no temporary file is left"


def test_a_stream_found_broken_while_copying_names_the_producers_file(
    show_dir: Path, tmp_path: Path
) -> None:
    # A Xing header promises six seconds; the frames stop at three. Only the frame walk,
    # which shares the copy's read, can tell.
    source = mf.mp3_vbr(tmp_path, "kapot.mp3", seconds=6.0)
    source.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    result = add(show_dir, source, "--title", "Kapot")
    assert result.exit_code == 1
    assert "truncated" in result.output and str(source) in result.output
    assert ".part" not in result.output
    assert media_files(show_dir) == [] and list((show_dir / "episodes").iterdir()) == []


def test_media_that_cannot_hold_tags_names_the_producers_file(
    show_dir: Path, tmp_path: Path
) -> None:
    source = mf.aac_adts(tmp_path)
    result = add(show_dir, source, "--title", "Rauw")
    assert result.exit_code == 1
    assert str(source) in result.output and ".part" not in result.output
    assert media_files(show_dir) == [] and list((show_dir / "episodes").iterdir()) == []


def test_notes_that_are_not_utf8_are_refused_naming_the_notes_file(
    show_dir: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes-latin1.md"
    notes.write_bytes("Café".encode("latin-1"))
    result = add(show_dir, mf.mp3_cbr(tmp_path), "--notes", str(notes))
    assert_clean_failure(result, "notes-latin1.md", "UTF-8")
    assert_nothing_added(show_dir)


def test_notes_saved_with_a_byte_order_mark_keep_their_first_heading(
    show_dir: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_bytes(b"\xef\xbb\xbf# Gasten\n\nRick Kwekkeboom\n")
    result = add(show_dir, mf.mp3_cbr(tmp_path), "--slug", "gasten", "--notes", str(notes))
    assert result.exit_code == 0, result.output
    assert load_episode(show_dir / "episodes" / "gasten.md").notes.startswith("# Gasten")


def test_a_chapter_the_editor_left_without_a_title_is_not_kept(
    show_dir: Path, tmp_path: Path
) -> None:
    """An episode file refuses a blank chapter title, so add must not write one."""
    from mutagen.oggopus import OggOpus

    source = mf.opus(tmp_path)
    opus = OggOpus(source)
    opus.tags.update({"CHAPTER001": "00:00:00.000", "CHAPTER001NAME": "Welkom"})
    opus.tags.update({"CHAPTER002": "00:00:01.000", "CHAPTER002NAME": " "})
    opus.save()
    result = add(show_dir, source, "--slug", "blank")
    assert result.exit_code == 0, result.output
    chapters = load_episode(show_dir / "episodes" / "blank.md").chapters
    assert [c.title for c in chapters] == ["Welkom"]


def test_a_date_without_zone_is_in_the_shows_timezone_as_in_an_episode_file(
    show_dir: Path, tmp_path: Path
) -> None:
    source = mf.mp3_cbr(tmp_path)
    refused = add(show_dir, source, "--title", "Kerst", "--date", "2026-12-24T09:00")
    assert refused.exit_code == 1 and "timezone" in refused.output
    assert media_files(show_dir) == [] and not list((show_dir / "episodes").iterdir())
    config = show_dir / "mediafeed.toml"
    config.write_text('timezone = "Europe/Amsterdam"\n' + config.read_text(encoding="utf-8"))
    result = add(show_dir, source, "--title", "Kerst", "--date", "2026-12-24T09:00")
    assert result.exit_code == 0, result.output
    episode = load_episode(show_dir / "episodes" / "kerst.md")
    assert episode.published.isoformat() == "2026-12-24T09:00:00+01:00"


def test_a_date_the_clocks_skip_is_refused_naming_it(show_dir: Path, tmp_path: Path) -> None:
    config = show_dir / "mediafeed.toml"
    config.write_text('timezone = "Europe/Amsterdam"\n' + config.read_text(encoding="utf-8"))
    before = sorted((show_dir / "episodes").iterdir())
    result = add(
        show_dir, mf.mp3_cbr(tmp_path), "--title", "Zomertijd", "--date", "2026-03-29T02:30"
    )
    assert_clean_failure(result, "--date", "does not exist in Europe/Amsterdam")
    assert sorted((show_dir / "episodes").iterdir()) == before


def test_a_cut_off_file_is_refused_naming_the_producers_file(
    show_dir: Path, tmp_path: Path
) -> None:
    whole = mf.flac(tmp_path, "whole.flac", seconds=236.0)
    cut = tmp_path / "afgebroken.flac"
    frames = whole.read_bytes().index(b"\xff\xf8", 42)
    cut.write_bytes(whole.read_bytes()[: frames + 512])
    result = add(show_dir, cut, "--title", "Afgebroken")
    assert result.exit_code == 1 and str(cut) in result.output and "truncated" in result.output
    assert ".part" not in result.output and media_files(show_dir) == []


@pytest.mark.parametrize("name", ["mp3-cbr", "m4a", "opus"])
def test_add_keeps_the_chapters_the_producers_editor_marked_in_the_file(
    show_dir: Path, tmp_path: Path, name: str
) -> None:
    import subprocess

    from mutagen.oggopus import OggOpus

    plain = FORMATS[name](tmp_path)
    source = tmp_path / f"marked{plain.suffix}"
    if name == "opus":  # the Vorbis chapter comments, as an editor writes them
        source.write_bytes(plain.read_bytes())
        opus = OggOpus(source)
        opus.tags.update({"CHAPTER001": "00:00:00.000", "CHAPTER001NAME": "Welkom"})
        opus.tags.update({"CHAPTER002": "00:00:01.500", "CHAPTER002NAME": "Het gesprek"})
        opus.save()
    else:  # ID3 CHAP frames in an MP3, a chapter list in an M4A
        marks = tmp_path / "chapters.txt"
        marks.write_text(
            ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Welkom\n"
            "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Het gesprek\n",
            encoding="utf-8",
        )
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                "-i",
                str(plain),
                "-i",
                str(marks),
                "-map",
                "0:a",
                "-map_chapters",
                "1",
                "-c",
                "copy",
                str(source),
            ],
            check=True,
        )
    assert add(show_dir, source, "--title", "Gesprek").exit_code == 0
    episode = load_episode(show_dir / "episodes" / "gesprek.md")
    assert [(c.start, c.title) for c in episode.chapters] == [(0, "Welkom"), (1.5, "Het gesprek")]


@pytest.mark.parametrize(
    ("args", "slug"), [(("--title", "Nul"), "nul"), (("--slug", "aux"), "aux")]
)
def test_a_slug_windows_keeps_for_a_device_is_refused(
    show_dir: Path, tmp_path: Path, args: tuple[str, ...], slug: str
) -> None:
    """A show folder on Windows cannot hold nul.md or aux.md (a Dutch "Nul" is zero)."""
    before = sorted((show_dir / "episodes").iterdir())
    result = add(show_dir, mf.mp3_cbr(tmp_path, "a.mp3"), "--title", "Nul", *args)
    assert_clean_failure(result, f"'{slug}'", "--slug")
    assert sorted((show_dir / "episodes").iterdir()) == before


def test_a_title_with_no_letter_for_a_slug_is_told_to_use_slug(
    show_dir: Path, tmp_path: Path
) -> None:
    result = add(show_dir, mf.mp3_cbr(tmp_path, "a.mp3"), "--title", "🎙️ !!!")
    assert_clean_failure(result, "the title '🎙️ !!!' has no letters or digits", "use --slug")


def test_a_file_put_in_media_first_is_named_with_the_way_out(
    show_dir: Path, tmp_path: Path
) -> None:
    """init makes media/, so a producer may copy the recording there before adding it."""
    source = mf.mp3_cbr(tmp_path, "a.mp3").replace(show_dir / "media" / "ep1.mp3")
    before = source.read_bytes()
    result = add(show_dir, source, "--title", "Ep1")
    assert_clean_failure(result, str(source), "add it from outside media/", "--slug")
    assert source.read_bytes() == before and media_files(show_dir) == ["ep1.mp3"]


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's /proc/self/io")
def test_the_check_after_add_does_not_read_the_copy_again(show_dir: Path, tmp_path: Path) -> None:
    """add hashed and walked the copy as it wrote it: the first publish's check need not."""
    segment = mf.mp3_no_xing(tmp_path, "segment.mp3", seconds=6.0).read_bytes()
    source = tmp_path / "lang.mp3"
    source.write_bytes(segment * (8_000_000 // len(segment)))
    assert add(show_dir, source, "--title", "Lang").exit_code == 0
    other = tmp_path / "other"  # a check of another show imports the modules first
    shutil.copytree(show_dir, other, ignore=shutil.ignore_patterns(".mediafeed"))
    CliRunner().invoke(cli, ["-C", str(other), "check"])
    before = bytes_read()
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "check"])
    assert result.exit_code == 0, result.output
    assert bytes_read() - before < source.stat().st_size / 8  # the tags, not the audio


def test_a_copy_replaced_after_add_is_read_again_by_check(show_dir: Path, tmp_path: Path) -> None:
    assert add(show_dir, mf.mp3_cbr(tmp_path, "a.mp3"), "--title", "Eén keer").exit_code == 0
    copy = show_dir / load_episode(show_dir / "episodes" / "een-keer.md").audio
    other = mf.mp3_cbr(tmp_path, "b.mp3", seconds=3.0)
    shutil.copy2(other, copy)  # as cp -p does: another recording with an older file time
    result = CliRunner().invoke(cli, ["-C", str(show_dir), "check"])
    assert result.exit_code == 1 and "[enclosure-length]" in result.output
