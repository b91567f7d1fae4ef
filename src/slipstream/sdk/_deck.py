"""The renderers that turn Markdown, DataFrames, images and plotly figures into the HTML of decks
(flytekit's ``Deck``, an attempt's own reports, lives with the attempt's context in ``_context``).

:func:`render_decks` makes one self-contained HTML page of an attempt's decks (no external scripts
or styles: it opens from the blob store as a file).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = [
    "ImageRenderer",
    "MarkdownRenderer",
    "TableRenderer",
    "TopFrameRenderer",
    "render_decks",
    "to_html",
]


class MarkdownRenderer:
    """Markdown to HTML (CommonMark with tables)."""

    def to_html(self, text: str) -> str:
        """The HTML of ``text``."""
        from markdown_it import MarkdownIt

        return str(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))


class TopFrameRenderer:
    """The first ``max_rows`` rows of a DataFrame as an HTML table (pandas or polars)."""

    def __init__(self, max_rows: int = 10, max_cols: int = 100) -> None:
        self.max_rows = max_rows
        self.max_cols = max_cols

    def to_html(self, df: Any) -> str:
        """The table's head."""
        df = _as_pandas(df)
        return str(df.head(self.max_rows).to_html(max_cols=self.max_cols, border=0))


class TableRenderer:
    """A DataFrame as a table: its shape, head and a summary of its columns (``describe``)."""

    def __init__(self, max_rows: int = 10) -> None:
        self.max_rows = max_rows

    def to_html(self, df: Any) -> str:
        """Shape, head and summary."""
        df = _as_pandas(df)
        rows, cols = df.shape
        head = df.head(self.max_rows).to_html(border=0)
        try:
            summary = df.describe(include="all").to_html(border=0)
        except ValueError:  # no columns
            summary = ""
        return f"<p>{rows} rows &times; {cols} columns</p>{head}" + (
            f"<h4>Summary</h4>{summary}" if summary else ""
        )


class ImageRenderer:
    """PNG/JPEG/SVG bytes, a path to such a file, or a matplotlib figure, as an inline image."""

    def to_html(self, image: Any) -> str:
        """An ``<img>`` with the image inline (data URI), or the SVG itself."""
        data, mime = _image_bytes(image)
        if mime == "image/svg+xml":
            return data.decode()
        return f'<img src="data:{mime};base64,{base64.b64encode(data).decode()}"/>'


def _as_pandas(df: Any) -> Any:
    if hasattr(df, "to_pandas") and not hasattr(df, "iloc"):  # polars, pyarrow
        return df.to_pandas()
    if not hasattr(df, "iloc"):
        raise TypeError(f"expected a DataFrame, got {type(df).__name__}")
    return df


def _image_bytes(image: Any) -> tuple[bytes, str]:
    import io
    import os

    if hasattr(image, "savefig"):  # a matplotlib figure
        buf = io.BytesIO()
        image.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue(), "image/png"
    if isinstance(image, str | os.PathLike) and os.path.isfile(image):
        with open(image, "rb") as fh:
            image = fh.read()
    if isinstance(image, bytes | bytearray):
        data = bytes(image)
        if data.startswith(b"\x89PNG"):
            return data, "image/png"
        if data.startswith(b"\xff\xd8"):
            return data, "image/jpeg"
        head = data[:256].lstrip()
        if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:1024]):
            return data, "image/svg+xml"
        raise TypeError("image bytes are not PNG, JPEG or SVG")
    raise TypeError(f"cannot render {type(image).__name__} as an image")


def to_html(obj: Any) -> str:
    """Render what a task adds to a deck: a DataFrame as a table, a matplotlib or plotly figure,
    image bytes; anything else as escaped text."""
    module = type(obj).__module__
    if module.startswith("plotly"):
        return str(obj.to_html(full_html=False, include_plotlyjs=True))
    if hasattr(obj, "savefig") or isinstance(obj, bytes | bytearray):
        return ImageRenderer().to_html(obj)
    if hasattr(obj, "iloc") or module.startswith(("polars", "pyarrow")):
        return TableRenderer().to_html(obj)
    return f"<pre>{html.escape(str(obj))}</pre>"


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
    "section{margin-bottom:2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.3rem}"
    "table{border-collapse:collapse;font-size:.9rem}td,th{padding:.25rem .6rem;"
    "border-bottom:1px solid #eee;text-align:right}nav a{margin-right:1rem}"
)


class DeckPage(Protocol):
    """What a page is made of: a deck's name and HTML."""

    name: str
    html: str


def render_decks(decks: Sequence[DeckPage], title: str = "decks") -> str:
    """One self-contained HTML page holding every deck of an attempt, in the order made."""
    t = html.escape(title)
    links = "".join(f'<a href="#deck-{i}">{html.escape(d.name)}</a>' for i, d in enumerate(decks))
    body = "".join(
        f'<section id="deck-{i}"><h2>{html.escape(d.name)}</h2>{d.html}</section>'
        for i, d in enumerate(decks)
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{t}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{t}</h1><nav>{links}</nav>{body}</body></html>"
    )
