"""Turning records and values into what the pages show: times, durations, phase colours,
values rendered by their literal type (a table preview for DataFrames, links for files)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from slipstream.model import Kind, LiteralType, type_str

__all__ = ["PHASE_COLOURS", "environment", "owned_prefixes", "render_value"]

PHASE_COLOURS = {
    "QUEUED": "#9e9e9e",
    "WAITING": "#9e9e9e",
    "RUNNING": "#1e88e5",
    "ABORTING": "#fb8c00",
    "SUCCEEDING": "#43a047",
    "SUCCEEDED": "#2e7d32",
    "FAILING": "#e53935",
    "FAILED": "#c62828",
    "TIMED_OUT": "#6d4c41",
    "ABORTED": "#ef6c00",
    "SKIPPED": "#bdbdbd",
    "RETRYABLE_FAILURE": "#f9a825",
}
_TEMPLATES = Path(__file__).parent / "templates"
_PREVIEW_ROWS = 10


def when(ts: float | None) -> str:
    """An epoch time as UTC ISO text, to the second."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(start: float | None, end: float | None = None, now: float | None = None) -> str:
    """How long from ``start`` to ``end`` (or now, when still running)."""
    if start is None:
        return ""
    import time

    seconds = (end if end is not None else (now or time.time())) - start
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, s = divmod(int(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h {m:02d}m {s:02d}s" if hours else f"{m}m {s:02d}s"


def phase_colour(phase: str) -> str:
    """The colour of a phase, everywhere in the console."""
    return PHASE_COLOURS.get(str(phase), "#757575")


def _json(value: Any, limit: int = 2000) -> str:
    text = json.dumps(value, indent=1, default=str)
    return text if len(text) <= limit else text[:limit] + " …"


def owned_prefixes(store_url: str, project: str, domain: str) -> tuple[str, ...]:
    """The blob prefixes of one project and domain: its executions' data and its uploads. A
    page links to and previews only values below these (the caller may read them); any other
    URI a value holds is shown as text, never read."""
    root = store_url.rstrip("/")
    return (f"{root}/{project}/{domain}/", f"{root}/uploads/{project}/{domain}/")


def _owned(uri: str, owned: tuple[str, ...]) -> bool:
    return ".." not in uri.split("/") and any(uri.startswith(p) for p in owned)


def _blob_link(uri: str, owned: tuple[str, ...]) -> Markup:
    if _owned(uri, owned):
        href = f"/console/blob?uri={quote(uri, safe='')}"
        return Markup('<a href="{}">{}</a>').format(href, uri)
    if uri.startswith(("http://", "https://")):
        return Markup('<a href="{}" rel="noreferrer">{}</a>').format(uri, uri)
    return Markup("<code>{}</code>").format(uri)


def _frame_preview(uri: str, owned: tuple[str, ...]) -> Markup:
    if not _owned(uri, owned):
        return Markup("")
    try:
        import fsspec
        import pyarrow.parquet as pq

        with fsspec.open(uri, "rb") as f:
            reader = pq.ParquetFile(f)
            rows = reader.metadata.num_rows
            batch = next(reader.iter_batches(batch_size=_PREVIEW_ROWS), None)
            table = batch.to_pylist() if batch is not None else []
            columns = reader.schema_arrow.names
    except Exception as e:  # a preview is a courtesy: say why there is none
        return Markup('<p class="muted">no preview: {}</p>').format(f"{type(e).__name__}: {e}")
    head = Markup("").join(Markup("<th>{}</th>").format(c) for c in columns)
    body = Markup("").join(
        Markup("<tr>{}</tr>").format(
            Markup("").join(Markup("<td>{}</td>").format(str(r.get(c))[:80]) for c in columns)
        )
        for r in table
    )
    return Markup(
        '<table class="frame"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
        '<p class="muted">{} rows, {} columns; first {} shown</p>'
    ).format(head, body, rows, len(columns), len(table))


def render_value(literal: Any, tp: LiteralType | None, owned: tuple[str, ...] = ()) -> Markup:
    """One input or output for people, by its type; blobs below ``owned`` (the prefixes of the
    execution's project and domain, :func:`owned_prefixes`) are linked and previewed."""
    kind = tp.kind if tp is not None else None
    if kind in (Kind.FILE, Kind.DIR) and isinstance(literal, dict) and "uri" in literal:
        return _blob_link(str(literal["uri"]), owned)
    if kind is Kind.DATASET and isinstance(literal, dict) and "uri" in literal:
        uri = str(literal["uri"])
        return _blob_link(uri, owned) + _frame_preview(uri, owned)
    if kind is Kind.BOOL or kind in (Kind.INT, Kind.FLOAT):
        return Markup("<code>{}</code>").format(json.dumps(literal))
    if kind in (Kind.STR, Kind.DATETIME, Kind.DATE, Kind.DURATION, Kind.ENUM) and isinstance(
        literal, str
    ):
        return Markup('<span class="str">{}</span>').format(literal[:2000])
    if isinstance(literal, dict) and "$pickle" in literal:
        return Markup("<em>pickled value</em> ") + _blob_link(
            str(literal["$pickle"].get("uri", "")), owned
        )
    return Markup("<pre>{}</pre>").format(_json(literal))


def environment() -> Environment:
    """The templates' environment: autoescaped HTML, the console's filters."""
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["colour"] = phase_colour
    env.filters["type_str"] = type_str
    env.filters["q"] = lambda s: quote(str(s), safe="")
    env.globals["duration"] = duration
    env.globals["render_value"] = render_value
    env.globals["escape"] = escape
    return env
