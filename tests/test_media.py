"""Probing real media: facts match ffprobe, content decides the type, bad files fail clearly."""

from __future__ import annotations

import functools
import json
import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mediafeed.errors import MediaError
from mediafeed.manifest import sha256_file
from mediafeed.media import probe as media
from mediafeed.media.probe import extension_for, extension_matches, probe
from tests import mediafactory as mf


def ffprobe(path: Path, entries: str) -> dict[str, object]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", entries, "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def ffprobe_duration(path: Path) -> float:
    return float(ffprobe(path, "format=duration")["format"]["duration"])  # type: ignore[index]


def decoded_duration(path: Path) -> float:
    """Duration of the samples a decoder actually produces (for streams without an index)."""
    out = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a",
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "48000",
            "-",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return len(out.stdout) / 2 / 48000


def audio_stream(path: Path) -> dict[str, str]:
    streams = ffprobe(path, "stream=codec_type,sample_rate,channels")["streams"]
    return next(s for s in streams if s["codec_type"] == "audio")  # type: ignore[attr-defined, no-any-return]


Maker = Callable[[Path], Path]
# maker, MIME type, codec, is video
FORMATS: dict[str, tuple[Maker, str, str, bool]] = {
    "mp3-cbr": (mf.mp3_cbr, "audio/mpeg", "mp3", False),
    "mp3-vbr": (mf.mp3_vbr, "audio/mpeg", "mp3", False),
    "mp3-cbr-no-xing": (mf.mp3_no_xing, "audio/mpeg", "mp3", False),
    "m4a": (mf.m4a, "audio/x-m4a", "aac", False),
    "m4a-fragmented": (mf.m4a_fragmented, "audio/x-m4a", "aac", False),
    "mp4-video": (mf.mp4_video, "video/mp4", "aac", True),
    "ogg-vorbis": (mf.ogg_vorbis, "audio/ogg", "vorbis", False),
    "opus": (mf.opus, "audio/ogg", "opus", False),
    "flac": (mf.flac, "audio/flac", "flac", False),
    "wav": (mf.wav, "audio/wav", "pcm", False),
}


@pytest.mark.parametrize("name", FORMATS)
def test_duration_matches_ffprobe(tmp_path: Path, name: str) -> None:
    path = FORMATS[name][0](tmp_path)
    assert probe(path).duration == pytest.approx(ffprobe_duration(path), abs=0.05)


def test_vbr_duration_without_xing_header_counts_frames(tmp_path: Path) -> None:
    # ffprobe only estimates this one from the first frame's bitrate; decoding is the truth.
    path = mf.mp3_no_xing(tmp_path, vbr=True, seconds=3.0)
    assert probe(path).duration == pytest.approx(decoded_duration(path), abs=0.05)


def test_raw_aac_is_probed_as_audio_aac(tmp_path: Path) -> None:
    info = probe(mf.aac_adts(tmp_path))
    assert (info.mime_type, info.codec) == ("audio/aac", "aac")


@pytest.mark.parametrize("name", FORMATS)
def test_mime_type_codec_and_video_flag(tmp_path: Path, name: str) -> None:
    maker, mime_type, codec, is_video = FORMATS[name]
    info = probe(maker(tmp_path))
    assert (info.mime_type, info.codec, info.is_video) == (mime_type, codec, is_video)


@pytest.mark.parametrize("name", FORMATS)
def test_sample_rate_and_channels_match_ffprobe(tmp_path: Path, name: str) -> None:
    path = FORMATS[name][0](tmp_path)
    info, stream = probe(path), audio_stream(path)
    assert (info.sample_rate, info.channels) == (int(stream["sample_rate"]), stream["channels"])


@pytest.mark.parametrize("name", FORMATS)
def test_length_and_hash_are_of_the_whole_file(tmp_path: Path, name: str) -> None:
    path = FORMATS[name][0](tmp_path)
    info = probe(path)
    assert (info.length, info.sha256) == (path.stat().st_size, sha256_file(path))


def test_stereo_m4a_has_two_channels(tmp_path: Path) -> None:
    source = mf.wav(tmp_path, channels=2)
    path = tmp_path / "stereo.m4a"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(source), "-c:a", "aac", "-f", "ipod", str(path)],
        check=True,
        timeout=60,
    )
    assert probe(path).channels == 2


def test_bitrate_of_cbr_mp3_is_its_nominal_rate(tmp_path: Path) -> None:
    assert probe(mf.mp3_cbr(tmp_path)).bitrate == pytest.approx(64000, rel=0.01)


@pytest.mark.parametrize("version", ["v1", "v2.3", "v2.4"])
def test_mp3_with_existing_id3_tag_is_probed(tmp_path: Path, version: str) -> None:
    path = mf.mp3_tagged(tmp_path, version)
    assert probe(path).duration == pytest.approx(ffprobe_duration(path), abs=0.05)


@pytest.mark.parametrize(
    ("maker", "extension"),
    [
        (mf.m4a, ".m4a"),
        (mf.flac, ".flac"),
        (mf.ogg_vorbis, ".ogg"),
        (mf.opus, ".opus"),
        (mf.wav, ".wav"),
        (mf.mp4_video, ".mp4"),
    ],
)
def test_content_decides_not_the_extension(tmp_path: Path, maker: Maker, extension: str) -> None:
    path = maker(tmp_path)
    lying = path.rename(tmp_path / "episode.mp3")
    info = probe(lying)
    assert (extension_for(info), extension_matches(lying, info)) == (extension, False)


def test_mp3_named_mp3_is_not_flagged(tmp_path: Path) -> None:
    path = mf.mp3_vbr(tmp_path)
    assert extension_matches(path, probe(path))


def test_m4b_extension_is_accepted_for_m4a_content(tmp_path: Path) -> None:
    path = mf.m4a(tmp_path, name="book.m4b")
    assert extension_matches(path, probe(path))


def probe_error(path: Path) -> str:
    """Probe must fail with MediaError naming the file, quickly, leaving the file alone."""
    before = path.read_bytes() if path.is_file() else None
    started = time.monotonic()
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert time.monotonic() - started < 10
    assert caught.value.path == str(path)
    assert (path.read_bytes() if path.is_file() else None) == before
    return caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in probe_error(tmp_path / "nope.mp3")


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp3"
    path.touch()
    assert "empty" in probe_error(path)


def test_directory_is_refused(tmp_path: Path) -> None:
    assert "not a regular file" in probe_error(tmp_path)


def test_text_renamed_mp3(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("# Episode notes\n\nNot audio at all.\n" * 200)
    assert "not a supported" in probe_error(path)


@pytest.mark.parametrize("maker", [mf.png, mf.jpeg, mf.noise_png])
def test_picture_renamed_mp3(tmp_path: Path, maker: Maker) -> None:
    path = maker(tmp_path).rename(tmp_path / "cover.mp3")
    probe_error(path)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("clip.avi", ["-f", "lavfi", "-i", "testsrc=s=64x64:d=1", "-c:v", "mjpeg"]),
        ("cover.webp", ["-f", "lavfi", "-i", "color=s=64x64", "-frames:v", "1"]),
        ("clip.ogv", ["-f", "lavfi", "-i", "testsrc=s=64x64:d=1", "-c:v", "libtheora"]),
    ],
)
def test_video_or_a_picture_in_riff_or_ogg_is_not_called_damaged_audio(
    tmp_path: Path, name: str, options: list[str]
) -> None:
    path = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *options, str(path)], check=True)
    assert "not a supported audio or video file" in probe_error(path)


@pytest.mark.parametrize("maker", [mf.ogg_vorbis, mf.opus, mf.flac])
def test_cut_off_ogg_or_flac_audio_is_called_damaged(tmp_path: Path, maker: Maker) -> None:
    path = maker(tmp_path)
    path.write_bytes(path.read_bytes()[:60])
    assert "damaged or truncated audio file" in probe_error(path)


def test_random_bytes_renamed_mp3(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp3"
    path.write_bytes(random.Random(4).randbytes(300_000))
    probe_error(path)


def test_truncated_vbr_mp3_is_reported(tmp_path: Path) -> None:
    path = mf.mp3_vbr(tmp_path, seconds=6.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in probe_error(path)


def test_truncated_mp3_without_header_is_probed_as_what_remains(tmp_path: Path) -> None:
    path = mf.mp3_no_xing(tmp_path, seconds=6.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])  # cut inside a frame
    assert probe(path).duration == pytest.approx(decoded_duration(path), abs=0.05)


def test_truncated_m4a_is_reported(tmp_path: Path) -> None:
    path = mf.m4a(tmp_path, seconds=3.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    assert "truncated" in probe_error(path)


def test_a_fragmented_mp4_lasts_as_long_as_all_its_fragments(tmp_path: Path) -> None:
    path = mf.m4a_fragmented(tmp_path, seconds=16.3)
    assert path.read_bytes().count(b"moof") > 10, "one-second fragments"
    assert probe(path).duration == pytest.approx(decoded_duration(path), abs=0.05)


def test_a_flac_cut_off_after_its_header_is_refused(tmp_path: Path) -> None:
    whole = mf.flac(tmp_path, "whole.flac", seconds=236.0)
    cut = tmp_path / "cut.flac"
    # The first 512 bytes after the metadata blocks (ffmpeg pads them to some 8 KB).
    frames = whole.read_bytes().index(b"\xff\xf8", 42)
    with cut.open("wb") as out:
        subprocess.run(["head", "-c", str(frames + 512), str(whole)], stdout=out, check=True)
    assert "truncated" in probe_error(cut)


@pytest.mark.parametrize("keep", ["half", "frames"])
def test_a_flac_cut_in_the_middle_is_refused(tmp_path: Path, keep: str) -> None:
    whole = mf.flac(tmp_path, "whole.flac", seconds=8.0)
    data = whole.read_bytes()
    # Cut anywhere (inside a frame), or exactly before a frame: both leave too few samples.
    end = len(data) // 2 if keep == "half" else data.index(b"\xff\xf8", len(data) // 2)
    cut = tmp_path / "cut.flac"
    with cut.open("wb") as out:
        subprocess.run(["head", "-c", str(end), str(whole)], stdout=out, check=True)
    assert "truncated" in probe_error(cut)


@pytest.mark.parametrize("maker", [mf.ogg_vorbis, mf.opus])
@pytest.mark.parametrize("keep", ["half", "pages"])
def test_an_ogg_cut_in_the_middle_is_refused(tmp_path: Path, maker: Maker, keep: str) -> None:
    data = maker(tmp_path, seconds=6.0).read_bytes()
    # Cut inside a page, or exactly before one: either way the stream's last page is gone.
    end = len(data) // 2 if keep == "half" else data.index(b"OggS", len(data) // 2)
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[:end])
    assert "truncated" in probe_error(cut)


def test_an_audiobook_whose_header_claims_47_hours_is_refused(tmp_path: Path) -> None:
    path = mf.m4a(tmp_path, "boek.m4b", seconds=10.0)
    data = bytearray(path.read_bytes())
    at = data.index(b"mdhd") + 4  # version 0: flags, two times, timescale, duration
    data[at + 12 : at + 20] = (1000).to_bytes(4, "big") + (47 * 3600 * 1000).to_bytes(4, "big")
    path.write_bytes(data)
    message = probe_error(path)
    assert "claims 169200 s" in message


def test_the_thinnest_real_speech_passes_the_size_floor(tmp_path: Path) -> None:
    path = tmp_path / "zacht.opus"
    speech = mf.speech_wav(tmp_path, seconds=60.0)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(speech), "-c:a", "libopus",
                    "-b:a", "6k", str(path)], check=True)  # fmt: skip
    assert probe(path).duration == pytest.approx(60.0, abs=0.1)


def test_truncated_wav_is_reported(tmp_path: Path) -> None:
    path = mf.wav(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in probe_error(path)


def test_id3_header_with_garbage_size(tmp_path: Path) -> None:
    path = mf.mp3_tagged(tmp_path, "v2.3")
    data = bytearray(path.read_bytes())
    data[6:10] = b"\x7f\x7f\x7f\x7f"  # a tag "larger" than the file
    path.write_bytes(bytes(data))
    assert "damaged ID3 tag" in probe_error(path)


def test_five_megabyte_cover_does_not_disturb_probe(tmp_path: Path) -> None:
    from mediafeed.media.frames import EpisodeTags
    from mediafeed.media.tags import write_tags

    path = mf.mp3_vbr(tmp_path)
    expected = probe(path).duration
    cover = mf.noise_png(tmp_path).read_bytes()
    assert len(cover) > 5_000_000
    write_tags(path, EpisodeTags(title="Big art", cover=cover, cover_mime="image/png"))
    assert probe(path).duration == pytest.approx(expected, abs=0.001)


# -- MPEG audio: every version and layer, walked fast ------------------------------------


def encoded(tmp_path: Path, name: str, *args: str) -> Path:
    """The test speech encoded by `args`: a lame command line, or ffmpeg output options."""
    source, out = mf.wav(tmp_path, seconds=3.0), tmp_path / name
    if args[0] == "lame":
        command = [*args, str(source), str(out)]
    else:
        command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), *args, str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return out


# name: encoder; MPEG-2 and 2.5 halve the samples per Layer III frame, Layer II keeps 1152.
MPEG_AUDIO = {
    "mpeg2-layer3": ("lame", "--quiet", "--resample", "22.05", "-b", "32"),
    "mpeg2-layer3-no-xing": ("lame", "--quiet", "-t", "--resample", "16", "-b", "24"),
    "mpeg2.5-layer3-no-xing": ("lame", "--quiet", "-t", "--resample", "8", "-V", "9"),
    "mpeg1-layer2": ("-c:a", "mp2", "-b:a", "96k", "-f", "mp2"),
    "mpeg2-layer2": ("-c:a", "mp2", "-ar", "24000", "-b:a", "48k", "-f", "mp2"),
}


@pytest.mark.parametrize("name", MPEG_AUDIO)
def test_mpeg_audio_duration_matches_the_decoder(tmp_path: Path, name: str) -> None:
    path = encoded(tmp_path, f"{name}.mp3", *MPEG_AUDIO[name])
    info = probe(path)
    assert (info.mime_type, info.codec) == ("audio/mpeg", "mp3")
    assert info.duration == pytest.approx(decoded_duration(path), abs=0.05)


@pytest.mark.parametrize("name", MPEG_AUDIO)
def test_mpeg_audio_sample_rate_matches_ffprobe(tmp_path: Path, name: str) -> None:
    path = encoded(tmp_path, f"{name}.mp3", *MPEG_AUDIO[name])
    assert probe(path).sample_rate == int(audio_stream(path)["sample_rate"])


def test_mp3_larger_than_a_read_block_is_walked_to_its_end(tmp_path: Path) -> None:
    # Whole frames repeated stay one valid stream; 3 MB spans several 1 MiB reads.
    one = mf.mp3_no_xing(tmp_path, seconds=6.0).read_bytes()
    path = tmp_path / "long.mp3"
    path.write_bytes(one * (3_000_000 // len(one) + 1))
    assert probe(path).duration == pytest.approx(decoded_duration(path), abs=0.05)


def test_vbr_mp3_larger_than_a_read_block_without_xing(tmp_path: Path) -> None:
    one = mf.mp3_no_xing(tmp_path, vbr=True, seconds=6.0).read_bytes()
    path = tmp_path / "long.mp3"
    path.write_bytes(one * (2_500_000 // len(one) + 1))
    assert probe(path).duration == pytest.approx(decoded_duration(path), abs=0.05)


def test_adts_aac_behind_an_id3_tag_stays_aac(tmp_path: Path) -> None:
    path = encoded(
        tmp_path,
        "tagged.aac",
        "-c:a",
        "aac",
        "-f",
        "adts",
        "-write_id3v2",
        "1",
        "-metadata",
        "title=Tagged AAC",
    )
    assert path.read_bytes().startswith(b"ID3")
    info = probe(path)
    assert (info.mime_type, info.codec) == ("audio/aac", "aac")


@pytest.mark.parametrize(
    "maker",
    [mf.mp3_cbr, mf.mp3_vbr, mf.mp3_no_xing, functools.partial(mf.mp3_tagged, version="v2.4")],
)
def test_mp3_is_not_read_as_aac_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, maker: Maker
) -> None:
    # The ADTS parser searches every MP3 for a sync word: most of a probe's cost.
    tried: list[str] = []

    class Watched(media.AAC):  # type: ignore[misc]
        def __init__(self, path: Path) -> None:
            tried.append(str(path))
            super().__init__(path)

    monkeypatch.setattr(
        media,
        "_PARSERS",
        tuple(Watched if parser is media.AAC else parser for parser in media._PARSERS),
    )
    monkeypatch.setattr(
        media,
        "_MPEG_FIRST",
        tuple(Watched if parser is media.AAC else parser for parser in media._MPEG_FIRST),
    )
    assert (probe(maker(tmp_path)).codec, tried) == ("mp3", [])
