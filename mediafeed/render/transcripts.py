"""Transcripts as readable paragraphs for the episode page: WebVTT, SRT, JSON and HTML
cues joined by speaker (with the time each paragraph starts), or plain text by blank lines."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from math import inf
from pathlib import PurePosixPath

from mediafeed.errors import EpisodeError
from mediafeed.model import Episode, Show

_CUE_TIMING = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?\s*-->")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_TAG = re.compile(r"<[^>]*>")
# A turn of the namespace's HTML transcript: speaker and start time (each if known), words.
_HTML_TURN = re.compile(
    r"(?:<cite\b[^>]*>(.*?)</cite>\s*)?(?:<time\b[^>]*>(.*?)</time>\s*)?<p\b[^>]*>(.*?)</p>",
    re.S | re.I,
)
# A paragraph of cues ends at a sentence end once it is this long, and is cut regardless
# at the hard limit, so a long monologue still reads as paragraphs.
_PARAGRAPH_SOFT = 350
_PARAGRAPH_HARD = 900


@dataclass(frozen=True)
class TranscriptParagraph:
    """A block of transcript text, with where it starts in the media when known."""

    text: str
    start: float | None = None
    speaker: str | None = None


def _transcript_cues(text: str) -> list[TranscriptParagraph]:
    """Cues of a WebVTT or SRT file: both put a `start --> end` line above the cue text."""
    cues = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue  # WEBVTT header, NOTE, STYLE and REGION blocks carry no speech
        match = _CUE_TIMING.match(lines[timing])
        start = None
        if match:
            hours, minutes, secs, frac = match.groups()
            start = int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)
            start += int(frac) / 10 ** len(frac) if frac else 0
        raw = " ".join(lines[timing + 1 :])
        voice = _VOICE.search(raw)
        words = " ".join(html.unescape(_TAG.sub("", raw)).split())
        if words:
            speaker = " ".join(voice.group(1).split()) if voice else None
            cues.append(TranscriptParagraph(words, start, speaker))
    return cues


def _join_cues(cues: Sequence[TranscriptParagraph]) -> tuple[TranscriptParagraph, ...]:
    paragraphs: list[TranscriptParagraph] = []
    for cue in cues:
        last = paragraphs[-1] if paragraphs else None
        if (
            last is not None
            and (cue.speaker is None or cue.speaker == last.speaker)
            and len(last.text) < _PARAGRAPH_HARD
            and not (len(last.text) >= _PARAGRAPH_SOFT and last.text[-1] in ".!?…")
        ):
            joined = f"{last.text} {cue.text}"
            paragraphs[-1] = TranscriptParagraph(joined, last.start, last.speaker)
        else:
            paragraphs.append(cue)
    return tuple(paragraphs)


def _json_cues(text: str) -> list[TranscriptParagraph]:
    """Segments of the namespace's JSON transcript: speaker, startTime and body each."""
    try:
        segments = [s for s in json.loads(text)["segments"] if isinstance(s, dict)]
    except (ValueError, KeyError, TypeError):
        return []  # `check` names what is wrong with the file
    cues = []
    for item in segments:
        start, speaker = item.get("startTime"), item.get("speaker")
        if words := " ".join(str(item.get("body") or "").split()):
            at = float(start) if isinstance(start, int | float) and 0 <= start < inf else None
            cues.append(TranscriptParagraph(words, at, str(speaker) if speaker else None))
    return cues


def _html_cues(text: str) -> list[TranscriptParagraph]:
    cues = []
    for speaker, clock, body in _HTML_TURN.findall(text):
        who, words = (" ".join(html.unescape(_TAG.sub("", s)).split()) for s in (speaker, body))
        try:  # "1:09" or "0:01:09"
            start = sum(float(part) * 60**i for i, part in enumerate(clock.split(":")[::-1]))
        except ValueError:
            start = -1
        if words:
            at = start if clock and 0 <= start < inf else None
            cues.append(TranscriptParagraph(words, at, who.rstrip(" :") or None))
    return cues


def parse_transcript(text: str, suffix: str) -> tuple[TranscriptParagraph, ...]:
    """Readable paragraphs from a WebVTT, SRT, JSON or HTML transcript, or plain text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if suffix.lower() in {".vtt", ".srt"}:
        return _join_cues(_transcript_cues(text))
    if suffix.lower() == ".json":
        return _join_cues(_json_cues(text))
    if suffix.lower() in {".html", ".htm"} and _HTML_TURN.search(text):
        return _join_cues(_html_cues(text))
    blocks = (" ".join(block.split()) for block in re.split(r"\n[ \t]*\n", text))
    return tuple(TranscriptParagraph(block) for block in blocks if block)


def read_transcript(show: Show, episode: Episode) -> tuple[TranscriptParagraph, ...]:
    """The episode's transcript file, which must lie inside the show folder."""
    if not episode.transcript:
        return ()
    root = show.root.resolve()
    path = (root / episode.transcript).resolve()
    if not path.is_relative_to(root):
        raise EpisodeError(
            "transcript must be inside the show folder", path=episode.source, field="transcript"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise EpisodeError(
            f"cannot read transcript {episode.transcript}: {reason}",
            path=episode.source,
            field="transcript",
        ) from exc
    return parse_transcript(text, PurePosixPath(episode.transcript).suffix)


def _vtt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def webvtt(cues: Sequence[tuple[float, float, str]], language: str) -> str:
    """A WebVTT file of (start, end, text) cues; the text escaped, as cue text must be."""
    blocks = [f"WEBVTT\nLanguage: {language}"]
    for start, end, text in cues:
        words = html.escape(" ".join(text.split()), quote=False)
        if words:
            blocks.append(f"{_vtt_time(start)} --> {_vtt_time(max(end, start))}\n{words}")
    return "\n\n".join(blocks) + "\n"


def plain_transcript(show: Show, episode: Episode) -> bytes:
    """The transcript as plain text, a paragraph per speaker turn, for apps that show text
    rather than captions (the feed lists it beside the WebVTT)."""
    return "".join(
        f"{f'{p.speaker}: ' if p.speaker else ''}{p.text}\n\n"
        for p in read_transcript(show, episode)
    ).encode("utf-8")
