"""Answering lineage questions from the index: who made a blob, from what, and who read it.

A walk goes out from the subject hop by hop: from a blob to the nodes that wrote it (and on to
the blobs those read: upstream) and to the nodes that read it (and on to the blobs those wrote:
downstream), ``depth`` blobs deep. Each hop is a few indexed queries for the whole frontier, not
one per blob. A node execution in a project and domain the caller may not read is shown as one
``hidden`` step per side of a blob, with no names, and the walk does not go through it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from slipstream.errors import NotFoundError, PermissionDeniedError, ValidationError
from slipstream.model import (
    CacheStatus,
    ExecutionId,
    Lineage,
    LineageBlob,
    LineageStep,
    NodeRecord,
    Role,
)

from .._auth import Principal
from .._database import CacheEntryRow, Database, ExecutionRow, LineageRow, NodeExecutionRow
from .._executions import find_row
from .._projects import ProjectService, normal_uri
from ._index import uri_key

__all__ = ["MAX_BLOBS", "MAX_DEPTH", "LineageService"]

MAX_DEPTH = 10
MAX_BLOBS = 200
"""An answer holds at most this many blobs (``truncated`` says there were more)."""
_MAX_STEPS_PER_BLOB = 100
_MAX_NODE = 512
_CACHE_ENTRIES_SCANNED = 50
_node_decoder = msgspec.json.Decoder(NodeRecord)

_Key = tuple[int, str]
"""(executions.id, node path) of a step."""


@dataclass
class _Step:
    execution: ExecutionRow
    node: str
    attempt: int
    cache: str
    at: float
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    record: NodeRecord | None = None


@dataclass
class _Hop:
    uri: str
    depth: int
    up: bool
    down: bool


class LineageService:
    """Lineage of blobs and nodes, as the caller may see it; see the module docstring."""

    def __init__(self, db: Database, projects: ProjectService) -> None:
        self.db = db
        self.projects = projects

    def of_uri(self, uri: str, caller: Principal, depth: int = 1) -> Lineage:
        """Who wrote ``uri`` (or a folder that holds it) and who read it, ``depth`` hops out."""
        _check_depth(depth)
        normal, why = normal_uri(uri)
        if why:
            raise ValidationError(
                f"{str(uri)[:200]!r} is not a blob URI: {why}", details={"uri": str(uri)[:200]}
            )
        with self.db.session() as session:
            found = _rows(session, _with_folders(normal))
            uris = list(dict.fromkeys(r.uri for r, _ in found)) or [normal]
            hops = [_Hop(u, 0, True, True) for u in uris]
            blobs, truncated = _walk(session, caller, hops, depth)
        return Lineage(subject=normal, depth=depth, blobs=blobs, truncated=truncated)

    def of_node(
        self, project: str, domain: str, name: str, node: str, caller: Principal, depth: int = 1
    ) -> Lineage:
        """The blobs node ``node`` of an execution read and wrote, and their lineage."""
        _check_depth(depth)
        if not node or len(node) > _MAX_NODE or any(c in node for c in "\x00\n\r"):
            raise ValidationError(
                f"{node[:200]!r} is not a node path (such as n0, n2/n1 or n3[4])",
                details={"node": node[:200]},
            )
        with self.db.session() as session:
            row = find_row(session, project, domain, name, self.projects.domains)
            if not caller.allows(Role.VIEWER, project, domain):
                raise PermissionDeniedError(
                    f"reading the lineage of executions of {project}/{domain} needs the viewer "
                    "role there",
                    details={"role": Role.VIEWER.value},
                )
            rows = session.scalars(
                select(LineageRow).where(LineageRow.execution_id == row.id, LineageRow.node == node)
            ).all()
            exists = session.scalar(
                select(NodeExecutionRow.id).where(
                    NodeExecutionRow.execution_id == row.id, NodeExecutionRow.path == node
                )
            )
            if exists is None and not rows:
                raise NotFoundError(
                    f"execution {project}/{domain}/{name} has no node {node!r}",
                    details={"node": node},
                )
            steps = _steps(session, {(row.id, node): (row, rows[0] if rows else None)})
            step = _visible(session, steps[(row.id, node)])
            hops = [_Hop(u, 0, True, False) for u in steps[(row.id, node)].inputs]
            hops += [_Hop(u, 0, False, True) for u in steps[(row.id, node)].outputs]
            blobs, truncated = _walk(session, caller, hops, depth)
        subject = f"{project}/{domain}/{name}/{node}"
        return Lineage(subject=subject, depth=depth, blobs=blobs, node=step, truncated=truncated)


def _check_depth(depth: int) -> None:
    if not 1 <= depth <= MAX_DEPTH:
        raise ValidationError(
            f"depth must be between 1 and {MAX_DEPTH}, got {depth}", details={"depth": depth}
        )


def _with_folders(normal: str) -> list[str]:
    """``normal`` and the folders above it (below the bucket or root): a ``Directory`` output
    holds the files in it."""
    scheme, _, body = normal.partition("://")
    parts = body.split("/")
    first = 2 if scheme == "file" else 1
    return [f"{scheme}://{'/'.join(parts[:i])}" for i in range(len(parts), first, -1)]


def _rows(session: Session, uris: Iterable[str]) -> list[tuple[LineageRow, ExecutionRow]]:
    keys = [uri_key(u) for u in uris]
    if not keys:
        return []
    stmt = (
        select(LineageRow, ExecutionRow)
        .join(ExecutionRow, ExecutionRow.id == LineageRow.execution_id)
        .where(LineageRow.uri_key.in_(keys))
        .order_by(LineageRow.id)
    )
    return [(r, e) for r, e in session.execute(stmt).tuples()]


def _walk(
    session: Session, caller: Principal, start: list[_Hop], depth: int
) -> tuple[tuple[LineageBlob, ...], bool]:
    seen: set[str] = set()
    frontier: list[_Hop] = []
    for hop in start:
        if hop.uri not in seen:
            seen.add(hop.uri)
            frontier.append(hop)
    blobs: list[LineageBlob] = []
    truncated = False
    while frontier:
        if len(blobs) + len(frontier) > MAX_BLOBS:
            frontier = frontier[: MAX_BLOBS - len(blobs)]
            truncated = True
        by_uri: dict[str, list[tuple[LineageRow, ExecutionRow]]] = defaultdict(list)
        for r, e in _rows(session, (h.uri for h in frontier)):
            by_uri[r.uri].append((r, e))
        wanted: dict[_Key, tuple[ExecutionRow, LineageRow | None]] = {}
        for r, e in (x for rows in by_uri.values() for x in rows):
            if caller.allows(Role.VIEWER, e.project, e.domain):
                wanted.setdefault((r.execution_id, r.node), (e, r))
        steps = _steps(session, wanted)
        following: list[_Hop] = []
        for hop in frontier:
            producers: list[_Step] = []
            consumers: list[_Step] = []
            hidden = {"output": False, "input": False}
            for r, _ in by_uri.get(hop.uri, [])[: 2 * _MAX_STEPS_PER_BLOB]:
                step = steps.get((r.execution_id, r.node))
                if step is None:
                    hidden[r.role] = True
                    continue
                (producers if r.role == "output" else consumers).append(step)
                if hop.depth + 1 < depth:
                    if r.role == "output" and hop.up:
                        following += [_Hop(u, hop.depth + 1, True, False) for u in step.inputs]
                    if r.role == "input" and hop.down:
                        following += [_Hop(u, hop.depth + 1, False, True) for u in step.outputs]
            shown_p = [_visible(session, s) for s in producers[:_MAX_STEPS_PER_BLOB]]
            shown_c = [_visible(session, s) for s in consumers[:_MAX_STEPS_PER_BLOB]]
            if hidden["output"]:
                shown_p.append(LineageStep(hidden=True))
            if hidden["input"]:
                shown_c.append(LineageStep(hidden=True))
            blobs.append(LineageBlob(hop.uri, hop.depth, tuple(shown_p), tuple(shown_c)))
        if truncated:
            break
        frontier = []
        for hop in following:
            if hop.uri not in seen:
                seen.add(hop.uri)
                frontier.append(hop)
    return tuple(blobs), truncated


def _steps(
    session: Session, wanted: dict[_Key, tuple[ExecutionRow, LineageRow | None]]
) -> dict[_Key, _Step]:
    """The steps of ``wanted`` with the blobs each read and wrote and its node record."""
    if not wanted:
        return {}
    steps: dict[_Key, _Step] = {}
    for key, (e, r) in wanted.items():
        steps[key] = _Step(
            execution=e,
            node=key[1],
            attempt=r.attempt if r is not None else 0,
            cache=r.cache if r is not None else "",
            at=r.at if r is not None else 0.0,
        )
    pairs = list(wanted)
    blobs = select(LineageRow.execution_id, LineageRow.node, LineageRow.role, LineageRow.uri)
    blobs = blobs.where(tuple_(LineageRow.execution_id, LineageRow.node).in_(pairs))
    for pk, node, role, uri in session.execute(blobs.order_by(LineageRow.id)).tuples():
        step = steps[(pk, node)]
        (step.outputs if role == "output" else step.inputs).append(uri)
    node_pairs = [p for p in pairs if p[1]]
    if node_pairs:
        records = select(
            NodeExecutionRow.execution_id, NodeExecutionRow.path, NodeExecutionRow.record
        )
        records = records.where(
            tuple_(NodeExecutionRow.execution_id, NodeExecutionRow.path).in_(node_pairs)
        )
        for pk, path, rec in session.execute(records).tuples():
            try:
                steps[(pk, path)].record = _node_decoder.decode(rec)
            except msgspec.DecodeError:
                continue
    return steps


def _visible(session: Session, step: _Step) -> LineageStep:
    """The wire form of a step the caller may read."""
    e, rec = step.execution, step.record
    cache = rec.cache.value if rec is not None else step.cache
    entry = ""
    if cache in (CacheStatus.HIT.value, CacheStatus.POPULATED.value) and rec is not None:
        entry = _cache_entry(session, e, rec.task, step.outputs)
    return LineageStep(
        execution=ExecutionId(e.project, e.domain, e.name),
        node=step.node,
        attempt=rec.attempts if rec is not None else step.attempt,
        task=rec.task if rec is not None else e.target_name,
        code_version=f"{e.target_name}@{e.target_version}",
        phase=rec.phase.value if rec is not None else e.phase,
        cache="" if cache == CacheStatus.DISABLED.value else cache,
        cache_entry=entry,
        at=(rec.ended_at or step.at) if rec is not None else step.at,
        inputs=tuple(step.inputs),
        outputs=tuple(step.outputs),
    )


def _cache_entry(session: Session, e: ExecutionRow, task: str, outputs: list[str]) -> str:
    """The cache entry of ``task`` in ``e``'s project and domain whose outputs hold one of
    ``outputs``: ``{key prefix} from {the execution that computed it}``; "" if none is kept.
    The newest entries of a task are read once per session."""
    if not task or not outputs:
        return ""
    memo = session.info.setdefault("lineage_cache_entries", {})
    scope = (e.project, e.domain, task)
    if scope not in memo:
        memo[scope] = _newest_entries(session, *scope)
    for key, source, text in memo[scope]:
        if any(u in text for u in outputs):
            return f"{key[:16]} from {source}"
    return ""


def _newest_entries(session: Session, project: str, domain: str, task: str) -> list[Any]:
    entries = session.execute(
        select(CacheEntryRow.key, CacheEntryRow.source, CacheEntryRow.outputs)
        .where(
            CacheEntryRow.project == project,
            CacheEntryRow.domain == domain,
            CacheEntryRow.task == task,
        )
        .order_by(CacheEntryRow.created_at.desc())
        .limit(_CACHE_ENTRIES_SCANNED)
    ).tuples()
    return list(entries)
