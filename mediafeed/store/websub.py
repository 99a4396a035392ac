"""WebSub: telling the show's hubs that feed.xml changed, so apps that subscribed there
fetch it at once instead of at their next poll. A hub that fails never fails a publish."""

from __future__ import annotations

import time
from collections.abc import Sequence
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from mediafeed import __version__

TIMEOUT_SECONDS = 3.0
ATTEMPTS = 2
RETRY_PAUSE_SECONDS = 1.0


def ping_hubs(hubs: Sequence[str], feed_url: str) -> list[str]:
    """The WebSub publish ping to each hub; a warning for each that did not take it."""
    body = urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode("ascii")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": f"mediafeed/{__version__}",
    }
    warnings = []
    for hub in hubs:
        problem = _ping(Request(hub, data=body, headers=headers, method="POST"))
        if problem:
            warnings.append(
                f"WebSub hub {hub} was not told of the new feed ({problem}); "
                "apps will find it at their next poll"
            )
    return warnings


def _ping(request: Request) -> str | None:
    """None once the hub accepts (any 2xx), else what went wrong at the last attempt."""
    problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(RETRY_PAUSE_SECONDS)
        try:
            with urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) only, checked in config)
                if 200 <= response.status < 300:
                    return None
                problem = f"it answered {response.status}"
        except HTTPError as exc:
            problem = f"it answered {exc.code}"
            if 400 <= exc.code < 500 and exc.code != 429:
                return problem  # the hub refuses this request: asking again changes nothing
        except (URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            problem = "no answer in time" if isinstance(reason, TimeoutError) else str(reason)
    return problem
