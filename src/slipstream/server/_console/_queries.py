"""What the console's pages read, aggregated and paged in SQL.

No query here returns a number of rows that grows with the size of an execution: node lists
are pages, a map's items are counted by phase (``GROUP BY``) and listed a page at a time, the
Gantt chart takes a bounded window of attempts. Map items of node ``n4`` are the paths from
``n4[`` up to (not including) ``n4\\`` (the character after ``[``), a range the unique index on
``(execution_id, path)`` serves.
"""

from __future__ import annotations

import builtins
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session

from slipstream.errors import ValidationError
from slipstream.model import AttemptRecord, ExecutionPhase, ExecutionRecord, NodeRecord

from .._database import (
    AttemptRow,
    AuditRow,
    Database,
    EntityRow,
    ExecutionRow,
    NodeExecutionRow,
    ProjectRow,
    ScheduleRow,
)

__all__ = ["ConsoleQueries", "ExecutionFilter", "NodeRow", "item_range", "like"]

_node = msgspec.json.Decoder(NodeRecord)
_record = msgspec.json.Decoder(ExecutionRecord)
_attempt = msgspec.json.Decoder(AttemptRecord)
RECENT_S = 7 * 86400
GANTT_COUNT_CAP = 10_000


def like(text: str) -> str:
    """``text`` escaped for a LIKE pattern (with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def item_range(path: str) -> tuple[str, str]:
    """The bounds of the paths of the items of map node ``path``: ``[lo, hi)``."""
    return f"{path}[", f"{path}\\"


@dataclass(frozen=True)
class NodeRow:
    """A node of the node list, with what its row of the list needs."""

    record: NodeRecord
    children: int
    """How many direct children it has (0: nothing to expand)."""


@dataclass(frozen=True)
class ExecutionFilter:
    """The filters of the executions list; empty strings filter nothing."""

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
        if self.phase and self.phase not in {p.value for p in ExecutionPhase}:
            allowed = ", ".join(p.value for p in ExecutionPhase)
            raise ValidationError(f"unknown phase {self.phase!r}: one of {allowed}")
        if self.label and "=" not in self.label:
            raise ValidationError(f"a label filter is key=value, got {self.label!r}")


class ConsoleQueries:
    """Reads for the console; each method is one or two SQL statements."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- projects -----------------------------------------------------------------------------

    def project_counts(
        self, since: float | None = None, visible: frozenset[str] | None = None
    ) -> tuple[builtins.list[ProjectRow], dict[tuple[str, str], dict[str, int]]]:
        """Projects (only those in ``visible``; None: all), and the counts by phase of each
        project/domain's recent executions."""
        since = time.time() - RECENT_S if since is None else since
        listed = select(ProjectRow).order_by(ProjectRow.name)
        counted = (
            select(ExecutionRow.project, ExecutionRow.domain, ExecutionRow.phase, func.count())
            .where(ExecutionRow.created_at >= since)
            .group_by(ExecutionRow.project, ExecutionRow.domain, ExecutionRow.phase)
        )
        if visible is not None:
            listed = listed.where(ProjectRow.name.in_(sorted(visible)))
            counted = counted.where(ExecutionRow.project.in_(sorted(visible)))
        with self.db.session() as s:
            projects = builtins.list(s.scalars(listed))
            rows = s.execute(counted).all()
        counts: dict[tuple[str, str], dict[str, int]] = {}
        for project, domain, phase, n in rows:
            counts.setdefault((project, domain), {})[phase] = n
        return projects, counts

    def entities(self, project: str, domain: str) -> builtins.list[dict[str, Any]]:
        """Each task, workflow and launch plan name: versions, newest version and when."""
        with self.db.session() as s:
            newest = (
                select(
                    EntityRow.resource_type,
                    EntityRow.name,
                    func.count().label("versions"),
                    func.max(EntityRow.id).label("newest"),
                )
                .where(EntityRow.project == project, EntityRow.domain == domain)
                .group_by(EntityRow.resource_type, EntityRow.name)
                .subquery()
            )
            rows = s.execute(
                select(
                    newest.c.resource_type,
                    newest.c.name,
                    newest.c.versions,
                    EntityRow.version,
                    EntityRow.created_at,
                )
                .join(EntityRow, EntityRow.id == newest.c.newest)
                .order_by(newest.c.resource_type, newest.c.name)
            ).all()
            active = {
                name: version
                for name, version in s.execute(
                    select(ScheduleRow.name, ScheduleRow.version).where(
                        ScheduleRow.project == project,
                        ScheduleRow.domain == domain,
                        ScheduleRow.active.is_(True),
                    )
                )
            }
        return [
            {
                "type": rt,
                "name": name,
                "versions": n,
                "version": version,
                "created_at": created,
                "active": active.get(name) if rt == "launch_plan" else None,
            }
            for rt, name, n, version, created in rows
        ]

    def versions(
        self, resource_type: str, project: str, domain: str, name: str, limit: int = 50
    ) -> builtins.list[dict[str, Any]]:
        """The newest versions of one entity: version, when, the code bundle, who registered."""
        with self.db.session() as s:
            rows = s.execute(
                select(EntityRow.version, EntityRow.created_at, EntityRow.bundle, EntityRow.id)
                .where(
                    EntityRow.resource_type == resource_type,
                    EntityRow.project == project,
                    EntityRow.domain == domain,
                    EntityRow.name == name,
                )
                .order_by(EntityRow.id.desc())
                .limit(limit)
            ).all()
            out = []
            for version, created, bundle, _id in rows:
                # the registration's audit record: the write that ended as this row was stored
                who = s.scalar(
                    select(AuditRow.caller)
                    .where(
                        AuditRow.path.like("%/registrations"),
                        AuditRow.at >= created,
                        AuditRow.at <= created + 60,
                    )
                    .order_by(AuditRow.id)
                    .limit(1)
                )
                out.append(
                    {
                        "version": version,
                        "created_at": created,
                        "bundle": bundle,
                        "registered_by": who or "",
                    }
                )
        return out

    # -- executions ---------------------------------------------------------------------------

    def executions(
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
        if filters.phase:
            stmt = stmt.where(ExecutionRow.phase == filters.phase)
        if filters.workflow:
            stmt = stmt.where(ExecutionRow.target_name == filters.workflow)
        if filters.launched_by:
            stmt = stmt.where(ExecutionRow.launched_by == filters.launched_by)
        if filters.since is not None:
            stmt = stmt.where(ExecutionRow.created_at >= filters.since)
        if filters.until is not None:
            stmt = stmt.where(ExecutionRow.created_at <= filters.until)
        if filters.launch_plan:
            # the record's JSON names its launch plan as {"resource_type":"launch_plan","name":..}
            key = msgspec.json.encode(filters.launch_plan).decode()
            stmt = stmt.where(
                ExecutionRow.record.like(
                    f'%"launch_plan":{{"resource_type":"launch_plan","name":{like(key)},%',
                    escape="\\",
                )
            )
        if filters.label:
            k, _, v = filters.label.partition("=")
            pair = f"{msgspec.json.encode(k).decode()}:{msgspec.json.encode(v).decode()}"
            stmt = stmt.where(ExecutionRow.record.like(f'%"labels":{{%{like(pair)}%', escape="\\"))
        if before is not None:
            stmt = stmt.where(ExecutionRow.id < before)
        with self.db.session() as s:
            rows = s.execute(stmt.order_by(ExecutionRow.id.desc()).limit(limit + 1)).all()
        items = [(pk, _record.decode(data)) for pk, data in rows[:limit]]
        more = items[-1][0] if len(rows) > limit else None
        return items, more

    def execution(self, project: str, domain: str, name: str) -> tuple[int, ExecutionRecord]:
        """An execution's id and record (``NotFoundError`` when absent, via the caller)."""
        with self.db.session() as s:
            row = s.execute(
                select(ExecutionRow.id, ExecutionRow.record).where(
                    ExecutionRow.project == project,
                    ExecutionRow.domain == domain,
                    ExecutionRow.name == name,
                )
            ).first()
        if row is None:
            from slipstream.errors import NotFoundError

            raise NotFoundError(f"execution {project}/{domain}/{name} does not exist")
        return row[0], _record.decode(row[1])

    # -- nodes --------------------------------------------------------------------------------

    def top_phases(self, pk: int, ids: tuple[str, ...] | None = None) -> dict[str, str]:
        """The phase of each top-level node (what the graph colours). ``ids``: the workflow's
        node ids, looked up one by one in the index instead of scanning every node."""
        path = NodeExecutionRow.path
        stmt = select(path, NodeExecutionRow.phase).where(NodeExecutionRow.execution_id == pk)
        if ids is not None:
            stmt = stmt.where(path.in_(ids))
        else:
            stmt = stmt.where(not_(path.contains("/")), not_(path.contains("[")))
        with self.db.session() as s:
            rows = s.execute(stmt).all()
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
        path = NodeExecutionRow.path
        stmt = select(NodeExecutionRow.id, NodeExecutionRow.record).where(
            NodeExecutionRow.execution_id == pk, NodeExecutionRow.id > after
        )
        if not parent and ids is not None:
            stmt = stmt.where(path.in_(ids))
        elif not parent:
            stmt = stmt.where(not_(path.contains("/")), not_(path.contains("[")))
        else:
            p = like(parent)
            stmt = stmt.where(
                or_(
                    and_(
                        path.like(f"{p}/%", escape="\\"), not_(path.like(f"{p}/%/%", escape="\\"))
                    ),
                    and_(
                        path.like(f"{p}/dyn/%", escape="\\"),
                        not_(path.like(f"{p}/dyn/%/%", escape="\\")),
                    ),
                ),
                not_(path.like(f"{p}/%[%", escape="\\")),
            )
        with self.db.session() as s:
            rows = s.execute(stmt.order_by(NodeExecutionRow.id).limit(limit + 1)).all()
            page = rows[:limit]
            out = []
            for _id, data in page:
                rec = _node.decode(data)
                out.append(NodeRow(rec, self._child_count(s, pk, rec)))
        more = page[-1][0] if len(rows) > limit else None
        return out, more

    def _child_count(self, s: Session, pk: int, rec: NodeRecord) -> int:
        if rec.item_count is not None:
            return rec.item_count
        p = like(rec.path)
        path = NodeExecutionRow.path
        found = s.scalar(
            select(NodeExecutionRow.id)
            .where(
                NodeExecutionRow.execution_id == pk,
                path > f"{rec.path}/",
                path < f"{rec.path}0",  # "/" + 1
                path.like(f"{p}/%", escape="\\"),
            )
            .limit(1)
        )
        return 1 if found is not None else 0

    def item_counts(self, pk: int, node: str) -> dict[str, int]:
        """The items of map node ``node`` counted by phase."""
        lo, hi = item_range(node)
        path = NodeExecutionRow.path
        with self.db.session() as s:
            rows = s.execute(
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
            NodeExecutionRow.execution_id == pk,
            path >= lo,
            path < hi,
            NodeExecutionRow.id > after,
        )
        if phase:
            stmt = stmt.where(NodeExecutionRow.phase == phase)
        with self.db.session() as s:
            rows = s.execute(stmt.order_by(NodeExecutionRow.id).limit(limit + 1)).all()
        page = rows[:limit]
        more = page[-1][0] if len(rows) > limit else None
        return [_node.decode(d) for _, d in page], more

    def node(self, pk: int, path: str) -> NodeRecord | None:
        """One node's record."""
        with self.db.session() as s:
            data = s.scalar(
                select(NodeExecutionRow.record).where(
                    NodeExecutionRow.execution_id == pk, NodeExecutionRow.path == path
                )
            )
        return None if data is None else _node.decode(data)

    def attempts(self, pk: int, node: str) -> builtins.list[AttemptRecord]:
        """The attempts of one node, in order."""
        with self.db.session() as s:
            rows = s.scalars(
                select(AttemptRow.record)
                .where(AttemptRow.execution_id == pk, AttemptRow.node == node)
                .order_by(AttemptRow.number)
            ).all()
        return [_attempt.decode(r) for r in rows]

    def gantt(
        self, pk: int, *, after: int = 0, limit: int = 200
    ) -> tuple[builtins.list[AttemptRecord], int, int | None]:
        """A window of the execution's attempts in the order they were recorded, the number of
        attempts in all (at most ``GANTT_COUNT_CAP + 1``: "more than the cap"), and the id to
        continue from."""
        with self.db.session() as s:
            # counted up to a cap: an exact count of 100,000 attempts costs more than the page
            capped = (
                select(AttemptRow.id)
                .where(AttemptRow.execution_id == pk)
                .limit(GANTT_COUNT_CAP + 1)
                .subquery()
            )
            total = s.scalar(select(func.count()).select_from(capped))
            rows = s.execute(
                select(AttemptRow.id, AttemptRow.record)
                .where(AttemptRow.execution_id == pk, AttemptRow.id > after)
                .order_by(AttemptRow.id)
                .limit(limit + 1)
            ).all()
        page = rows[:limit]
        more = page[-1][0] if len(rows) > limit else None
        return [_attempt.decode(d) for _, d in page], int(total or 0), more
