"""Promotion: the same immutable entities registered in another domain, with an audit record.

Promoting a workflow brings its task closure and the launch plans of the same version that launch
it; promoting a launch plan brings its workflow. Identifiers that pointed at the source domain point
at the target domain; specs, versions and code bundles are otherwise unchanged. The target domain's
settings apply: its resource ceiling is checked like at any registration.
"""

from __future__ import annotations

import builtins
import time
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from slipstream.errors import ValidationError
from slipstream.model import (
    Identifier,
    LaunchPlanSpec,
    Page,
    PromoteRequest,
    Promotion,
    ResourceType,
    Role,
)

from .._auth import Principal
from .._database import (
    Database,
    EntityRow,
    PageRequest,
    PromotionRow,
    check_domain,
    check_name,
    check_project,
    check_version,
    paginate,
)
from .._projects import ProjectService
from ._registry import _SPEC_TYPES, Entry, Registry, decode_spec, spec_id
from ._walls import require_role

__all__ = ["PromotionService"]


class PromotionService:
    """Promotes entities between domains and keeps the append-only promotion log."""

    def __init__(self, db: Database, projects: ProjectService, registry: Registry) -> None:
        self.db = db
        self.projects = projects
        self.registry = registry

    def promote(self, request: PromoteRequest, caller: Principal | None = None) -> Promotion:
        """Register the entity (and what it needs) in ``to_domain``; record who did it.

        ``caller`` (None: the server itself) must be able to read the source domain, besides
        editing the target (checked by registration; an admin's role for a protected domain),
        so that nobody copies out what they may not read."""
        check_project(request.project)
        check_name(request.name)
        check_version(request.version)
        domains = self.projects.domains
        check_domain(request.from_domain, domains)
        check_domain(request.to_domain, domains)
        if request.from_domain == request.to_domain:
            raise ValidationError("from_domain and to_domain are the same domain")
        if len(request.promoted_by) > 255 or "\x00" in request.promoted_by:
            raise ValidationError("promoted_by must have at most 255 characters and no NUL")
        what = f"promoting from {request.project}/{request.from_domain} (reading it)"
        require_role(caller, Role.VIEWER, request.project, request.from_domain, what)
        if request.to_domain in self.registry.protected:
            what = f"promoting into the protected domain {request.to_domain!r}"
            require_role(caller, Role.ADMIN, request.project, request.to_domain, what)
        return self.registry.retrying(lambda session: self._promote(session, request, caller))

    def _promote(
        self, session: Session, request: PromoteRequest, caller: Principal | None
    ) -> Promotion:
        """Promote in the caller's transaction (retried on a concurrent conflict)."""
        self.projects.require(session, request.project, active=True)
        rows = self._closure(session, request)
        entries = [
            _moved(row, request.project, request.from_domain, request.to_domain) for row in rows
        ]
        result = self.registry.register_entries(session, entries, caller)
        record = PromotionRow(
            resource_type=request.resource_type.value,
            project=request.project,
            name=request.name,
            version=request.version,
            from_domain=request.from_domain,
            to_domain=request.to_domain,
            promoted_by=request.promoted_by or "unknown",
            promoted_at=time.time(),
            entities=msgspec.json.encode([*result.created, *result.unchanged]).decode(),
        )
        session.add(record)
        session.flush()
        return _to_model(record)

    def list(self, project: str, page: PageRequest) -> Page[Promotion]:
        """The promotions of a project, newest first by default."""
        check_project(project)
        with self.db.session() as session:
            self.projects.require(session, project)
            items, cursor = paginate(
                session,
                select(PromotionRow).where(PromotionRow.project == project),
                page=page,
                id_column=PromotionRow.id,
                sort_columns={"created_at": None},
                key_of=lambda r: (r.id, r.id),
                to_item=_to_model,
            )
        return Page(items=tuple(items), next_cursor=cursor)

    def _closure(self, session: Session, request: PromoteRequest) -> builtins.list[EntityRow]:
        get = self.registry.get_row
        p, d, v = request.project, request.from_domain, request.version
        root = get(session, request.resource_type, p, d, request.name, v)
        rows = [root]
        if request.resource_type == ResourceType.LAUNCH_PLAN:
            lp = decode_spec(root)
            assert isinstance(lp, LaunchPlanSpec)
            rows.append(
                get(session, ResourceType.WORKFLOW, p, d, lp.workflow.name, lp.workflow.version)
            )
        elif request.resource_type == ResourceType.WORKFLOW:
            candidates = session.scalars(
                select(EntityRow).where(
                    EntityRow.resource_type == ResourceType.LAUNCH_PLAN.value,
                    EntityRow.project == p,
                    EntityRow.domain == d,
                    EntityRow.version == v,
                )
            )
            for row in candidates:
                lp = decode_spec(row)
                assert isinstance(lp, LaunchPlanSpec)
                if (lp.workflow.name, lp.workflow.version) == (request.name, v):
                    rows.append(row)
        return rows


def _moved(row: EntityRow, project: str, source: str, target: str) -> Entry:
    tree = _retarget(msgspec.json.decode(row.spec), project, source, target)
    spec = msgspec.convert(tree, type=_SPEC_TYPES[ResourceType(row.resource_type)])
    return Entry(spec_id(spec), spec, row.bundle)


def _retarget(tree: Any, project: str, source: str, target: str) -> Any:
    """Every identifier in ``project``/``source`` moved to ``target``."""
    if isinstance(tree, list):
        return [_retarget(x, project, source, target) for x in tree]
    if not isinstance(tree, dict):
        return tree
    out = {k: _retarget(v, project, source, target) for k, v in tree.items()}
    if (
        "resource_type" in out
        and "name" in out
        and out.get("project") == project
        and out.get("domain") == source
    ):
        out["domain"] = target
    return out


def _to_model(row: PromotionRow) -> Promotion:
    return Promotion(
        id=row.id,
        resource_type=ResourceType(row.resource_type),
        project=row.project,
        name=row.name,
        version=row.version,
        from_domain=row.from_domain,
        to_domain=row.to_domain,
        promoted_by=row.promoted_by,
        promoted_at=row.promoted_at,
        entities=msgspec.json.decode(row.entities, type=tuple[Identifier, ...]),
    )
