"""Reading the notifications recorded for executions and where their delivery stands."""

from __future__ import annotations

import builtins

from sqlalchemy import select

from slipstream.model import NotificationDelivery, Page

from .._database import (
    Database,
    NotificationRow,
    PageRequest,
    check_domain,
    check_project,
    paginate,
)
from .._executions import find_row
from .._projects import ProjectService

__all__ = ["NotificationLog", "delivery_of"]


def delivery_of(row: NotificationRow) -> NotificationDelivery:
    """The API form of a notification row."""
    return NotificationDelivery(
        id=row.id,
        execution=row.execution,
        phase=row.phase,
        kind=row.kind,
        recipient=row.recipient,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


class NotificationLog:
    """Notifications of a project and domain (optionally only failed ones), or of an execution."""

    def __init__(self, db: Database, projects: ProjectService) -> None:
        self.db = db
        self.projects = projects

    def list(
        self, project: str, domain: str, page: PageRequest, *, state: str | None = None
    ) -> Page[NotificationDelivery]:
        """Newest first by default."""
        check_project(project)
        check_domain(domain, self.projects.domains)
        stmt = select(NotificationRow).where(
            NotificationRow.project == project, NotificationRow.domain == domain
        )
        if state is not None:
            stmt = stmt.where(NotificationRow.state == state)
        with self.db.session() as session:
            self.projects.require(session, project)
            items, cursor = paginate(
                session,
                stmt,
                page=page,
                id_column=NotificationRow.id,
                sort_columns={"created_at": None},
                key_of=lambda r: (r.id, r.id),
                to_item=delivery_of,
            )
        return Page(items=tuple(items), next_cursor=cursor)

    def of_execution(
        self, project: str, domain: str, name: str
    ) -> builtins.list[NotificationDelivery]:
        """The notifications of one execution."""
        with self.db.session() as session:
            pk = find_row(session, project, domain, name, self.projects.domains).id
            rows = session.scalars(
                select(NotificationRow)
                .where(NotificationRow.execution_id == pk)
                .order_by(NotificationRow.id)
            )
            return [delivery_of(r) for r in rows]
