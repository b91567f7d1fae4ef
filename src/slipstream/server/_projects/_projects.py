"""Projects and domains: create, describe, list, archive."""

from __future__ import annotations

import time

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slipstream.errors import ConflictError, NotFoundError, ValidationError
from slipstream.model import Page, Project, ProjectCreate, ProjectState

from .._database import Database, PageRequest, ProjectRow, check_project, paginate

__all__ = ["ProjectService"]

_MAX_DESCRIPTION = 4000
_MAX_LABELS = 64


class ProjectService:
    """Projects live in the database; domains are configuration, the same for every project."""

    def __init__(self, db: Database, domains: tuple[str, ...]) -> None:
        self.db = db
        self.domains = domains

    def create(self, request: ProjectCreate) -> Project:
        """Create a project; an existing name is a :class:`ConflictError`."""
        check_project(request.name)
        _check_labels(request.labels)
        if "\x00" in request.description:
            raise ValidationError("description contains a NUL character")
        if len(request.description) > _MAX_DESCRIPTION:
            raise ValidationError(f"description is longer than {_MAX_DESCRIPTION} characters")
        row = ProjectRow(
            name=request.name,
            description=request.description,
            labels=msgspec.json.encode(request.labels).decode(),
            state=ProjectState.ACTIVE.value,
            created_at=time.time(),
        )
        try:
            with self.db.session() as session:
                if session.get(ProjectRow, request.name) is not None:
                    raise ConflictError(f"project {request.name!r} already exists")
                session.add(row)
        except IntegrityError:
            raise ConflictError(f"project {request.name!r} already exists") from None
        return self._to_model(row)

    def get(self, name: str) -> Project:
        """Describe one project."""
        with self.db.session() as session:
            return self._to_model(self.require(session, name))

    def list(
        self,
        page: PageRequest,
        state: ProjectState | None = None,
        visible: frozenset[str] | None = None,
    ) -> Page[Project]:
        """Projects by creation (default) or name; only those named in ``visible`` (None: all),
        the projects where the caller holds a role."""
        stmt = select(ProjectRow)
        if state is not None:
            stmt = stmt.where(ProjectRow.state == state.value)
        if visible is not None:
            stmt = stmt.where(ProjectRow.name.in_(sorted(visible)))
        with self.db.session() as session:
            items, cursor = paginate(
                session,
                stmt,
                page=page,
                id_column=ProjectRow.name,
                sort_columns={"created_at": ProjectRow.created_at, "name": None},
                key_of=lambda r: (r.created_at if page.sort_by == "created_at" else r.name, r.name),
                to_item=self._to_model,
            )
        return Page(items=tuple(items), next_cursor=cursor)

    def archive(self, name: str) -> Project:
        """Archive a project (idempotent): its entities stay, new registrations are refused."""
        with self.db.session() as session:
            row = self.require(session, name)
            row.state = ProjectState.ARCHIVED.value
            return self._to_model(row)

    def require(self, session: Session, name: str, *, active: bool = False) -> ProjectRow:
        """The project's row; :class:`NotFoundError` if absent, and if ``active``, not archived."""
        check_project(name)
        row = session.get(ProjectRow, name)
        if row is None:
            raise NotFoundError(
                f"project {name!r} does not exist (create it with `slipstream project create "
                f"{name}`)",
                details={"project": name},
            )
        if active and row.state != ProjectState.ACTIVE.value:
            raise ConflictError(
                f"project {name!r} is archived and accepts no registrations",
                details={"project": name},
            )
        return row

    def _to_model(self, row: ProjectRow) -> Project:
        return Project(
            name=row.name,
            description=row.description,
            labels=msgspec.json.decode(row.labels, type=dict[str, str]),
            state=ProjectState(row.state),
            domains=self.domains,
            created_at=row.created_at,
        )


def _check_labels(labels: dict[str, str]) -> None:
    if len(labels) > _MAX_LABELS:
        raise ValidationError(f"at most {_MAX_LABELS} labels are allowed")
    for key, value in labels.items():
        if not key or len(key) > 63 or len(value) > 255 or "\x00" in key + value:
            raise ValidationError(
                f"invalid label {key!r}: keys have 1 to 63 characters, values at most 255, no NUL",
                details={"field": "labels", "key": key},
            )
