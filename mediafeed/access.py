"""The check rules for text alternatives: a public episode's transcript, required where the
show says the law requires it (WCAG 2.1 success criterion 1.2.1, through EN 301 549)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from mediafeed.model import Episode, Show, Status


def transcript_rules(
    show: Show, episodes: Iterable[Episode], now: dt.datetime
) -> Iterator[tuple[str, str, str, str]]:
    """Rule, path, field and message for each public episode without a reviewed transcript:
    with `require_transcript` a missing one is an error and a draft a warning; without it,
    a missing one is a warning."""
    for ep in episodes:
        if ep.status(now) is not Status.PUBLISHED:
            continue  # what is not public needs no text alternative yet
        if not (ep.transcript or ep.transcript_url):
            criterion = (
                "1.2.2 asks captions for video"
                if ep.media.is_video
                else ("1.2.1 asks a text alternative for recorded audio")
            )
            rule = "transcript-required" if show.require_transcript else "transcript-missing"
            yield rule, ep.source_file, "transcript", f"no transcript: WCAG 2.1 SC {criterion}"
        elif show.require_transcript and ep.transcript_status == "draft":
            message = "the transcript is a draft made by speech recognition, not yet reviewed"
            yield "transcript-draft", ep.source_file, "transcript_status", message
