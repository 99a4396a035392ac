"""The hand-written MPEG frame walk reads headers exactly as mutagen does, only faster."""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mutagen.mp3 import HeaderNotFoundError, MPEGFrame

from mediafeed.media.mp3 import FrameWalk, decode_header
from tests import mediafactory as mf

# Samples per frame by (MPEG version, layer), as ISO 11172-3 and 13818-3 define them.
SAMPLES = {
    **{(version, 1): 384 for version in (1, 2, 2.5)},
    **{(version, 2): 1152 for version in (1, 2, 2.5)},
    (1, 3): 1152,
    (2, 3): 576,
    (2.5, 3): 576,
}

# Four bytes opening with the 11 sync bits; every other field arbitrary.
synced_headers = st.tuples(st.integers(0, 0x1F), st.integers(0, 0xFF), st.integers(0, 0xFF)).map(
    lambda t: bytes((0xFF, 0xE0 | t[0], t[1], t[2]))
)


def walk_frames(
    path: Path | io.BufferedIOBase, start: int, size: int, *, block: int = 1 << 20
) -> tuple[int, int]:
    """Count whole frames back to back from `start`; return the count and the end byte.

    The walk stops at the first byte that is not a frame header, or at a frame the file
    holds only part of (the first `size` bytes count).
    """
    walk = FrameWalk(start, size)
    with contextlib.ExitStack() as stack:
        handle = path if not isinstance(path, Path) else stack.enter_context(open(path, "rb"))
        handle.seek(start)
        buffer = bytearray(max(block, 1))
        view, offset = memoryview(buffer), start
        while not walk.stopped and (filled := handle.readinto(view)):
            walk.feed(offset, view[:filled] if filled < len(buffer) else buffer)
            offset += filled
    return walk.count, walk.end


def mutagen_frame(header: bytes) -> tuple[MPEGFrame, int] | None:
    """mutagen's reading of a header, and the frame length it skips; None if it refuses."""
    handle = io.BytesIO(header)
    try:
        frame = MPEGFrame(handle)  # type: ignore[no-untyped-call]
    except HeaderNotFoundError:
        return None
    return frame, handle.tell()


def assert_agrees(header: bytes) -> None:
    ours, theirs = decode_header(header), mutagen_frame(header)
    if theirs is None:
        assert ours is None
        return
    frame, length = theirs
    assert ours is not None
    assert (ours.version, ours.layer, ours.bitrate, ours.sample_rate, ours.padding) == (
        frame.version,
        frame.layer,
        frame.bitrate,
        frame.sample_rate,
        frame.padding,
    )
    assert (ours.length, ours.samples) == (length, SAMPLES[(frame.version, frame.layer)])


@given(synced_headers)
def test_header_decodes_as_mutagen_reads_it(header: bytes) -> None:
    assert_agrees(header)


def test_every_combination_of_header_fields_decodes_as_mutagen_reads_it() -> None:
    # The fields that decide a frame sit in the 13 bits after the sync; try them all.
    for bits in range(1 << 13):
        assert_agrees(bytes((0xFF, 0xE0 | bits >> 8, bits & 0xFF, 0xC4)))


@given(st.binary(min_size=4, max_size=4))
def test_bytes_without_sync_are_no_header(data: bytes) -> None:
    if data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        assert decode_header(data) is None


def test_short_data_is_no_header() -> None:
    assert decode_header(b"\xff\xfb\x90") is None


def reference_walk(path: Path, start: int, size: int) -> tuple[int, int]:
    """Frames counted one mutagen MPEGFrame at a time, as probing did before."""
    count, end = 0, start
    with open(path, "rb") as handle:
        handle.seek(start)
        while True:
            try:
                MPEGFrame(handle)  # type: ignore[no-untyped-call]
            except HeaderNotFoundError:
                return count, end
            if handle.tell() > size:
                return count, end
            count, end = count + 1, handle.tell()


def encode(source: Path, out: Path, *args: str) -> Path:
    if args[0] == "lame":
        subprocess.run([*args, source, out], check=True, capture_output=True, timeout=120)
    else:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", source, *args, out],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out


# name: encoder command; each covers one version and layer, with and without headers.
ENCODINGS = {
    "mpeg1-layer3-cbr": ("lame", "--quiet", "-t", "-b", "64"),
    "mpeg1-layer3-vbr-xing": ("lame", "--quiet", "-V", "6"),
    "mpeg2-layer3": ("lame", "--quiet", "-t", "--resample", "22.05", "-b", "32"),
    "mpeg2.5-layer3": ("lame", "--quiet", "-t", "--resample", "8", "-V", "9"),
    "mpeg1-layer2": ("-c:a", "mp2", "-b:a", "96k", "-f", "mp2"),
    "mpeg2-layer2": ("-c:a", "mp2", "-ar", "24000", "-b:a", "48k", "-f", "mp2"),
}


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("mpeg")
    source = mf.wav(folder, seconds=3.0)
    return {name: encode(source, folder / f"{name}.mp3", *args) for name, args in ENCODINGS.items()}


def stream_start(path: Path) -> int:
    """Where the first frame starts: after any ID3v2 tag."""
    head = path.read_bytes()[:10]
    if not head.startswith(b"ID3"):
        return 0
    return 10 + (head[6] << 21 | head[7] << 14 | head[8] << 7 | head[9])


@pytest.mark.parametrize("name", ENCODINGS)
@pytest.mark.parametrize("block", [4, 417, 4096, 1 << 20])
def test_walk_counts_the_frames_mutagen_counts(
    encoded: dict[str, Path], name: str, block: int
) -> None:
    path = encoded[name]
    start, size = stream_start(path), path.stat().st_size
    walked = walk_frames(path, start, size, block=block)
    assert walked == reference_walk(path, start, size)
    assert walked[0] > 20  # a real walk, not an early stop both agree on


@pytest.mark.parametrize("name", ENCODINGS)
def test_walk_stops_before_a_cut_off_frame(
    encoded: dict[str, Path], name: str, tmp_path: Path
) -> None:
    path = tmp_path / "cut.mp3"
    data = encoded[name].read_bytes()
    path.write_bytes(data[: len(data) // 2 + 7])
    start, size = stream_start(path), path.stat().st_size
    count, end = walk_frames(path, start, size)
    assert (count, end) == reference_walk(path, start, size)
    assert end < size


@given(start=st.integers(min_value=1, max_value=4000))
def test_walk_from_inside_a_frame_finds_what_mutagen_finds(
    encoded: dict[str, Path], start: int
) -> None:
    path = encoded["mpeg1-layer3-cbr"]
    size = path.stat().st_size
    # Audio data may hold a Layer I header by chance: it is walked as mutagen walks it.
    assert walk_frames(path, start, size, block=1000) == reference_walk(path, start, size)


def test_walk_stops_at_a_trailing_id3v1_tag(tmp_path: Path) -> None:
    path = mf.mp3_tagged(tmp_path, "v1")
    size = path.stat().st_size
    count, end = walk_frames(path, stream_start(path), size)
    assert (count > 20, path.read_bytes()[end : end + 3], size - end) == (True, b"TAG", 128)


@given(cuts=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=60))
def test_a_walk_fed_from_the_files_start_in_any_blocks_counts_the_same(
    encoded: dict[str, Path], cuts: list[int]
) -> None:
    # As a probe feeds it: the whole file from byte 0, whatever blocks the reads give, to a
    # walk that starts some frames in.
    path = encoded["mpeg2.5-layer3"]
    data = path.read_bytes()
    start, size = 0, len(data)
    for _ in range(5):
        header = decode_header(data[start : start + 4])
        assert header is not None
        start += header.length
    walk, offset = FrameWalk(start, size), 0
    for cut in [*cuts, size]:
        walk.feed(offset, memoryview(data)[offset : offset + cut])
        offset = min(size, offset + cut)
    assert (walk.count, walk.end) == reference_walk(path, start, size)
