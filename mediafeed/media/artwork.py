"""Artwork in the sizes apps ask for (podcast:images), made with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

from mediafeed.errors import MediafeedError


def resized_jpeg(source: Path, width: int) -> bytes:
    """A square JPEG `width` pixels wide, in RGB (Apple refuses CMYK and alpha)."""
    # Imported here: a build that reuses its variants never needs Pillow.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(source) as image:
            image.load()
            rgb = image.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise MediafeedError(f"cannot read the image: {exc}", path=source) from None
    side = min(rgb.size)
    left, top = (rgb.width - side) // 2, (rgb.height - side) // 2
    square = rgb.crop((left, top, left + side, top + side))
    resized = square.resize((width, width), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    resized.save(out, "JPEG", quality=88, optimize=True, progressive=True)
    return out.getvalue()
