"""`mediafeed normalize`: a loudness-normalized copy becomes the episode's media; the file
it was made from stays in media/, byte for byte, and the episode file names it."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path, PurePosixPath

from mediafeed.commands.show import public_links
from mediafeed.commands.unpublish import find_episode, here_first
from mediafeed.episodes import episode_fields, render_episode_file, write_text_atomic
from mediafeed.errors import MediaError
from mediafeed.facts import note_written
from mediafeed.media.encode import Tick, normalize
from mediafeed.media.probe import probe
from mediafeed.media.tags import write_tags
from mediafeed.model import Episode, Show
from mediafeed.output import temp_beside
from mediafeed.tagging import episode_tags


def normalize_episode(show: Show, slug: str, *, tick: Tick | None = None) -> Episode:
    """Normalize the episode's original (again, from the original, when it was normalized
    before: no loss piles up) into `<name>-normalized<ext>`, tag it as `tag` would, and
    point the episode file at it. The copy is complete and tagged before it is renamed
    into place, and the episode file is written last."""
    episode = here_first(find_episode(show, slug))
    path = episode.source
    name = (episode.normalized.original if episode.normalized else None) or episode.audio
    original = show.root / name
    if not original.is_file():
        raise MediaError("media file not found", path=original)
    info = probe(original)
    if episode.normalized and info.sha256 != episode.normalized.original_sha256:
        raise MediaError(
            f"is not the original {path.name} names (its sha256 differs)", path=original
        )
    pure = PurePosixPath(name)
    target_name = str(
        pure.with_name(f"{pure.stem.removesuffix('-normalized')}-normalized{pure.suffix.lower()}")
    )
    target = show.root / target_name
    fd, temp = temp_beside(target.parent, f".{target.name}.", pure.suffix.lower())
    os.close(fd)
    placed = False
    try:
        loudness, applied = normalize(
            original,
            Path(temp),
            suffix=pure.suffix.lower(),
            target=show.loudness,
            probed=info,
            tick=tick,
        )
        applied = replace(applied, original=name)
        changed = replace(episode, audio=target_name, loudness=loudness, normalized=applied)
        # Tags, cover and chapters are the episode's, written as `tag` writes them.
        write_tags(Path(temp), episode_tags(show, changed, links=public_links(show)))
        after = probe(Path(temp))
        changed = replace(changed, media=replace(after, is_video=info.is_video))
        os.replace(temp, target)
        placed = True
        note_written(show.root, target, after)
        write_text_atomic(path, render_episode_file(episode_fields(changed), episode.notes))
        return changed
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        if placed and target_name != episode.audio:
            target.unlink(missing_ok=True)
        raise
