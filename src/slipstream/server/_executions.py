"""Executions as the control plane lists them (created by the engine host in a later step)."""

from __future__ import annotations

import msgspec
from sqlalchemy import select

from slipstream.errors import NotFoundError, ValidationError
from slipstream.model import ExecutionPhase, ExecutionRecord, Page

from ._db import Database
from ._names import check_domain, check_project
from ._pagination import PageRequest, paginate
from ._projects import ProjectService
from ._tables import ExecutionRow

__all__ = ["ExecutionService"]


class ExecutionService:
    """Reads of the ``executions`` table; the stored record JSON is returned undecoded."""

    def __init__(self, db: Database, projects: ProjectService) -> None:
        self.db = db
        self.projects = projects

    def list(
        self, project: str, domain: str, page: PageRequest, *, phase: str | None = None
    ) -> Page[msgspec.Raw]:
        """Executions of a project/domain, newest first by default, optionally of one phase."""
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
        check_project(project)
        check_domain(domain, self.projects.domains)
        with self.db.session() as session:
            record = session.scalars(
                select(ExecutionRow.record).where(
                    ExecutionRow.project == project,
                    ExecutionRow.domain == domain,
                    ExecutionRow.name == name,
                )
            ).first()
        if record is None:
            raise NotFoundError(f"execution {project}/{domain}/{name} does not exist")
        return msgspec.Raw(record.encode())


def record_row(record: ExecutionRecord, now: float) -> ExecutionRow:
    """The row of an execution record (used by tests and benchmarks until the engine host)."""
    target = record.spec.target
    return ExecutionRow(
        project=record.id.project,
        domain=record.id.domain,
        name=record.id.name,
        phase=record.phase.value,
        target_type=target.resource_type.value,
        target_name=target.name,
        target_version=target.version,
        record=msgspec.json.encode(record).decode(),
        created_at=record.created_at or now,
        updated_at=now,
    )


def _key(row: ExecutionRow) -> tuple[int, int]:
    return (row.id, row.id)


def _raw_record(row: ExecutionRow) -> msgspec.Raw:
    return msgspec.Raw(row.record.encode())
