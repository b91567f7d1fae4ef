"""Reading executions: lists, records, node executions, attempts and the event log.

Records are returned to the API as the stored JSON, undecoded (``msgspec.Raw``): it passes them
through. The console's pages read decoded records through the same service, by the execution's
row id once found, a bounded amount each: node lists are pages, a map's items are counted by
phase (``GROUP BY``) and listed a page at a time, the Gantt chart takes a window of attempts. Map
items of node ``n4`` are the paths from ``n4[`` up to (not including) ``n4\\`` (the character
after ``[``), a range the unique index on ``(execution_id, path)`` serves. Values (inputs,
outputs) and logs are read by :mod:`._data`.
"""

from __future__ import annotations

import builtins
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from slipstream.errors import NotFoundError, ValidationError
from slipstream.model import (
    AttemptRecord,
    ExecutionEvent,
    ExecutionPhase,
    ExecutionRecord,
    NodeRecord,
    Page,
)

from .._database import (
    LIKE_ESCAPE,
    AttemptRow,
    Database,
    EventRow,
    ExecutionRow,
    NodeExecutionRow,
    PageRequest,
    check_domain,
    check_name,
    check_project,
    escape_like,
    keyset,
    paginate,
)
from .._projects import ProjectService
from ._rows import decode_record, find_row, record_row

__all__ = ["ExecutionFilter", "ExecutionService", "NodeRow", "item_range", "record_row"]

AnySelect = Select[*tuple[Any, ...]]
"""A select of any columns."""
_events_decoder = msgspec.json.Decoder(dict[str, object])
_node = msgspec.json.Decoder(NodeRecord)
_record = msgspec.json.Decoder(ExecutionRecord)
_attempt = msgspec.json.Decoder(AttemptRecord)
RECENT_S = 7 * 86400
GANTT_COUNT_CAP = 10_000


def item_range(path: str) -> tuple[str, str]:
    """The bounds of the paths of the items of map node ``path``: ``[lo, hi)``."""
    return f"{path}[", f"{path}\\"


@dataclass(frozen=True)
class NodeRow:
    """A node of the console's node list, with what its row of the list needs."""

    record: NodeRecord
    children: int
    """How many direct children it has (0: nothing to expand)."""


@dataclass(frozen=True)
class ExecutionFilter:
    """The filters of the console's executions list; empty strings filter nothing."""

    phase: str = ""
    workflow: str = ""
    launch_plan: str = ""
    launched_by: str = ""
    label: str = ""
    """``key=value``."""
    since: float | None = None
    until: float | None = None

    def check(self) -> None:
        """:class:`ValidationError` naming a bad filter."""
        if self.phase:
            _check_phase(self.phase)
        if self.label and "=" not in self.label:
            raise ValidationError(f"a label filter is key=value, got {self.label!r}")

    def where(self, stmt: AnySelect) -> AnySelect:
        """``stmt`` (over executions) narrowed to the executions these filters keep."""
        if self.phase:
            stmt = stmt.where(ExecutionRow.phase == self.phase)
        if self.workflow:
            stmt = stmt.where(ExecutionRow.target_name == self.workflow)
        if self.launched_by:
            stmt = stmt.where(ExecutionRow.launched_by == self.launched_by)
        if self.since is not None:
            stmt = stmt.where(ExecutionRow.created_at >= self.since)
        if self.until is not None:
            stmt = stmt.where(ExecutionRow.created_at <= self.until)
        if self.launch_plan:
            # the record's JSON names its launch plan as {"resource_type":"launch_plan","name":..}
            key = escape_like(msgspec.json.encode(self.launch_plan).decode())
            stmt = stmt.where(
                ExecutionRow.record.like(
                    f'%"launch_plan":{{"resource_type":"launch_plan","name":{key},%',
                    escape=LIKE_ESCAPE,
                )
            )
        if self.label:
            k, _, v = self.label.partition("=")
            pair = f"{msgspec.json.encode(k).decode()}:{msgspec.json.encode(v).decode()}"
            stmt = stmt.where(
                ExecutionRow.record.like(f'%"labels":{{%{escape_like(pair)}%', escape=LIKE_ESCAPE)
            )
        return stmt


class ExecutionService:
    """Reads of executions and of what they are made of."""

    def __init__(self, db: Database, projects: ProjectService) -> None:
        self.db = db
        self.projects = projects

    def list(
        self,
        project: str,
        domain: str,
        page: PageRequest,
        *,
        phase: str | None = None,
        workflow: str | None = None,
    ) -> Page[msgspec.Raw]:
        """Executions of a project/domain, newest first by default, optionally of one phase or
        of one workflow (or task) name."""
        check_project(project)
        check_domain(domain, self.projects.domains)
        stmt = select(ExecutionRow).where(
            ExecutionRow.project == project, ExecutionRow.domain == domain
        )
        if phase is not None:
            _check_phase(phase)
            stmt = stmt.where(ExecutionRow.phase == phase)
        if workflow is not None:
            stmt = stmt.where(ExecutionRow.target_name == check_name(workflow))
        with self.db.session() as session:
            self.projects.require(session, project)
            items, cursor = paginate(
                session,
                stmt,
                page=page,
                id_column=ExecutionRow.id,
                sort_columns={"created_at": None},
                key_of=_key,
                to_item=_raw_record,
            )
        return Page(items=tuple(items), next_cursor=cursor)

    def get(self, project: str, domain: str, name: str) -> msgspec.Raw:
        """One execution's record."""
        with self.db.session() as session:
            row = find_row(session, project, domain, name, self.projects.domains)
            return _raw_record(row)

    def _id(self, session: Session, project: str, domain: str, name: str) -> int:
        return find_row(session, project, domain, name, self.projects.domains).id

    def nodes(
        self,
        project: str,
        domain: str,
        name: str,
        page: PageRequest,
        *,
        parent: str | None = None,
        deep: bool = False,
    ) -> Page[msgspec.Raw]:
        """Node executions, in the order they were recorded.

        Without ``parent``: the top-level nodes (or every node with ``deep``). With ``parent``:
        its direct children (a subworkflow's or branch's ``n3/n0``, a dynamic node's
        ``n3/dyn/n0``, a map's ``n4[17]``), or every descendant with ``deep``.
        """
        if parent is not None:
            _check_path(parent)
        with self.db.session() as session:
            execution_id = self._id(session, project, domain, name)
            stmt = select(NodeExecutionRow).where(NodeExecutionRow.execution_id == execution_id)
            stmt = _under(stmt, parent or "", deep)
            items, cursor = paginate(
                session,
                stmt,
                page=page,
                id_column=NodeExecutionRow.id,
                sort_columns={"created_at": None},
                key_of=_key,
                to_item=_raw_record,
            )
        return Page(items=tuple(items), next_cursor=cursor)

    def node(self, project: str, domain: str, name: str, path: str) -> msgspec.Raw:
        """One node execution by path."""
        _check_path(path)
        with self.db.session() as session:
            record = _node_data(session, self._id(session, project, domain, name), path)
        if record is None:
            raise NotFoundError(f"execution {project}/{domain}/{name} has no node {path!r}")
        return msgspec.Raw(record.encode())

    def attempts(
        self, project: str, domain: str, name: str, node: str
    ) -> builtins.list[msgspec.Raw]:
        """The attempts of a task node (or map item), in order."""
        _check_path(node)
        with self.db.session() as session:
            records = _attempt_data(session, self._id(session, project, domain, name), node)
        return [msgspec.Raw(r.encode()) for r in records]

    def events(
        self, project: str, domain: str, name: str, page: PageRequest
    ) -> Page[ExecutionEvent]:
        """The execution's event log, oldest first by default."""
        with self.db.session() as session:
            execution_id = self._id(session, project, domain, name)
            stmt = select(EventRow).where(EventRow.execution_id == execution_id)
            items, cursor = paginate(
                session,
                stmt,
                page=page,
                id_column=EventRow.id,
                sort_columns={"created_at": None},
                key_of=_key,
                to_item=_event,
            )
        return Page(items=tuple(items), next_cursor=cursor)

    # -- what the console reads (decoded, by the execution's row id) -----------------------------

    def find(self, project: str, domain: str, name: str) -> tuple[int, ExecutionRecord]:
        """An execution's row id and record (:class:`NotFoundError` when absent)."""
        with self.db.session() as session:
            row = find_row(session, project, domain, name, None)
            return row.id, decode_record(row)

    def recent_counts(
        self, since: float | None = None, visible: frozenset[str] | None = None
    ) -> dict[tuple[str, str], dict[str, int]]:
        """The counts by phase of each project/domain's executions created since ``since``
        (default: the last 7 days), of the projects in ``visible`` (None: all)."""
        since = time.time() - RECENT_S if since is None else since
        counted = (
            select(ExecutionRow.project, ExecutionRow.domain, ExecutionRow.phase, func.count())
            .where(ExecutionRow.created_at >= since)
            .group_by(ExecutionRow.project, ExecutionRow.domain, ExecutionRow.phase)
        )
        if visible is not None:
            counted = counted.where(ExecutionRow.project.in_(sorted(visible)))
        with self.db.session() as session:
            rows = session.execute(counted).all()
        counts: dict[tuple[str, str], dict[str, int]] = {}
        for project, domain, phase, n in rows:
            counts.setdefault((project, domain), {})[phase] = n
        return counts

    def filtered(
        self,
        project: str,
        domain: str,
        filters: ExecutionFilter,
        *,
        before: int | None = None,
        limit: int = 50,
    ) -> tuple[builtins.list[tuple[int, ExecutionRecord]], int | None]:
        """A page of executions, newest first, and the id to continue from (None: last page)."""
        filters.check()
        stmt = select(ExecutionRow.id, ExecutionRow.record).where(
            ExecutionRow.project == project, ExecutionRow.domain == domain
        )
        with self.db.session() as session:
            rows, more = keyset(
                session, filters.where(stmt), ExecutionRow.id, limit, start=before, descending=True
            )
        return [(pk, _record.decode(data)) for pk, data in rows], more

    def top_phases(self, pk: int, ids: tuple[str, ...] | None = None) -> dict[str, str]:
        """The phase of each top-level node (what the graph colours). ``ids``: the workflow's
        node ids, looked up one by one in the index instead of scanning every node."""
        path = NodeExecutionRow.path
        stmt = select(path, NodeExecutionRow.phase).where(NodeExecutionRow.execution_id == pk)
        stmt = stmt.where(path.in_(ids)) if ids is not None else _under(stmt, "", False)
        with self.db.session() as session:
            rows = session.execute(stmt).all()
        return dict(rows)

    def children(
        self,
        pk: int,
        parent: str,
        *,
        after: int = 0,
        limit: int = 100,
        ids: tuple[str, ...] | None = None,
    ) -> tuple[builtins.list[NodeRow], int | None]:
        """Direct children of ``parent`` (top-level nodes when empty) that are not map items,
        in the order recorded, with how many children each has; and the id to continue from.
        ``ids``: the workflow's node ids, for the top level (index lookups, not a scan)."""
        stmt = select(NodeExecutionRow.id, NodeExecutionRow.record).where(
            NodeExecutionRow.execution_id == pk
        )
        if not parent and ids is not None:
            stmt = stmt.where(NodeExecutionRow.path.in_(ids))
        else:
            stmt = _under(stmt, parent, False, items=False)
        with self.db.session() as session:
            rows, more = keyset(session, stmt, NodeExecutionRow.id, limit, start=after)
            out = []
            for _id, data in rows:
                rec = _node.decode(data)
                out.append(NodeRow(rec, _child_count(session, pk, rec)))
        return out, more

    def item_counts(self, pk: int, node: str) -> dict[str, int]:
        """The items of map node ``node`` counted by phase."""
        lo, hi = item_range(node)
        path = NodeExecutionRow.path
        with self.db.session() as session:
            rows = session.execute(
                select(NodeExecutionRow.phase, func.count())
                .where(NodeExecutionRow.execution_id == pk, path >= lo, path < hi)
                .group_by(NodeExecutionRow.phase)
            ).all()
        return dict(rows)

    def items(
        self, pk: int, node: str, *, phase: str = "", after: int = 0, limit: int = 50
    ) -> tuple[builtins.list[NodeRecord], int | None]:
        """A page of the items of map node ``node`` (of one phase), in the order recorded."""
        lo, hi = item_range(node)
        path = NodeExecutionRow.path
        stmt = select(NodeExecutionRow.id, NodeExecutionRow.record).where(
            NodeExecutionRow.execution_id == pk, path >= lo, path < hi
        )
        if phase:
            stmt = stmt.where(NodeExecutionRow.phase == phase)
        with self.db.session() as session:
            rows, more = keyset(session, stmt, NodeExecutionRow.id, limit, start=after)
        return [_node.decode(d) for _, d in rows], more

    def node_record(self, pk: int, path: str) -> NodeRecord | None:
        """One node's record (None: the execution has no such node)."""
        with self.db.session() as session:
            data = _node_data(session, pk, path)
        return None if data is None else _node.decode(data)

    def attempt_records(self, pk: int, node: str) -> builtins.list[AttemptRecord]:
        """The attempts of one node, in order."""
        with self.db.session() as session:
            return [_attempt.decode(r) for r in _attempt_data(session, pk, node)]

    def gantt(
        self, pk: int, *, after: int = 0, limit: int = 200
    ) -> tuple[builtins.list[AttemptRecord], int, int | None]:
        """A window of the execution's attempts in the order they were recorded, the number of
        attempts in all (at most ``GANTT_COUNT_CAP + 1``: "more than the cap"), and the id to
        continue from."""
        with self.db.session() as session:
            # counted up to a cap: an exact count of 100,000 attempts costs more than the page
            capped = (
                select(AttemptRow.id)
                .where(AttemptRow.execution_id == pk)
                .limit(GANTT_COUNT_CAP + 1)
                .subquery()
            )
            total = session.scalar(select(func.count()).select_from(capped))
            stmt = select(AttemptRow.id, AttemptRow.record).where(AttemptRow.execution_id == pk)
            rows, more = keyset(session, stmt, AttemptRow.id, limit, start=after)
        return [_attempt.decode(d) for _, d in rows], int(total or 0), more


def _check_phase(phase: str) -> None:
    if phase not in {p.value for p in ExecutionPhase}:
        allowed = ", ".join(p.value for p in ExecutionPhase)
        raise ValidationError(f"unknown phase {phase!r}: one of {allowed}")


def _node_data(session: Session, pk: int, path: str) -> str | None:
    return session.scalars(
        select(NodeExecutionRow.record).where(
            NodeExecutionRow.execution_id == pk, NodeExecutionRow.path == path
        )
    ).first()


def _attempt_data(session: Session, pk: int, node: str) -> builtins.list[str]:
    return builtins.list(
        session.scalars(
            select(AttemptRow.record)
            .where(AttemptRow.execution_id == pk, AttemptRow.node == node)
            .order_by(AttemptRow.number)
        ).all()
    )


def _child_count(session: Session, pk: int, rec: NodeRecord) -> int:
    if rec.item_count is not None:
        return rec.item_count
    path = NodeExecutionRow.path
    found = session.scalar(
        select(NodeExecutionRow.id)
        .where(
            NodeExecutionRow.execution_id == pk,
            path > f"{rec.path}/",
            path < f"{rec.path}0",  # "/" + 1
            path.like(f"{escape_like(rec.path)}/%", escape=LIKE_ESCAPE),
        )
        .limit(1)
    )
    return 1 if found is not None else 0


def _check_path(path: str) -> None:
    if not path or len(path) > 512 or "\x00" in path or "%" in path:
        raise ValidationError(
            f"invalid node path {path[:60]!r}: a path such as n2, n3/n0, n3/dyn/n0 or n4[17]",
            details={"field": "node", "value": path},
        )


def _under(stmt: AnySelect, parent: str, deep: bool, *, items: bool = True) -> AnySelect:
    """``stmt`` (over node executions) narrowed to the nodes below ``parent`` (top level when
    empty): its direct children (``items``: a map's items too), or every descendant (``deep``)."""
    path = NodeExecutionRow.path

    def like(pattern: str) -> ColumnElement[bool]:
        return path.like(pattern, escape=LIKE_ESCAPE)

    if not parent:
        if deep:
            return stmt
        return stmt.where(not_(path.contains("/")), not_(path.contains("[")))
    p = escape_like(parent)
    if deep:
        return stmt.where(or_(like(f"{p}/%"), like(f"{p}[%")))
    child = and_(
        like(f"{p}/%"),
        not_(like(f"{p}/%/%")),
        not_(like(f"{p}/%[%")),
    )
    dynamic = and_(
        like(f"{p}/dyn/%"),
        not_(like(f"{p}/dyn/%/%")),
        not_(like(f"{p}/dyn/%[%")),
    )
    if not items:
        return stmt.where(or_(child, dynamic))
    item = and_(like(f"{p}[%"), not_(like(f"{p}[%/%")))
    return stmt.where(or_(child, dynamic, item))


def _key(row: ExecutionRow | NodeExecutionRow | EventRow) -> tuple[int, int]:
    return (row.id, row.id)


def _raw_record(row: ExecutionRow | NodeExecutionRow) -> msgspec.Raw:
    return msgspec.Raw(row.record.encode())


def _event(row: EventRow) -> ExecutionEvent:
    payload = _events_decoder.decode(row.payload) if row.payload else {}
    return ExecutionEvent(
        id=row.id, at=row.at, kind=row.kind, node=row.node, actor=row.actor, payload=payload
    )
