"""What the console lists of a project's registrations: each entity name with its number of
versions and its newest, and the newest versions of one name with who registered each. Read
through :meth:`._registry.Registry.names` and :meth:`._registry.Registry.versions`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from .._database import AuditRow, Database, EntityRow

__all__ = ["entity_names", "entity_versions"]


def entity_names(db: Database, project: str, domain: str) -> list[dict[str, Any]]:
    """Each task, workflow and launch plan name: versions, newest version and when."""
    with db.session() as s:
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
    return [
        {"type": rt, "name": name, "versions": n, "version": version, "created_at": created}
        for rt, name, n, version, created in rows
    ]


def entity_versions(
    db: Database, resource_type: str, project: str, domain: str, name: str, limit: int
) -> list[dict[str, Any]]:
    """The newest versions of one entity: version, when, the code bundle, who registered."""
    with db.session() as s:
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
