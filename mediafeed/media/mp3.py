"""MPEG audio frame headers decoded from their four bytes, to walk a whole stream quickly."""

# mutagen reads frame headers one at a time (a bit reader, a seek and a Xing/VBRI look-up
# per frame), so walking the 230,000 frames of a 100 MB MP3 with it takes seconds. Here one
# table keyed on the header bits that matter gives each frame's length.

from __future__ import annotations

import functools
from dataclasses import dataclass

# Version bits to MPEG version; 0b01 is reserved.
_VERSIONS: dict[int, float] = {0b11: 1, 0b10: 2, 0b00: 2.5}
# Layer bits to layer; 0b00 is reserved.
_LAYERS = {0b11: 1, 0b10: 2, 0b01: 3}
# kbit/s by bitrate index 1-14; index 0 is "free format" and 15 is reserved.
_BITRATES: dict[tuple[bool, int], tuple[int, ...]] = {
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_BITRATES[(False, 3)] = _BITRATES[(False, 2)]
# Sample-rate index 0-2 by version; index 3 is reserved.
_SAMPLE_RATES: dict[float, tuple[int, int, int]] = {
    1: (44100, 48000, 32000),
    2: (22050, 24000, 16000),
    2.5: (11025, 12000, 8000),
}

_INVALID = 0  # the table's entry for what is not a frame header: the stream ends there


@dataclass(frozen=True)
class FrameHeader:
    """The fields of one MPEG audio frame header that decide its length and duration."""

    version: float  # 1, 2 or 2.5
    layer: int  # 1, 2 or 3
    bitrate: int  # bits per second
    sample_rate: int
    padding: bool
    length: int  # bytes, header included
    samples: int  # per channel


def decode_header(data: bytes) -> FrameHeader | None:
    """The header at the start of `data`, or None where mutagen would refuse it (no sync;
    a reserved version, layer, bitrate or sample rate; free format, which states no bitrate)."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return None
    version, layer = _VERSIONS.get((data[1] >> 3) & 0b11), _LAYERS.get((data[1] >> 1) & 0b11)
    bitrate_index, rate_index = data[2] >> 4, (data[2] >> 2) & 0b11
    if version is None or layer is None or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = 1000 * _BITRATES[(version == 1, layer)][bitrate_index - 1]
    sample_rate = _SAMPLE_RATES[version][rate_index]
    samples = 384 if layer == 1 else 576 if version != 1 and layer == 3 else 1152
    padding = bool(data[2] & 0b10)
    # Bytes per frame: samples / 8 bits * bitrate / sample rate, rounded down, plus one
    # byte of padding when the encoder needed it to keep the average bitrate exact. For
    # Layer I that counts four-byte slots, as mutagen reads it (ISO 11172-3 counts 12 *
    # bitrate / sample rate of them): probing has always walked Layer I with its lengths.
    length = (samples // 8 * bitrate // sample_rate + padding) * (4 if layer == 1 else 1)
    return FrameHeader(version, layer, bitrate, sample_rate, padding, length, samples)


class FrameWalk:
    """Counts whole frames back to back from `start`, fed the file in order in blocks of any
    size (so it shares one read with hashing or copying). It stops at the first byte that is
    not a frame header, or at a frame the file's `size` bytes hold only part of. `count` and
    `end` (the byte after the last whole frame) are the walk so far."""

    def __init__(self, start: int, size: int) -> None:
        self.count = 0
        self.end = start
        self.size = size
        self.stopped = False  # the walk has ended: later bytes cannot change it
        self._head = b""  # the first bytes of a header cut by the end of the last block

    def feed(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        """Walk on through `data`, the file's bytes from `offset`, which follow the last."""
        if self.stopped:
            return
        if self._head:  # the last block ended inside a header: walk on from its start
            data, offset = self._head + bytes(data), offset - len(self._head)
            self._head = b""
        position = self.end - offset
        if position < 0:
            raise ValueError(f"bytes from {offset} fed, but the walk is at {self.end}")
        if isinstance(data, memoryview) and position < len(data):
            data = data.tobytes()  # indexed twice as fast; the copy costs a few per cent of that
        lengths = _length_table()
        count, limit, stop = self.count, self.size - offset, len(data) - 2
        while position < stop:
            if data[position] != 0xFF:
                return self._stop(count, offset + position)
            length = lengths[data[position + 1] << 8 | data[position + 2]]
            if length == _INVALID or position + length > limit:
                return self._stop(count, offset + position)
            position += length
            count += 1
        self.count, self.end = count, offset + position
        if position < len(data):
            self._head = bytes(data[position:])

    def _stop(self, count: int, end: int) -> None:
        self.count, self.end, self.stopped = count, end, True


@functools.cache
def _length_table() -> tuple[int, ...]:
    """Frame length by a header's second and third bytes (the fourth changes no length),
    `_INVALID` where they are not a frame header's: one look-up a frame."""
    by_bits = []  # by the 11 bits that decide the length: version, layer, bitrate, rate, padding
    for key in range(1 << 11):
        second, third = 0xE0 | (key >> 7) << 1, (key & 0x7F) << 1
        header = decode_header(bytes((0xFF, second, third, 0)))
        by_bits.append(_INVALID if header is None else header.length)
    table = [_INVALID] * (0xE0 << 8)  # second bytes without all three sync bits
    for second in range(0xE0, 0x100):
        start = (second & 0x1E) << 6
        # By the third byte: its last bit (private) changes nothing.
        table += [length for length in by_bits[start : start + 128] for _ in (0, 1)]
    return tuple(table)
