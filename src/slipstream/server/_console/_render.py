"""Turning records and values into what the pages show: times, durations, phase colours, node
labels, and the templates' environment (values by their literal type are :mod:`._values`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape

from slipstream.model import memory_notes, type_str

from ._values import owned_prefixes, render_value

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


def node_label(record: Any) -> str:
    """What a node is called on the page: its call site's name, else its task's (a dynamic
    node's children are named by what they run, not by their path)."""
    name = getattr(record, "name", "") or ""
    task = getattr(record, "task", "") or ""
    return name or task.rsplit(".", 1)[-1] or str(getattr(record, "path", "")).rsplit("/", 1)[-1]


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
    env.filters["label"] = node_label
    env.filters["q"] = lambda s: quote(str(s), safe="")
    env.globals["duration"] = duration
    env.globals["render_value"] = render_value
    env.globals["escape"] = escape
    env.globals["memory_notes"] = memory_notes  # how an attempt's memory grew after an OOM
    return env
