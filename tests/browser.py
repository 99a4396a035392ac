"""Headless Chromium for the page tests: start it, open a page, see every request it made."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
    reason="chromium and chromedriver are not installed",
)

# The browser's own resources: data: player icons, and chrome: pages such as the new-tab
# page a fresh profile may still be loading. None of them reaches a network.
BROWSER_SCHEMES = frozenset({"data", "chrome", "chrome-extension", "about", "blob"})

AUDIO_READY = (
    "const a = document.querySelector('audio');"
    "return a !== null && a.readyState >= 1 && {readyState: a.readyState,"
    " duration: a.duration, src: a.currentSrc};"
)


@contextlib.contextmanager
def chromium(profile_dir: Path) -> Iterator[Any]:
    """A headless Chromium with a throwaway profile that logs its network events."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
        # Lets a test press play from a script, as a listener would by clicking.
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={profile_dir}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


def network_events(driver: Any) -> list[dict[str, Any]]:
    """Chrome's network events since the last call (reading the log empties it)."""
    events = (json.loads(entry["message"])["message"] for entry in driver.get_log("performance"))
    return [event for event in events if event["method"].startswith("Network.")]


def open_page(driver: Any, url: str) -> None:
    network_events(driver)
    driver.get(url)


def wait_for(driver: Any, script: str, timeout: float = 15) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


@dataclass(frozen=True)
class PageLoad:
    """What a page asked the network for while it loaded, and what went wrong."""

    requested: list[str]
    resources: list[str]
    failed: list[dict[str, Any]]
    errors: list[tuple[str, int]]

    def hosts(self) -> set[str | None]:
        return {urlsplit(url).hostname for url in [*self.requested, *self.resources]}


def load_with_audio(driver: Any, url: str) -> PageLoad:
    """Open a page with a player, wait until the player has metadata, and collect the
    requests made on the way."""
    open_page(driver, url)
    wait_for(driver, AUDIO_READY)
    wait_for(driver, "return document.readyState === 'complete'")
    events = network_events(driver)
    # Every request the page sent, redirects included; the browser's own are left out.
    sending = [
        e
        for e in events
        if e["method"] == "Network.requestWillBeSent"
        and urlsplit(e["params"]["request"]["url"]).scheme not in BROWSER_SCHEMES
    ]
    sent = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in sending}
    ours = [e for e in events if e["params"].get("requestId") in sent]
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    # A media element cancels its own metadata fetch once it has enough; that is no failure.
    failed = [
        {"url": sent[e["params"]["requestId"]], **e["params"]}
        for e in ours
        if e["method"] == "Network.loadingFailed" and not e["params"].get("canceled")
    ]
    errors = [
        (e["params"]["response"]["url"], e["params"]["response"]["status"])
        for e in ours
        if e["method"] == "Network.responseReceived" and e["params"]["response"]["status"] >= 400
    ]
    requested = [e["params"]["request"]["url"] for e in sending]
    return PageLoad(requested, resources, failed, errors)


def axe_violations(driver: Any, url: str) -> tuple[list[Any], str]:
    """axe-core's WCAG violations on the page at `url`, and a readable report of them."""
    from axe_selenium_python import Axe

    open_page(driver, url)
    axe = Axe(driver)
    axe.inject()
    violations = axe.run()["violations"]
    return violations, axe.report(violations)
