"""Decks as flytekit programs make them: Deck, default_deck and the renderers; one self-contained
HTML page per attempt."""

from __future__ import annotations

import pandas as pd

from slipstream import Deck, current_context, task, workflow
from slipstream.deck.renderer import ImageRenderer, MarkdownRenderer, TopFrameRenderer
from slipstream.sdk import render_decks

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@task(enable_deck=True)
def report(n: int) -> str:
    df = pd.DataFrame({"x": list(range(n)), "y": [i * i for i in range(n)]})
    ctx = current_context()
    ctx.default_deck.append(
        MarkdownRenderer().to_html("# Squares\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    )
    Deck("table", TopFrameRenderer(max_rows=2).to_html(df))
    Deck("summary").append(df)
    Deck("picture", ImageRenderer().to_html(PNG))
    return render_decks(ctx.decks, title="report")


@workflow
def deck_wf(n: int) -> str:
    return report(n=n)


def test_decks_render_markdown_tables_images_into_one_page() -> None:
    page = deck_wf(n=5)
    assert report.enable_deck
    assert page.startswith("<!doctype html>") and "<script src" not in page
    assert page.count("<section") == 4
    assert "<h1>Squares</h1>" in page and "<table" in page
    assert "5 rows &times; 2 columns" in page and "Summary" in page
    assert "data:image/png;base64," in page
    assert page.index('id="deck-0"') < page.index("Squares")
