"""MP4 boxes mutagen does not read for us: the track layout, the AAC decoder config, and
the length of a fragmented file (`moof` boxes), which its header does not state."""

from __future__ import annotations

import io
import struct
from collections import defaultdict

from mutagen.mp4 import Atoms  # type: ignore[attr-defined]  # mutagen's box reader
from mutagen.mp4._as_entry import ES_Descriptor  # the esds parser MP4Info itself uses


def layout(handle: io.BufferedIOBase) -> tuple[bool, int]:
    """Whether any track is video, and where the last top-level box ends."""
    handle.seek(0)
    atoms = Atoms(handle)
    end = max((atom.offset + atom.length for atom in atoms.atoms), default=0)
    handlers = atoms[b"moov"].findall(b"hdlr", True) if b"moov" in atoms else ()
    # hdlr payload: version and flags, pre_defined, then the handler type.
    has_video = any(hdlr.read(handle)[1][8:12] == b"vide" for hdlr in handlers)
    return has_video, end


def aac_lc_channel_config(handle: io.BufferedIOBase) -> int | None:
    """channelConfiguration of the first AAC-LC track, from its esds decoder config."""
    handle.seek(0)
    atoms = Atoms(handle)
    stsds = atoms[b"moov"].findall(b"stsd", True) if b"moov" in atoms else ()
    entries = [stsd.read(handle)[1][8:] for stsd in stsds]  # after version, flags, count
    for entry in entries:
        # An ISO mp4a sample entry: box header, 28 bytes of fields, then its esds child box.
        if entry[4:8] != b"mp4a" or entry[40:44] != b"esds" or entry[48:49] != b"\x03":
            continue
        try:
            es = ES_Descriptor.parse(io.BytesIO(entry[49:]))  # type: ignore[no-untyped-call]
        except Exception:  # noqa: BLE001  # an unreadable config leaves mutagen's value
            continue
        config = es.decConfigDescr.decSpecificInfo
        if config is not None and config.audioObjectType == 2:
            return int(config.channelConfiguration)
    return None


def media_data_bytes(handle: io.BufferedIOBase) -> int:
    """Bytes in the file's top-level media data boxes: the audio and video themselves."""
    handle.seek(0)
    return sum(atom.length for atom in Atoms(handle).atoms if atom.name == b"mdat")


def fragmented_duration(handle: io.BufferedIOBase) -> float | None:
    """Seconds of the sound track summed over its fragments' samples, or None without
    fragments: the moov states only what precedes them, so mutagen's length falls short."""
    handle.seek(0)
    atoms = Atoms(handle)
    fragments = [atom for atom in atoms.atoms if atom.name == b"moof"]
    if not fragments or b"moov" not in atoms:
        return None
    moov = atoms[b"moov"]
    scales: dict[int, int] = {}
    defaults: dict[int, int] = {}
    sound = None
    for trak in moov.findall(b"trak"):
        # tkhd and mdhd: version 1 widens the two times before the field we want to 64 bits.
        tkhd, mdhd = _full(handle, trak[b"tkhd",]), _full(handle, trak[b"mdia", b"mdhd"])
        track = struct.unpack(">I", tkhd[12:16] if tkhd[0] == 0 else tkhd[20:24])[0]
        scales[track] = struct.unpack(">I", mdhd[12:16] if mdhd[0] == 0 else mdhd[20:24])[0]
        if sound is None and _full(handle, trak[b"mdia", b"hdlr"])[8:12] == b"soun":
            sound = track
    for mvex in moov.findall(b"mvex"):
        data, at = _full(handle, mvex), 0
        while at + 8 <= len(data):  # its boxes: mehd, then one trex per track
            size, name = struct.unpack(">I4s", data[at : at + 8])
            if name == b"trex" and at + 24 <= len(data):
                track, _, duration = struct.unpack(">III", data[at + 12 : at + 24])
                defaults[track] = duration
            at += max(size, 8)
    ticks: dict[int, int] = defaultdict(int)
    for moof in fragments:
        for traf in moof.findall(b"traf"):
            track, default = _fragment_header(_full(handle, traf[b"tfhd",]), defaults)
            for trun in traf.findall(b"trun"):
                ticks[track] += _run_ticks(_full(handle, trun), default)
    lengths = {track: ticks[track] / scales[track] for track in ticks if scales.get(track)}
    return lengths[sound] if sound in lengths else max(lengths.values(), default=None)


def _full(handle: io.BufferedIOBase, atom: object) -> bytes:
    """A box's payload, from its version byte on."""
    ok, data = atom.read(handle)  # type: ignore[attr-defined]
    if not ok:
        raise ValueError("a box runs past the end of the file")
    return bytes(data)


def _fragment_header(tfhd: bytes, defaults: dict[int, int]) -> tuple[int, int]:
    """The track a fragment belongs to, and its default sample duration (ISO 14496-12)."""
    flags = int.from_bytes(tfhd[1:4], "big")
    track = struct.unpack(">I", tfhd[4:8])[0]
    at = 8 + (8 if flags & 0x1 else 0) + (4 if flags & 0x2 else 0)
    default = struct.unpack(">I", tfhd[at : at + 4])[0] if flags & 0x8 else defaults.get(track, 0)
    return track, default


def _run_ticks(trun: bytes, default: int) -> int:
    """The summed durations of a track run's samples, in its track's timescale."""
    flags = int.from_bytes(trun[1:4], "big")
    count = int.from_bytes(trun[4:8], "big")
    if not flags & 0x100:
        return count * default
    at = 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    step = 4 * bin(flags & 0xF00).count("1")
    if at + step * count > len(trun):
        raise ValueError("a track run holds fewer samples than it counts")
    return sum(struct.unpack_from(">I", trun, at + step * i)[0] for i in range(count))
