"""Tag writing: every format reads back its tags, audio stays identical, failures harm nothing."""

from __future__ import annotations

import base64
import builtins
import datetime as dt
import itertools
import json
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mutagen
import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3, ID3NoHeaderError
from mutagen.mp4 import MP4

from mediafeed.errors import TagError
from mediafeed.manifest import sha256_file
from mediafeed.media import tags as tags_module
from mediafeed.media.frames import EpisodeTags
from mediafeed.media.probe import open_media
from mediafeed.media.tags import copy_tagged, read_tags, write_tags
from mediafeed.model import Chapter
from tests import mediafactory as mf

Maker = Callable[[Path], Path]
FORMATS: dict[str, Maker] = {
    "mp3-cbr": mf.mp3_cbr,
    "mp3-vbr": mf.mp3_vbr,
    "m4a": mf.m4a,
    "mp4-video": mf.mp4_video,
    "ogg-vorbis": mf.ogg_vorbis,
    "opus": mf.opus,
    "flac": mf.flac,
    "wav": mf.wav,
}
ID3_FORMATS = ("mp3-cbr", "mp3-vbr", "wav")
MP4_FORMATS = ("m4a", "mp4-video")

CHAPTERS = (
    Chapter(0.0, "Welkom", "https://example.org/welkom"),
    Chapter(0.8, "Ontmoeting in het fysieke domein"),
    Chapter(1.5, "Tot slot", "https://example.org/slot"),
)


def episode_tags(cover: bytes | None, **changes: Any) -> EpisodeTags:
    values: dict[str, Any] = dict(
        title="Ontmoeting in het fysieke domein",
        show="Een tegen eenzaamheid",
        author="Prof. Rick Kwekkeboom & VWS",
        date=dt.datetime(2021, 11, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        description="Hoe ontmoet je elkaar in de buurt? <b>Gesprek</b> over eenzaamheid, ‘één’.",
        comment="Hier vindt u de podcast",
        season=2,
        episode=7,
        cover=cover,
        cover_mime="image/jpeg",
        feed_url="https://example.org/feed.xml",
        guid="urn:uuid:5f1c4c5e-3f0a-5c6e-9a59-2d6b1f7c8e10",
        category="Health & Fitness",
        chapters=CHAPTERS,
        language="nl",
    )
    values.update(changes)
    return EpisodeTags(**values)


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return mf.jpeg(tmp_path_factory.mktemp("art"), size=96).read_bytes()


def tagged(tmp_path: Path, name: str, cover: bytes, **changes: Any) -> Path:
    path = FORMATS[name](tmp_path)
    write_tags(path, episode_tags(cover, **changes))
    return path


def read_back(path: Path) -> dict[str, object]:
    """Our fields as mutagen reads them, whatever the format's own keys are."""
    audio: Any = mutagen.File(path)
    t = audio.tags
    if isinstance(t, ID3):
        return {
            "title": str(t["TIT2"]),
            "show": str(t["TALB"]),
            "author": str(t["TPE1"]),
            "date": str(t["TDRC"]),
            "comment": str(t["COMM::XXX"]),
            "description": str(t["TDES"]),
            "season": str(t["TPOS"]),
            "episode": str(t["TRCK"]),
            "genre": str(t["TCON"]),
            "feed": t["WFED"].url,
            "guid": str(t["TGID"]),
            "podcast": t["PCST"].value,
            "category": str(t["TCAT"]),
        }
    if isinstance(audio, MP4):
        return {
            "title": t["\xa9nam"][0],
            "show": t["\xa9alb"][0],
            "author": t["\xa9ART"][0],
            "date": t["\xa9day"][0],
            "comment": t["\xa9cmt"][0],
            "description": t["ldes"][0],
            "season": t["disk"][0][0],
            "episode": t["trkn"][0][0],
            "genre": t["\xa9gen"][0],
            "feed": t["purl"][0],
            "guid": t["egid"][0],
            "podcast": t["pcst"],
            "category": t["catg"][0],
        }
    return {
        "title": t["title"][0],
        "show": t["album"][0],
        "author": t["artist"][0],
        "date": t["date"][0],
        "comment": t["comment"][0],
        "description": t["description"][0],
        "season": t["discnumber"][0],
        "episode": t["tracknumber"][0],
        "genre": t["genre"][0],
    }


def cover_back(path: Path) -> bytes:
    audio: Any = mutagen.File(path)
    if isinstance(audio.tags, ID3):
        (apic,) = audio.tags.getall("APIC")
        return bytes(apic.data)
    if isinstance(audio, MP4):
        (covr,) = audio.tags["covr"]
        return bytes(covr)
    if isinstance(audio, FLAC):
        (picture,) = audio.pictures
        return bytes(picture.data)
    (block,) = audio.tags["metadata_block_picture"]
    return bytes(Picture(base64.b64decode(block)).data)


def comments_back(path: Path) -> list[str]:
    audio: Any = mutagen.File(path)
    if isinstance(audio.tags, ID3):
        return [str(frame) for frame in audio.tags.getall("COMM") if not frame.desc]
    if isinstance(audio, MP4):
        return list(audio.tags.get("\xa9cmt", []))
    return list(audio.tags.get("comment", []))


def ffprobe_json(path: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", *args, "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def ffprobe_tags(path: Path) -> dict[str, str]:
    data = ffprobe_json(path, "-show_entries", "format_tags:stream_tags")
    found: dict[str, str] = {}
    # Ogg keeps comments on the stream, the others on the container.
    for tag_set in [data["format"].get("tags", {})] + [s.get("tags", {}) for s in data["streams"]]:
        found.update({key.lower(): value for key, value in tag_set.items()})
    return found


def audio_fingerprint(path: Path) -> tuple[str, str]:
    """MD5 of the compressed audio packets and of the decoded PCM."""

    def md5(*options: str) -> str:
        out = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", *options, "-f", "md5", "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout.strip()

    return md5("-c", "copy"), md5()


EXPECTED_READ_BACK: dict[str, object] = {
    "title": "Ontmoeting in het fysieke domein",
    "show": "Een tegen eenzaamheid",
    "author": "Prof. Rick Kwekkeboom & VWS",
    "comment": "Hier vindt u de podcast",
    "description": "Hoe ontmoet je elkaar in de buurt? <b>Gesprek</b> over eenzaamheid, ‘één’.",
    "genre": "Podcast",
}


@pytest.mark.parametrize("name", FORMATS)
def test_tags_read_back_by_mutagen(tmp_path: Path, name: str, cover: bytes) -> None:
    back = read_back(tagged(tmp_path, name, cover))
    assert {key: back[key] for key in EXPECTED_READ_BACK} == EXPECTED_READ_BACK
    assert str(back["season"]) == "2" and str(back["episode"]) == "7"
    # Stored in UTC; mutagen shows ID3 time stamps with a space where the file has a T.
    assert str(back["date"]).replace(" ", "T").startswith("2021-11-02T09:30:00")


@pytest.mark.parametrize("name", ID3_FORMATS + MP4_FORMATS)
def test_podcast_frames_read_back_by_mutagen(tmp_path: Path, name: str, cover: bytes) -> None:
    back = read_back(tagged(tmp_path, name, cover))
    assert (back["feed"], back["guid"], bool(back["podcast"]), back["category"]) == (
        "https://example.org/feed.xml",
        "urn:uuid:5f1c4c5e-3f0a-5c6e-9a59-2d6b1f7c8e10",
        True,
        "Health & Fitness",
    )


# ffmpeg 5 does not surface the text of a WAV file's ID3 chunk (it does read its chapters).
@pytest.mark.parametrize("name", [name for name in FORMATS if name != "wav"])
def test_tags_read_back_by_ffprobe(tmp_path: Path, name: str, cover: bytes) -> None:
    found = ffprobe_tags(tagged(tmp_path, name, cover))
    wanted = {key: EXPECTED_READ_BACK[key] for key in ("title", "author", "genre")}
    assert {
        "title": found.get("title"),
        "author": found.get("artist"),
        "genre": found.get("genre"),
    } == wanted
    assert found.get("album") == "Een tegen eenzaamheid"


@pytest.mark.parametrize("name", FORMATS)
def test_cover_survives_byte_for_byte(tmp_path: Path, name: str, cover: bytes) -> None:
    assert cover_back(tagged(tmp_path, name, cover)) == cover


@pytest.mark.parametrize("name", ["mp3-vbr", "m4a", "flac", "ogg-vorbis"])
def test_cover_seen_by_ffprobe_as_attached_picture(tmp_path: Path, name: str, cover: bytes) -> None:
    streams = ffprobe_json(
        tagged(tmp_path, name, cover), "-show_entries", "stream=codec_name:stream_disposition"
    )["streams"]
    assert [s["codec_name"] for s in streams if s["disposition"]["attached_pic"]] == ["mjpeg"]


def expected_chapters(end: float) -> list[tuple[float, float, str]]:
    middle = "Ontmoeting in het fysieke domein"
    return [(0.0, 0.8, "Welkom"), (0.8, 1.5, middle), (1.5, end, "Tot slot")]


def ffprobe_chapters(path: Path) -> list[tuple[float, float, str]]:
    chapters = ffprobe_json(path, "-show_chapters")["chapters"]
    found = [
        (round(float(c["start_time"]), 3), round(float(c["end_time"]), 3), c["tags"]["title"])
        for c in chapters
    ]
    return sorted(found)


@pytest.mark.parametrize("name", ID3_FORMATS)
def test_id3_chapters_seen_by_ffprobe(tmp_path: Path, name: str, cover: bytes) -> None:
    path = tagged(tmp_path, name, cover)
    end = round(mutagen.File(path).info.length, 3)
    assert ffprobe_chapters(path) == expected_chapters(end)


def test_mp3_chapters_have_links_and_an_ordered_table_of_contents(
    tmp_path: Path, cover: bytes
) -> None:
    id3 = ID3(tagged(tmp_path, "mp3-vbr", cover))
    (toc,) = id3.getall("CTOC")
    chapters = {chap.element_id: chap for chap in id3.getall("CHAP")}
    links = [
        [frame.url for frame in chapters[child].sub_frames.getall("WXXX")]
        for child in toc.child_element_ids
    ]
    assert links == [["https://example.org/welkom"], [], ["https://example.org/slot"]]


@pytest.mark.parametrize("name", ["ogg-vorbis", "opus", "flac"])
def test_vorbis_chapters_seen_by_ffprobe(tmp_path: Path, name: str, cover: bytes) -> None:
    found = ffprobe_chapters(tagged(tmp_path, name, cover))
    starts = [(start, title) for start, _end, title in found]
    assert starts == [(start, title) for start, _end, title in expected_chapters(0)]


@pytest.mark.parametrize("name", FORMATS)
def test_audio_payload_unchanged(tmp_path: Path, name: str, cover: bytes) -> None:
    path = FORMATS[name](tmp_path)
    before = audio_fingerprint(path)
    write_tags(path, episode_tags(cover))
    assert audio_fingerprint(path) == before


@pytest.mark.parametrize("name", FORMATS)
def test_writing_the_same_tags_twice_is_byte_identical(
    tmp_path: Path, name: str, cover: bytes
) -> None:
    path = tagged(tmp_path, name, cover)
    first = path.read_bytes()
    write_tags(path, episode_tags(cover))
    assert path.read_bytes() == first


@pytest.mark.parametrize("version", ["v1", "v2.3", "v2.4"])
def test_retagging_a_file_tagged_elsewhere_is_idempotent(
    tmp_path: Path, version: str, cover: bytes
) -> None:
    path = mf.mp3_tagged(tmp_path, version)
    write_tags(path, episode_tags(cover))
    first = path.read_bytes()
    write_tags(path, episode_tags(cover))
    assert path.read_bytes() == first


def test_new_tags_replace_old_ones_without_duplicates(tmp_path: Path, cover: bytes) -> None:
    path = tagged(tmp_path, "mp3-cbr", cover)
    write_tags(path, episode_tags(cover, title="Nieuw", chapters=CHAPTERS[:1]))
    id3 = ID3(path)
    assert (id3.getall("TIT2")[0].text, len(id3.getall("APIC")), len(id3.getall("CHAP"))) == (
        ["Nieuw"],
        1,
        1,
    )


@pytest.mark.parametrize("name", ["mp3-cbr", "m4a", "flac", "opus"])
def test_an_empty_field_removes_what_was_written_before(
    tmp_path: Path, name: str, cover: bytes
) -> None:
    path = tagged(tmp_path, name, cover)
    write_tags(path, episode_tags(None, comment=""))
    with pytest.raises((KeyError, ValueError)):
        cover_back(path)
    assert comments_back(path) == []


def test_frames_of_other_tools_are_kept(tmp_path: Path, cover: bytes) -> None:
    path = mf.mp3_tagged(tmp_path, "v2.4")
    encoder = ID3(path).getall("TSSE")
    assert encoder
    write_tags(path, episode_tags(cover))
    assert ID3(path).getall("TSSE") == encoder


def test_id3v23_option_writes_version_3(tmp_path: Path, cover: bytes) -> None:
    path = mf.mp3_vbr(tmp_path)
    write_tags(path, episode_tags(cover), id3_version=3)
    assert path.read_bytes()[:4] == b"ID3\x03"
    found = ffprobe_tags(path)
    assert (found["title"], found["date"][:4]) == ("Ontmoeting in het fysieke domein", "2021")


def test_content_decides_the_tag_format(tmp_path: Path, cover: bytes) -> None:
    path = mf.m4a(tmp_path).rename(tmp_path / "mislabelled.mp3")
    write_tags(path, episode_tags(cover))
    assert MP4(path).tags["\xa9nam"] == ["Ontmoeting in het fysieke domein"]  # type: ignore[index]


def test_five_megabyte_cover_round_trips(tmp_path: Path) -> None:
    big = mf.noise_png(tmp_path).read_bytes()
    path = mf.mp3_vbr(tmp_path)
    before = audio_fingerprint(path)
    write_tags(path, episode_tags(big, cover_mime="image/png"))
    assert (cover_back(path) == big, audio_fingerprint(path)) == (True, before)


def test_file_permissions_are_kept(tmp_path: Path, cover: bytes) -> None:
    path = mf.flac(tmp_path)
    path.chmod(0o644)
    write_tags(path, episode_tags(cover))
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


# -- failures leave the original byte-identical and no temp file behind ------------------


def assert_untouched(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_failed_rename_leaves_original_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cover: bytes
) -> None:
    path = mf.mp3_vbr(tmp_path)
    before = path.read_bytes()

    def fail(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tags_module.os, "replace", fail)
    with pytest.raises(TagError, match="No space left") as caught:
        write_tags(path, episode_tags(cover))
    assert caught.value.path == str(path)
    assert_untouched(path, before)


def test_failed_tag_save_leaves_original_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cover: bytes
) -> None:
    path = mf.m4a(tmp_path)
    before = path.read_bytes()

    def fail(self: object, *args: object, **kwargs: object) -> None:
        raise mutagen.MutagenError("disk went away mid-write")

    monkeypatch.setattr(MP4, "save", fail)
    with pytest.raises(TagError, match="disk went away"):
        write_tags(path, episode_tags(cover))
    assert_untouched(path, before)


def test_unwritable_directory_is_a_tag_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cover: bytes
) -> None:
    path = mf.opus(tmp_path)
    before = path.read_bytes()

    def refuse_new_files(file: str, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "x" in mode or "w" in mode:  # as a folder the user may not write refuses them
            raise PermissionError(13, "Permission denied", file)
        return builtins.open(file, mode, *args, **kwargs)

    monkeypatch.setattr(tags_module, "open", refuse_new_files, raising=False)
    with pytest.raises(TagError, match="Permission denied") as raised:
        write_tags(path, episode_tags(cover))
    assert ".tmp" not in str(raised.value)
    assert_untouched(path, before)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("maker", [mf.png, mf.aac_adts])
def test_file_that_cannot_hold_tags_is_refused_untouched(
    tmp_path: Path, maker: Maker, cover: bytes
) -> None:
    path = maker(tmp_path)
    before = path.read_bytes()
    with pytest.raises(TagError, match="not a taggable"):
        write_tags(path, episode_tags(cover))
    assert_untouched(path, before)


def test_missing_file_is_a_tag_error(tmp_path: Path, cover: bytes) -> None:
    with pytest.raises(TagError, match="not found"):
        write_tags(tmp_path / "gone.mp3", episode_tags(cover))
    assert list(tmp_path.iterdir()) == []


def test_temp_file_lives_beside_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cover: bytes
) -> None:
    # Same directory means same file system, which is what makes os.replace atomic.
    path = mf.wav(tmp_path)
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append((os.path.dirname(src), os.path.dirname(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(tags_module.os, "replace", spy)
    write_tags(path, episode_tags(cover))
    assert seen == [(str(tmp_path), str(tmp_path))]


@pytest.mark.parametrize("name", FORMATS)
def test_read_tags_returns_what_was_written(tmp_path: Path, name: str, cover: bytes) -> None:
    found = read_tags(tagged(tmp_path, name, cover))
    assert (found.title, found.show, found.author, found.genre) == (
        "Ontmoeting in het fysieke domein",
        "Een tegen eenzaamheid",
        "Prof. Rick Kwekkeboom & VWS",
        "Podcast",
    )
    assert (found.episode, found.season, found.cover, found.cover_mime) == (
        7,
        2,
        cover,
        "image/jpeg",
    )


@pytest.mark.parametrize("name", ["mp3-cbr", "flac", "opus"])
def test_read_tags_of_an_untagged_file_is_empty(tmp_path: Path, name: str) -> None:
    found = read_tags(FORMATS[name](tmp_path))
    assert (found.title, found.episode, found.cover) == ("", None, None)


def test_read_tags_of_a_file_tagged_by_lame(tmp_path: Path) -> None:
    assert read_tags(mf.mp3_tagged(tmp_path, "v2.3")).title == "Tagged elsewhere"


# -- a tagged copy, written in one read of the source ------------------------------------


def mp3_with_a_large_tag(tmp_path: Path) -> Path:
    """An MP3 whose tag is larger than the one written next: the tag shrinks."""
    path = mf.mp3_cbr(tmp_path)
    big = mf.noise_png(tmp_path, size=400).read_bytes()
    write_tags(path, EpisodeTags(title="Old", cover=big, cover_mime="image/png"))
    return path


COPY_SOURCES: dict[str, Maker] = {
    **FORMATS,
    "mp3-no-xing": mf.mp3_no_xing,
    "mp3-id3v1": lambda tmp: mf.mp3_tagged(tmp, "v1"),
    "mp3-id3v2.3": lambda tmp: mf.mp3_tagged(tmp, "v2.3"),
    "mp3-id3v2.4": lambda tmp: mf.mp3_tagged(tmp, "v2.4"),
    "mp3-larger-old-tag": mp3_with_a_large_tag,
}


def copied(source: Path, out_path: Path, tags: EpisodeTags, **options: Any) -> tuple[int, str]:
    with open_media(source) as media, out_path.open("wb+") as out:
        return copy_tagged(media, out, tags, **options)


@pytest.mark.parametrize("id3_version", [3, 4])
@pytest.mark.parametrize("name", COPY_SOURCES)
def test_a_tagged_copy_is_the_file_tagging_in_place_gives(
    tmp_path: Path, name: str, id3_version: int, cover: bytes
) -> None:
    source = COPY_SOURCES[name](tmp_path)
    before = source.read_bytes()
    expected = tmp_path / "in-place"
    expected.write_bytes(before)
    write_tags(expected, episode_tags(cover), id3_version=id3_version)
    copy = tmp_path / "copy"
    length, sha256 = copied(source, copy, episode_tags(cover), id3_version=id3_version)
    assert copy.read_bytes() == expected.read_bytes()
    assert (length, sha256) == (copy.stat().st_size, sha256_file(copy))
    assert source.read_bytes() == before, "the source is only read"


@pytest.mark.parametrize("name", ["mp3-cbr", "mp3-id3v1", "m4a", "opus"])
def test_the_observer_sees_every_byte_of_the_audio_in_order(
    tmp_path: Path, name: str, cover: bytes
) -> None:
    source = COPY_SOURCES[name](tmp_path)
    seen: list[tuple[int, bytes]] = []
    copied(
        source,
        tmp_path / "copy",
        episode_tags(cover),
        observe=lambda offset, block: seen.append((offset, bytes(block))),
    )
    data = source.read_bytes()
    first = seen[0][0]
    assert b"".join(block for _, block in seen) == data[first:]
    assert [offset for offset, _ in seen] == list(
        itertools.accumulate((len(block) for _, block in seen[:-1]), initial=first)
    )
    assert first == (id3_size(source) if name.startswith("mp3") else 0), "all the audio is seen"


def id3_size(path: Path) -> int:
    try:
        return int(ID3(path).size)
    except ID3NoHeaderError:
        return 0


def test_a_copy_of_what_cannot_hold_tags_names_the_source(tmp_path: Path, cover: bytes) -> None:
    source = mf.aac_adts(tmp_path)
    with pytest.raises(TagError) as caught:
        copied(source, tmp_path / "copy", episode_tags(cover))
    assert caught.value.path == str(source)
