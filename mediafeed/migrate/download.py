"""HTTP reads for import: a size-capped feed fetch and resumable, size-checked media downloads."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from mediafeed import __version__
from mediafeed.errors import FeedError, MediaError

MAX_FEED_BYTES = 32 * 1024 * 1024  # the largest real feeds are a few megabytes
MAX_SIDECAR_BYTES = 4 * 1024 * 1024  # chapters JSON, transcripts, cover art
MAX_MEDIA_BYTES = 8 * 1024**3
TIMEOUT = 30.0
HEAD_TIMEOUT = 10.0  # a HEAD request only fills in a length the feed left out
CHUNK = 1 << 16
USER_AGENT = f"mediafeed/{__version__} (podcast import)"


def _open(  # type: ignore[no-untyped-def]
    url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
    method: str = "GET",
):
    parts = urlsplit(url)  # only plain web URLs: no file:, ftp: or data: tricks in a feed
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise FeedError(f"{url!r} is not an http(s) URL", path=url)
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, **(headers or {})}, method=method
    )
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - scheme checked
    except urllib.error.HTTPError as exc:
        raise FeedError(f"the server answered {exc.code} {exc.reason}", path=url) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise FeedError(f"cannot reach the server: {reason}", path=url) from None


def read_limited(source: str, *, max_bytes: int = MAX_FEED_BYTES) -> bytes:
    """The bytes of a URL or local file, refusing anything larger than `max_bytes` before
    holding it in memory."""
    if "://" not in source:
        path = Path(source)
        try:
            _refuse_larger(path.stat().st_size, max_bytes, path)
            return path.read_bytes()
        except OSError as exc:
            raise FeedError(exc.strerror or "cannot read", path=path) from None
    with _open(source) as response:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit():
            _refuse_larger(int(declared), max_bytes, source)
        try:
            data: bytes = response.read(max_bytes + 1)
        except OSError as exc:
            raise FeedError(f"the download broke off: {exc}", path=source) from None
    if len(data) > max_bytes:
        raise FeedError(f"is larger than {max_bytes / 1e6:.0f} MB; refused", path=source)
    return data


def _refuse_larger(size: int, max_bytes: int, source: str | Path) -> None:
    if size > max_bytes:
        raise FeedError(
            f"is {size / 1e6:.0f} MB; a feed larger than {max_bytes / 1e6:.0f} MB is refused",
            path=source,
        )


def head_length(url: str) -> int | None:
    """The size the server gives for `url` (HEAD, redirects followed), None if it gives none."""
    try:
        with _open(url, timeout=HEAD_TIMEOUT, method="HEAD") as response:
            declared = response.headers.get("Content-Length") or ""
    except FeedError:
        return None
    return int(declared) if declared.isdigit() and int(declared) > 0 else None


def download(url: str, target: Path, *, advance: Callable[[int], None]) -> Path:
    """Fetch `url` into `target`, resuming a partial `<target>.part` with a Range request;
    the file appears under its name only once it is complete and its size checks out."""
    if target.is_file():
        return target
    partial = target.with_name(f"{target.name}.part")
    have = partial.stat().st_size if partial.is_file() else 0
    try:
        response = _open(url, headers={"Range": f"bytes={have}-"} if have else {})
    except FeedError as exc:
        if not have or "416" not in exc.message:
            raise MediaError(exc.message, path=url) from None
        response = None  # the partial file is already whole
    if response is not None:
        with response:
            resumed = response.status == 206
            total = _total_size(response, have if resumed else 0)
            if total is not None and total > MAX_MEDIA_BYTES:
                raise MediaError(f"is {total / 1e9:.1f} GB; refused", path=url)
            if not resumed:
                have = 0
            advance(have)
            target.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("ab" if resumed else "wb") as handle:
                try:
                    while chunk := response.read(CHUNK):
                        handle.write(chunk)
                        have += len(chunk)
                        advance(len(chunk))
                        if have > MAX_MEDIA_BYTES:
                            raise MediaError("larger than the media size limit", path=url)
                except OSError as exc:
                    raise MediaError(
                        f"the download broke off at {have} bytes ({exc}); run "
                        "the import again to resume",
                        path=url,
                    ) from None
        if total is not None and have != total:
            raise MediaError(
                f"got {have} of {total} bytes; run the import again to resume", path=url
            )
    os.replace(partial, target)
    return target


def _total_size(response, offset: int) -> int | None:  # type: ignore[no-untyped-def]
    """The full size of the object, from Content-Range when resuming, else Content-Length."""
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None
