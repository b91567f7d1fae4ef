"""Showing a run: live progress on stderr, outputs at the end, and a failure's classified error.

Machine output (``--json``) is plain JSON on stdout; everything meant for people uses rich, goes to
stderr unless it is the result itself, and turns plain when the stream is not a terminal.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from slipstream.model import CacheStatus, ErrorInfo, ExecutionRecord, NodePhase, NodeRecord
from slipstream.types import Directory, File, StructuredDataset

__all__ = [
    "Progress",
    "error_json",
    "loaded",
    "print_decks",
    "print_error",
    "print_outputs",
    "to_jsonable",
]

_DONE = frozenset({NodePhase.SUCCEEDED, NodePhase.SKIPPED})
_FAILED = frozenset({NodePhase.FAILED, NodePhase.TIMED_OUT, NodePhase.ABORTED})
_RUNNING = frozenset({NodePhase.RUNNING, NodePhase.WAITING})


def _frame_summary(value: Any) -> dict[str, Any] | None:
    module = type(value).__module__.split(".", 1)[0]
    if module == "pandas" and hasattr(value, "columns") and hasattr(value, "shape"):
        return {"rows": int(value.shape[0]), "columns": [str(c) for c in value.columns]}
    if module == "polars" and hasattr(value, "columns") and hasattr(value, "height"):
        return {"rows": int(value.height), "columns": list(value.columns)}
    if module == "pyarrow" and hasattr(value, "column_names"):
        return {"rows": int(value.num_rows), "columns": list(value.column_names)}
    return None


def to_jsonable(value: Any, literal: Any = None) -> Any:
    """A JSON-friendly form of an output value; ``literal`` (its literal) adds blob URIs.

    Files and directories become their paths, DataFrames ``{"rows", "columns", "uri"}``, datetimes
    ISO strings, durations seconds, enums their value, dataclasses and pydantic models objects.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (File, Directory)):
        return value.path
    uri = literal.get("uri") if isinstance(literal, dict) else None
    if isinstance(value, StructuredDataset):
        in_memory = _frame_summary(value.dataframe) if value.dataframe is not None else None
        return {**(in_memory or {}), "uri": value.uri or uri}
    summary = _frame_summary(value)
    if summary is not None:
        return {**summary, "uri": uri} if uri else summary
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump") and hasattr(type(value), "model_fields"):
        return {k: to_jsonable(getattr(value, k)) for k in type(value).model_fields}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {k: to_jsonable(v) for k, v in zip(value._fields, value, strict=True)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Iterator):  # an ``Iterator[T]`` output: shown as the list it yields
        return [to_jsonable(v) for v in value]
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist) and type(value).__module__.startswith("numpy"):
        return tolist()
    if uri:
        return {"type": type(value).__qualname__, "uri": uri}
    return repr(value)


_PREVIEW_ROWS = 5
_PREVIEW_COLUMNS = 8
_CELL = 18


def _frame_rows(value: Any) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Column names and the first rows of a pandas, polars or pyarrow frame."""
    module = type(value).__module__.split(".", 1)[0]
    try:
        if module == "pandas" and hasattr(value, "itertuples"):
            head = value.head(_PREVIEW_ROWS)
            return [str(c) for c in head.columns], list(head.itertuples(index=False, name=None))
        if module == "polars" and hasattr(value, "rows"):
            head = value.head(_PREVIEW_ROWS)
            return list(head.columns), list(head.rows())
        if module == "pyarrow" and hasattr(value, "to_pylist"):
            head = value.slice(0, _PREVIEW_ROWS)
            names = list(head.column_names)
            return names, [tuple(r[n] for n in names) for r in head.to_pylist()]
    except Exception:
        return None
    return None


def _cell(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def frame_preview(value: Any) -> str:
    """``rows x columns`` and the first rows as an aligned text table ("" if not a frame)."""
    summary = _frame_summary(value)
    found = _frame_rows(value)
    if summary is None or found is None:
        return ""
    columns, rows = found
    cols = columns[:_PREVIEW_COLUMNS]
    cells = [[_cell(c) for c in cols]] + [[_cell(v) for v in r[: len(cols)]] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    if len(columns) > len(cols):
        lines[0] += f"  … +{len(columns) - len(cols)} columns"
    shape = f"{summary['rows']} rows x {len(summary['columns'])} columns"
    if summary["rows"] > len(rows):
        lines.append(f"… {summary['rows'] - len(rows)} more rows")
    return "\n".join([shape, *lines])


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def path_preview(value: File | Directory) -> str:
    """A file's path and size, a directory's path, number of files and total size."""
    path = value.path
    try:
        if isinstance(value, Directory):
            files = [f for f in Path(path).rglob("*") if f.is_file()]
            total = sum(f.stat().st_size for f in files)
            return f"{path} ({len(files)} files, {_size(total)})"
        return f"{path} ({_size(Path(path).stat().st_size)})"
    except OSError:
        return str(path)


def loaded(value: Any) -> Any:
    """``value``, with a dataset known only by its URI (an output decoded without the user's
    Python types) read into a frame, so that it is shown with its shape and first rows as a
    local run shows it; as it was when it cannot be read here (no pandas, no access)."""
    if not isinstance(value, StructuredDataset) or value.dataframe is not None or not value.uri:
        return value
    try:
        frame = value.open().all()
    except Exception:  # only shown: the URI will do
        return value
    return StructuredDataset(dataframe=frame, uri=value.uri, file_format=value.file_format)


def _human(value: Any, literal: Any, preview: bool = False) -> str:
    """An output for people: one line, or (``preview``, the terminal's table) a DataFrame's
    shape and first rows, a file's path and size."""
    if preview and isinstance(value, (File, Directory)):
        return path_preview(value)
    frame = value.dataframe if isinstance(value, StructuredDataset) else value
    if preview and frame is not None:
        shown = frame_preview(frame)
        if shown:
            uri = (literal.get("uri") if isinstance(literal, dict) else None) or (
                value.uri if isinstance(value, StructuredDataset) else None
            )
            return shown + (f"\nat {uri}" if uri else "")
    j = to_jsonable(value, literal)
    if isinstance(j, str):
        return j
    if isinstance(j, dict) and "rows" in j and "columns" in j:
        cols = ", ".join(j["columns"])
        text = f"{j['rows']} rows x {len(j['columns'])} columns ({cols})"
        return text + (f" at {j['uri']}" if j.get("uri") else "")
    return json.dumps(j, default=str)


def print_outputs(
    outputs: dict[str, Any],
    literals: dict[str, Any],
    types: dict[str, str],
    *,
    as_json: bool,
    console: Console,
) -> None:
    """The run's outputs on stdout: one JSON object, a rich table on a terminal, else lines."""
    if as_json:
        obj = {k: to_jsonable(v, literals.get(k)) for k, v in outputs.items()}
        sys.stdout.write(json.dumps(obj, default=str) + "\n")
        sys.stdout.flush()
        return
    if not outputs:
        return
    if console.is_terminal:
        from rich.table import Table

        table = Table(title="outputs", title_justify="left", show_edge=False)
        table.add_column("name", style="bold")
        table.add_column("type", style="dim")
        table.add_column("value", overflow="fold")
        for k, v in outputs.items():
            table.add_row(k, types.get(k, ""), escape(_human(v, literals.get(k), preview=True)))
        console.print(table)
        return
    for k, v in outputs.items():  # one line each: for scripts and pipes
        sys.stdout.write(f"{k}: {_human(v, literals.get(k))}\n")
    sys.stdout.flush()


def error_json(err: ErrorInfo | None, execution: str, fallback: str = "") -> dict[str, Any]:
    """The JSON object printed for a failed run."""
    if err is None:
        return {"error": {"code": "failed", "kind": "SYSTEM", "message": fallback}}
    body = {
        "code": err.code,
        "kind": err.kind,
        "node": err.node,
        "type": err.type,
        "message": err.message,
        "cause": err.cause,
        "traceback": err.traceback,
        "execution": execution,
    }
    return {"error": body}


def print_error(err: ErrorInfo, execution: str, console: Console, task: str = "") -> None:
    """A failure for people, on stderr: classification, where, message, the user's traceback."""
    where = f" in node {err.node}" if err.node else ""
    if task:
        where += f" ({task})"
    of = f" of execution {execution}" if execution else ""
    console.print(
        "[bold red]Error[/] " + escape(f"[{err.code}, {err.kind}]{where}{of}"),
        highlight=False,
        soft_wrap=True,
    )
    kind = f"{err.type}: " if err.type else ""
    console.print(escape(f"{kind}{err.message}"), highlight=False, soft_wrap=True)
    if err.cause:
        console.print(escape(f"root cause: {err.cause}"), highlight=False, soft_wrap=True)
    if err.traceback:
        console.print(escape(err.traceback.rstrip()), highlight=False, style="dim", soft_wrap=True)


class Progress:
    """A live line of nodes done (and how many came from the cache) / running / failed, with the
    names of the nodes running now, fed by the engine's listener.

    Inert unless ``enabled``; the rich display refreshes on its own thread, so the listener only
    updates counters.
    """

    def __init__(self, console: Console, total: int, enabled: bool) -> None:
        self._console = console
        self._total = total
        self._phases: dict[str, NodePhase] = {}
        self._names: dict[str, str] = {}
        self._hits: set[str] = set()
        self._lock = threading.Lock()
        self._live: Any = None
        self._progress: Any = None
        self._task: Any = None
        self.enabled = enabled

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(complete_style="green", finished_style="green"),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                TextColumn("[dim]{task.fields[running]}"),
                console=self._console,
                transient=True,
            )
            self._task = self._progress.add_task(
                "running", total=self._total, status=self._status(), running=""
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _status(self) -> str:
        counts = {"done": 0, "running": 0, "failed": 0}
        for p in self._phases.values():
            if p in _DONE:
                counts["done"] += 1
            elif p in _RUNNING:
                counts["running"] += 1
            elif p in _FAILED:
                counts["failed"] += 1
        cached = f" ({len(self._hits)} cached)" if self._hits else ""
        return (
            f"{counts['done']} done{cached}, {counts['running']} running, {counts['failed']} failed"
        )

    def running(self, limit: int = 3) -> str:
        """The nodes running now, by name (``train (n2)``), the first ``limit`` and a count."""
        now = [p for p, phase in self._phases.items() if phase in _RUNNING]
        shown = [
            f"{self._names[p]} ({p})" if self._names.get(p) else p for p in sorted(now)[:limit]
        ]
        more = f" +{len(now) - limit} more" if len(now) > limit else ""
        return ("running: " + ", ".join(shown) + more) if shown else ""

    def listener(self) -> Callable[[str, Any], None] | None:
        """The callback to give the engine (None when progress is off)."""
        return self._on_event if self.enabled else None

    def _on_event(self, event: str, payload: Any) -> None:
        if event != "node" or not isinstance(payload, NodeRecord):
            return
        with self._lock:
            self._phases[payload.path] = payload.phase
            name = payload.name or payload.task.rsplit(".", 1)[-1]
            if name:
                self._names[payload.path] = name
            if payload.cache is CacheStatus.HIT:
                self._hits.add(payload.path)
            if self._progress is None:
                return
            total = max(self._total, len(self._phases))
            finished = sum(1 for p in self._phases.values() if p in _DONE or p in _FAILED)
            self._progress.update(
                self._task,
                total=total,
                completed=finished,
                status=self._status(),
                running=escape(self.running()),
            )


def print_decks(attempts: Any, console: Console) -> None:
    """One line per attempt that made decks: the node, the attempt and where its page is (a local
    path for local blob stores, so it opens in a browser as it is)."""
    for rec in attempts:
        if not rec.deck_uri:
            continue
        where = rec.deck_uri.removeprefix("file://")
        console.print(
            f"deck {rec.node} (attempt {rec.number}): {where}", highlight=False, soft_wrap=True
        )


def stderr_console(no_color: bool = False) -> Console:
    """The console for people: stderr, colours only on a terminal."""
    return Console(stderr=True, no_color=no_color or bool(os.environ.get("NO_COLOR")))


def stdout_console() -> Console:
    """The console for results on stdout."""
    return Console()


def execution_name(record: ExecutionRecord) -> str:
    """``project/domain/name`` of an execution."""
    i = record.id
    return f"{i.project}/{i.domain}/{i.name}"
