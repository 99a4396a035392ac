"""Show notes: sanitized always, Markdown work remembered between runs."""

from __future__ import annotations

from pathlib import Path

import pytest

import mediafeed.render.notes as notes
from mediafeed import localcache
from mediafeed.render.notes import collected, plain_text, remembered, render_notes


def test_markdown_becomes_the_html_apps_accept() -> None:
    html = render_notes("Een **gesprek** met [Rick](https://example.org/rick)\n\n- a\n- b")
    assert "<strong>gesprek</strong>" in html and "<li>a</li>" in html
    assert 'href="https://example.org/rick"' in html


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>", "[x](javascript:alert(1))", '<img src=x onerror="alert(1)">',
    "<iframe src='https://evil.example'></iframe>", "<style>body{}</style>",
])  # fmt: skip
def test_hostile_markup_is_removed(hostile: str) -> None:
    html = render_notes(f"Tekst {hostile} eind")
    for bad in ("<script", "javascript:", "onerror", "<iframe", "<style", "<img"):
        assert bad not in html


def test_plain_text_keeps_words_and_drops_markup() -> None:
    assert plain_text("Een **gesprek** &amp; meer\n\n- een\n- twee") == "Een gesprek & meer\neen\ntwee"


def test_a_second_run_reuses_the_markdown_work(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    cache = tmp_path / "notes.pickle"
    source = "Uniek stuk **tekst** voor de cache-test 7f3a."
    with remembered(cache):
        first = render_notes(source)
    assert cache.is_file()
    monkeypatch.setattr(notes, "_known", {})
    monkeypatch.setattr(notes, "_clean", {})
    calls: list[str] = []
    monkeypatch.setattr(notes, "_markdown", lambda text: calls.append(text) or "")
    with remembered(cache):
        assert render_notes(source) == first
    assert calls == []


def test_a_tampered_cache_cannot_smuggle_markup_into_the_feed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "notes.pickle"
    source = "Onschuldige tekst 91c2."
    with remembered(cache):
        render_notes(source)
    # Even a cache signed with this user's key, holding markup: sanitizing still runs.
    data = localcache.load_dict(cache, notes._FORMAT)
    localcache.save_dict(cache, notes._FORMAT, {},
                         {key: "<p>ok</p><script>alert(1)</script>" for key in data})  # fmt: skip
    monkeypatch.setattr(notes, "_known", {})
    monkeypatch.setattr(notes, "_clean", {})
    with remembered(cache):
        html = render_notes(source)
    assert "<script" not in html and "alert" not in html


def test_control_characters_never_reach_the_output() -> None:
    assert render_notes("a\x00b\x0bc\ufffe") == "<p>abc</p>"


def test_a_collection_inside_a_remembering_run_ends_without_ending_it(tmp_path: Path) -> None:
    cache = tmp_path / "notes.pickle"
    source = "Genest **verzamelen** 5d1e."
    with remembered(cache):
        with collected():  # as empty as the run's own record at this point
            pass
        render_notes(source)
    assert notes._key(source) in localcache.load_dict(cache, notes._FORMAT)
