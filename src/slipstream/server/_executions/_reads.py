"""Reading executions: lists, records, node executions, attempts and the event log.

Records are returned as the stored JSON, undecoded (``msgspec.Raw``): the API passes them through.
Values (inputs, outputs) and logs are read by :mod:`._data`.
"""

from __future__ import annotations

import builtins
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, not_, or_, select
from sqlalchemy.orm import Session

from slipstream.errors import NotFoundError, ValidationError
from slipstream.model import ExecutionEvent, ExecutionPhase, Page

from .._database import (
    AttemptRow,
    Database,
    EventRow,
    ExecutionRow,
    NodeExecutionRow,
    PageRequest,
    check_domain,
    check_name,
    check_project,
    paginate,
)
from .._projects import ProjectService
from ._rows import find_row, record_row

__all__ = ["ExecutionService", "record_row"]

_events_decoder = msgspec.json.Decoder(dict[str, object])


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
            if phase not in {p.value for p in ExecutionPhase}:
                allowed = ", ".join(p.value for p in ExecutionPhase)
                raise ValidationError(f"unknown phase {phase!r}: one of {allowed}")
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
            execution_id = self._id(session, project, domain, name)
            record = session.scalars(
                select(NodeExecutionRow.record).where(
                    NodeExecutionRow.execution_id == execution_id,
                    NodeExecutionRow.path == path,
                )
            ).first()
        if record is None:
            raise NotFoundError(f"execution {project}/{domain}/{name} has no node {path!r}")
        return msgspec.Raw(record.encode())

    def attempts(
        self, project: str, domain: str, name: str, node: str
    ) -> builtins.list[msgspec.Raw]:
        """The attempts of a task node (or map item), in order."""
        _check_path(node)
        with self.db.session() as session:
            execution_id = self._id(session, project, domain, name)
            records = session.scalars(
                select(AttemptRow.record)
                .where(AttemptRow.execution_id == execution_id, AttemptRow.node == node)
                .order_by(AttemptRow.number)
            ).all()
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


def _check_path(path: str) -> None:
    if not path or len(path) > 512 or "\x00" in path or "%" in path:
        raise ValidationError(
            f"invalid node path {path[:60]!r}: a path such as n2, n3/n0, n3/dyn/n0 or n4[17]",
            details={"field": "node", "value": path},
        )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def _under(stmt: Select[Any], parent: str, deep: bool) -> Select[Any]:
    path = NodeExecutionRow.path

    def like(pattern: str) -> ColumnElement[bool]:
        return path.like(pattern, escape="\\")

    if not parent:
        if deep:
            return stmt
        return stmt.where(not_(path.contains("/")), not_(path.contains("[")))
    p = _like(parent)
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
