"""Show notes: Markdown rendered to sanitized HTML, and plain text."""

from __future__ import annotations

import pytest

from mediafeed.render.notes import plain_text, render_notes


def test_markdown_becomes_the_html_apps_accept() -> None:
    html = render_notes("Een **gesprek** met [Rick](https://example.org/rick)\n\n- a\n- b")
    assert "<strong>gesprek</strong>" in html and "<li>a</li>" in html
    assert 'href="https://example.org/rick"' in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        "<iframe src='https://evil.example'></iframe>",
        "<style>body{}</style>",
    ],
)
def test_hostile_markup_is_removed(hostile: str) -> None:
    html = render_notes(f"Tekst {hostile} eind")
    for bad in ("<script", "javascript:", "onerror", "<iframe", "<style", "<img"):
        assert bad not in html


def test_plain_text_keeps_words_and_drops_markup() -> None:
    assert (
        plain_text("Een **gesprek** &amp; meer\n\n- een\n- twee") == "Een gesprek & meer\neen\ntwee"
    )


def test_control_characters_never_reach_the_output() -> None:
    assert render_notes("a\x00b\x0bc\ufffe") == "<p>abc</p>"


def test_feed_notes_keep_their_headings_as_written() -> None:
    """Apps show the notes on their own, under no heading of the page: no shift there."""
    assert render_notes("## Gasten\n\n### Rick") == "<h2>Gasten</h2>\n<h3>Rick</h3>"
