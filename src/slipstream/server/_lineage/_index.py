"""Writing the lineage index: which blob URIs a node execution read and wrote.

Called by the engine host's flush, in its transaction, with the records it writes. Most records
hold no blob at all and are passed over by a substring test before anything is decoded; a node's
inputs are indexed once it ended, its outputs once it succeeded, an execution's own inputs when
its record is written. Literals are walked without their types: a blob is a mapping with a
``uri`` string (a ``File``, ``Directory``, DataFrame or offloaded pickle), which is what the type
engine writes. Rows are inserted once (``ON CONFLICT DO NOTHING``), however often a record is
flushed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from slipstream.model import ExecutionRecord, NodePhase, NodeRecord

from .._database import LineageRow
from .._projects import normal_uri

__all__ = ["MAX_URIS_PER_RECORD", "index_rows", "uri_key", "write_index"]

MAX_URIS_PER_RECORD = 1000
"""A node that read or wrote more blobs than this has only the first ones indexed."""
_MAX_NESTING = 32
_MARK = '"uri"'
_ENDED = frozenset(p.value for p in NodePhase if p.terminal)
_node_decoder = msgspec.json.Decoder(NodeRecord)
_execution_decoder = msgspec.json.Decoder(ExecutionRecord)


def uri_key(normal: str) -> str:
    """The key a URI in normal form is indexed under (its SHA-256, hex)."""
    return hashlib.sha256(normal.encode()).hexdigest()


def _collect(value: Any, out: dict[str, None], nesting: int = 0) -> None:
    if nesting > _MAX_NESTING or len(out) >= MAX_URIS_PER_RECORD:
        return
    if type(value) is dict:
        uri = value.get("uri")
        if type(uri) is str:
            normal, why = normal_uri(uri)
            if not why:
                out[normal] = None
        for v in value.values():
            if type(v) is dict or type(v) is list:
                _collect(v, out, nesting + 1)
    elif type(value) is list:
        for v in value:
            if type(v) is dict or type(v) is list:
                _collect(v, out, nesting + 1)


def _uris(values: Mapping[str, Any] | None) -> list[str]:
    out: dict[str, None] = {}
    if values:
        _collect(dict(values), out)
    return list(out)


def _row(
    pk: int, node: str, role: str, uri: str, attempt: int, cache: str, now: float
) -> dict[str, Any]:
    return {
        "execution_id": pk,
        "node": node,
        "role": role,
        "uri_key": uri_key(uri),
        "uri": uri,
        "attempt": attempt,
        "cache": cache,
        "at": now,
    }


def index_rows(
    pk: int,
    execution: str | None,
    nodes: Iterable[tuple[str, str]],
    now: float,
) -> list[dict[str, Any]]:
    """The index rows of one execution's flushed records: ``execution`` is its record JSON (or
    None), ``nodes`` the ``(phase, record JSON)`` of its node records. Never raises on a record
    it cannot read: lineage is a view, and a bad record is not a reason to fail a flush."""
    rows: list[dict[str, Any]] = []
    if execution is not None and _MARK in execution:
        try:
            record = _execution_decoder.decode(execution)
        except msgspec.DecodeError:
            record = None
        if record is not None:
            rows.extend(_row(pk, "", "input", u, 0, "", now) for u in _uris(record.spec.inputs))
    for phase, rec in nodes:
        if phase not in _ENDED or _MARK not in rec:
            continue
        try:
            node = _node_decoder.decode(rec)
        except msgspec.DecodeError:
            continue
        cache = node.cache.value
        for u in _uris(node.inputs):
            rows.append(_row(pk, node.path, "input", u, node.attempts, cache, now))
        if phase == NodePhase.SUCCEEDED.value:
            for u in _uris(node.outputs):
                rows.append(_row(pk, node.path, "output", u, node.attempts, cache, now))
    return rows


def write_index(conn: Connection, dialect: str, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (from :func:`index_rows`) in ``conn``'s transaction; rows already there
    stay as they are."""
    if not rows:
        return
    table: Table = LineageRow.__table__  # type: ignore[assignment]
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=_KEYS), rows)


_KEYS = ["execution_id", "node", "role", "uri_key"]
