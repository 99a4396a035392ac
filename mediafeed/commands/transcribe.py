"""`mediafeed transcribe`: a draft WebVTT transcript of each episode, made on this machine.

A run can be stopped at any moment and started again: the finished cues are kept in the
cache (on Ctrl-C all of them, after a crash those of all but the last few seconds), under
the media's content hash, the model, the language and (through `memo_key`) the code, and
the next run carries on after the last one. The transcript and
the episode file are written only once the whole media is done, each whole or not at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from mediafeed.cache import Cache, memo_key
from mediafeed.commands.unpublish import find_episode, here_first
from mediafeed.episodes import episode_fields, render_episode_file, write_text_atomic
from mediafeed.errors import EpisodeError, MediaError
from mediafeed.model import Episode, Show
from mediafeed.render.transcripts import webvtt
from mediafeed.speech import load_model, model_location, recognize

COMMIT_SECONDS = 10.0  # how much recognition a crash may lose at most
PARTIAL = "transcribing"  # the cache's kind for the cues of a run not yet finished
TRANSCRIPTS = "transcripts"  # the folder of the show the drafts go into

# Told (seconds done, seconds in all) as the work goes on; the CLI draws a bar with it.
OnProgress = Callable[[float, float], None]


@dataclass(frozen=True)
class Transcribed:
    episode: Episode
    cues: int
    resumed_at: float  # seconds already done by an earlier, stopped run (0: a fresh start)


def transcribe_episodes(
    show: Show, slugs: list[str], *, force: bool = False, on_progress: OnProgress | None = None
) -> list[Transcribed]:
    """Draft a transcript for each episode; one reviewed by the producer (or written by
    hand) is kept unless `force`. The model loads once, after every episode was found."""
    episodes = [_episode(show, slug, force=force) for slug in slugs]
    model = load_model(show.root, show.transcribe_model)
    done = []
    with Cache(show.root) as cache:
        for episode in episodes:
            done.append(_transcribe(show, episode, model, cache, on_progress))
    return done


def _episode(show: Show, slug: str, *, force: bool) -> Episode:
    episode = here_first(find_episode(show, slug))
    if episode.transcript and episode.transcript_status != "draft" and not force:
        raise EpisodeError(
            f"has a transcript not made by 'transcribe' ({episode.transcript}); "
            "pass --force to replace it with a new draft",
            path=episode.source,
            field="transcript",
        )
    if not episode.audio or not (show.root / episode.audio).is_file():
        raise MediaError("media file not found", path=show.root / (episode.audio or slug))
    return episode


def _transcribe(
    show: Show, episode: Episode, model: Any, cache: Cache, on_progress: OnProgress | None
) -> Transcribed:
    media = show.root / episode.audio
    key = memo_key(
        "transcribe",
        cache.sha256(media),
        model_location(show.root, show.transcribe_model),
        show.language,
    )
    found = cache.get(PARTIAL, key)
    cues: list[list[Any]] = list(found) if isinstance(found, list) else []
    resumed_at = float(cues[-1][1]) if cues else 0.0
    prompt = " ".join(str(cue[2]) for cue in cues[-8:]) or None
    duration, recognized = recognize(
        model, media, language=show.language, start=resumed_at, prompt=prompt
    )
    if on_progress is not None:
        on_progress(resumed_at, duration)
    committed = time.monotonic()
    for cue in recognized:
        if cue.text:
            cues.append([cue.start, min(cue.end, duration), cue.text])
            cache.put(PARTIAL, key, cues)
            # Ctrl-C leaves through the cache's close, which commits every cue so far; a
            # commit now and then keeps most of them through a crash too, where one per
            # cue would wait on the disk a quarter of the time recognition takes.
            if time.monotonic() - committed > COMMIT_SECONDS:
                cache.commit()
                committed = time.monotonic()
        if on_progress is not None:
            on_progress(min(cue.end, duration), duration)
    name = f"{TRANSCRIPTS}/{episode.slug}.vtt"
    text = webvtt([(float(a), float(b), str(c)) for a, b, c in cues], show.language)
    write_text_atomic(show.root / name, text)
    drafted = replace(
        episode, transcript=name, transcript_status="draft", transcript_model=show.transcribe_model
    )
    write_text_atomic(episode.source, render_episode_file(episode_fields(drafted), episode.notes))
    cache.put(PARTIAL, key, [])  # done: a later run (with --force) starts afresh
    return Transcribed(drafted, len(cues), resumed_at)
