"""Whether a FLAC file still holds the samples its header counts (a cut-off copy keeps the
STREAMINFO of the whole): every frame header numbers its place in the stream and a CRC-16
covers each frame, so the last verified frame says where the audio ends."""

from __future__ import annotations

import io

# The last frame starts within this many bytes of the end (a frame is at most 16 KiB for
# any block of 4,608 samples of 16-bit stereo; far larger ones do not occur).
_TAIL = 1 << 18


def _crc_table(poly: int, width: int) -> tuple[int, ...]:
    top, mask, table = 1 << (width - 1), (1 << width) - 1, []
    for byte in range(256):
        crc = byte << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly if crc & top else crc << 1) & mask
        table.append(crc)
    return tuple(table)


_CRC8, _CRC16 = _crc_table(0x07, 8), _crc_table(0x8005, 16)  # FLAC's CRC-8 and CRC-16


def _crc(data: bytes | memoryview, table: tuple[int, ...], width: int) -> int:
    crc, mask, shift = 0, (1 << width) - 1, width - 8
    for byte in data:
        crc = ((crc << 8) & mask) ^ table[(crc >> shift) ^ byte]
    return crc


def _header(data: bytes, at: int, min_block: int) -> tuple[int, int] | None:
    """(first sample, samples) of a frame header at `at` whose CRC-8 holds, else None."""
    if data[at + 3] & 1 or not data[at + 2] >> 4:  # reserved bit; reserved block size code
        return None
    lead, pos = data[at + 4], at + 5
    length = next((n for n in range(7) if not lead & (0x80 >> n)), 7)  # UTF-8-style number
    if length == 1 or length == 7:
        return None
    number = lead & (0x7F >> length) if length else lead
    for byte in data[pos : pos + max(length - 1, 0)]:
        if byte >> 6 != 0b10:
            return None
        number, pos = number << 6 | byte & 0x3F, pos + 1
    code, rate = data[at + 2] >> 4, data[at + 2] & 0xF
    if rate == 15:
        return None
    end = pos + (code == 6) + 2 * (code == 7) + (rate == 12) + 2 * (rate in (13, 14))
    if end >= len(data) or _crc(data[at:end], _CRC8, 8) != data[end]:
        return None
    if code == 6 or code == 7:
        samples = int.from_bytes(data[pos : pos + (code - 5)], "big") + 1
    else:
        samples = 192 if code == 1 else 576 << (code - 2) if code <= 5 else 256 << (code - 8)
    first = number if data[at + 1] & 1 else number * min_block
    return first, samples


def samples_present(handle: io.BufferedIOBase, size: int, min_block: int) -> int | None:
    """Samples up to the end of the stream's last whole frame; None when the file ends
    inside a frame (cut off), or holds no frame the search could verify."""
    start = max(size - _TAIL, 0)
    handle.seek(start)
    data = handle.read(size - start)
    if data[-128:-125] == b"TAG":  # an ID3v1 tag some tools append after the audio
        data = data[:-128]
    at, tried = len(data), 0
    # The last header whose CRC-8 holds starts the last frame, but for a sync pattern its
    # data may happen to hold: a second one settles it.
    while tried < 2 and (at := data.rfind(b"\xff", 0, at)) >= 0:
        if at + 6 < len(data) and data[at + 1] in (0xF8, 0xF9):
            frame = _header(data, at, min_block)
            if frame is None:
                continue
            tried += 1
            if _crc(data[at:-2], _CRC16, 16) == int.from_bytes(data[-2:], "big"):
                return frame[0] + frame[1]
    return None
