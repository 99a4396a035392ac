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


ARTWORK_MIN, ARTWORK_MAX = 1400, 3000  # pixels a side, Apple's artwork requirements


def picture_problems(path: Path) -> tuple[list[tuple[str, str]], bytes | None]:
    """Why Apple would refuse the cover at `path` (rule id, message), and the comment the
    picture carries (`init` marks its placeholder cover with one)."""
    from PIL import Image, UnidentifiedImageError

    found: list[tuple[str, str]] = []
    if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
        found.append(("artwork-format", f"{path.name!r}: Apple needs a URL ending in .jpg or .png"))
    try:
        with Image.open(path) as image:
            kind, mode, (width, height) = image.format, image.mode, image.size
            transparent = "transparency" in image.info
            comment = image.info.get("comment")
    except FileNotFoundError:
        return [*found, ("artwork-missing", f"{path.name!r} not found")], None
    except (UnidentifiedImageError, OSError) as exc:
        return [*found, ("artwork-format", f"{path.name!r} is not a picture ({exc})")], None
    if kind not in ("JPEG", "PNG"):
        found.append(("artwork-format", f"{path.name!r} is {kind}, not JPEG or PNG"))
    if width != height:
        found.append(("artwork-square", f"{width}x{height} pixels is not square"))
    if not ARTWORK_MIN <= min(width, height) <= max(width, height) <= ARTWORK_MAX:
        needs = f"Apple needs {ARTWORK_MIN} to {ARTWORK_MAX} on each side"
        found.append(("artwork-size", f"{width}x{height} pixels; {needs}"))
    if mode != "RGB" or transparent:
        alpha = " with transparency" if transparent else ""
        found.append(("artwork-color", f"colour mode {mode}{alpha}; Apple needs RGB"))
    return found, comment if isinstance(comment, bytes) else None
