"""Settings per project, per project+domain and per workflow or launch plan of a project+domain,
their resolution, and the resource ceiling.

Resolution applies layers in order: the task, the project, the project+domain, the workflow's,
the launch plan's (when asked for), an execution override; a field set in a later layer wins and dicts (labels, annotations, environment) merge key
by key. One exception keeps Flyte's meaning of *default* resources: a default fills only what the
task leaves unset, so a task's own request survives project defaults (an override still wins).
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from slipstream.errors import PermissionDeniedError, ValidationError
from slipstream.model import OomRetry, ResourceSpec, Role, Settings, TaskTemplate, parse_quantity

from .._auth import Principal
from .._clusters import check_route
from .._database import Database, SettingsRow, check_name
from ._input_uris import check_prefixes
from ._projects import ProjectService
from ._quantities import check_spec, exceeding

__all__ = ["TARGET_KINDS", "SettingsService", "merge_settings", "oom_retry_of", "settings_target"]

_DICTS = ("labels", "annotations", "environment")
TARGET_KINDS = ("workflow", "launch_plan")
"""What settings below a project+domain may be of: ``workflow:NAME``, ``launch_plan:NAME``."""


def settings_target(kind: str, name: str) -> str:
    """The ``target`` of the settings of one workflow or launch plan (checked)."""
    if kind not in TARGET_KINDS:
        raise ValidationError(
            f"settings may be of a {' or a '.join(TARGET_KINDS)}, not of a {kind!r}",
            details={"field": "target", "value": kind},
        )
    check_name(name)
    return f"{kind}:{name}"


def _check_target(target: str, domain: str) -> None:
    if not target:
        return
    kind, _, name = target.partition(":")
    settings_target(kind, name)
    if not domain:
        raise ValidationError(
            f"settings of {kind} {name!r} belong to a project+domain: give the domain",
            details={"field": "domain", "target": target},
        )


def _merge_resources(low: ResourceSpec | None, high: ResourceSpec | None) -> ResourceSpec | None:
    if low is None or high is None:
        return high if low is None else low
    fields = {f: getattr(high, f) or getattr(low, f) for f in high.__struct_fields__}
    return ResourceSpec(**fields)


def merge_settings(low: Settings, high: Settings) -> Settings:
    """``high`` over ``low`` field by field; dicts merge by key, resources by quantity."""
    values: dict[str, Any] = {}
    for name in Settings.__struct_fields__:
        a, b = getattr(low, name), getattr(high, name)
        if name in _DICTS and a is not None and b is not None:
            values[name] = {**a, **b}
        elif name in ("default_resources", "max_resources"):
            values[name] = _merge_resources(a, b)
        else:
            values[name] = a if b is None else b
    return Settings(**values)


class SettingsService:
    """Reads, writes and resolves settings; checks tasks against the resource ceiling."""

    def __init__(self, db: Database, projects: ProjectService) -> None:
        self.db = db
        self.projects = projects

    def get(self, project: str, domain: str = "", target: str = "") -> Settings:
        """The settings stored at exactly this level (empty when none); ``target``:
        ``workflow:NAME`` or ``launch_plan:NAME`` of the project+domain."""
        _check_target(target, domain)
        with self.db.session() as session:
            self._check_scope(session, project, domain)
            return self._load(session, project, domain, target)

    def put(
        self,
        project: str,
        domain: str,
        settings: Settings,
        caller: Principal | None = None,
        target: str = "",
    ) -> Settings:
        """Replace the settings of a project (``domain=""``), a project+domain, or (``target``)
        one workflow or launch plan of a project+domain.

        ``allowed_input_prefixes`` widens what launchers may read, so only an admin of the project
        (or ``caller=None``: the server itself) changes it; a body without it from anyone else
        keeps the stored one.
        """
        _check_target(target, domain)
        _validate(settings)
        settings = msgspec.structs.replace(
            settings,
            allowed_input_prefixes=check_prefixes(
                settings.allowed_input_prefixes, "allowed_input_prefixes"
            ),
        )
        with self.db.session() as session:
            self._check_scope(session, project, domain)
            row = session.scalars(
                select(SettingsRow).where(
                    SettingsRow.project == project,
                    SettingsRow.domain == domain,
                    SettingsRow.target == target,
                )
            ).one_or_none()
            if caller is not None and not caller.allows(Role.ADMIN, project, domain):
                stored = self._load(session, project, domain, target).allowed_input_prefixes
                if settings.allowed_input_prefixes is None:
                    settings = msgspec.structs.replace(settings, allowed_input_prefixes=stored)
                elif settings.allowed_input_prefixes != stored:
                    raise PermissionDeniedError(
                        "allowed_input_prefixes is set by an admin of the project: it decides "
                        "which data launchers may pass as inputs",
                        details={"field": "allowed_input_prefixes", "role": Role.ADMIN.value},
                    )
            body = msgspec.json.encode(settings).decode()
            if row is None:
                session.add(
                    SettingsRow(
                        project=project,
                        domain=domain,
                        target=target,
                        body=body,
                        updated_at=time.time(),
                    )
                )
            else:
                row.body, row.updated_at = body, time.time()
        return settings

    def resolve(
        self,
        project: str,
        domain: str,
        *,
        task: TaskTemplate | None = None,
        override: Settings | None = None,
    ) -> Settings:
        """The effective settings for a task (optional) run in ``project``/``domain``."""
        with self.db.session() as session:
            self._check_scope(session, project, domain)
            return self.resolve_in(session, project, domain, task=task, override=override)

    def targeted(
        self, session: Session, project: str, domain: str, targets: tuple[str, ...]
    ) -> Settings:
        """The settings of ``project``/``domain`` with those of ``targets`` (``workflow:NAME``,
        ``launch_plan:NAME``; later ones win) over them, read in one query."""
        rows = session.execute(
            select(SettingsRow.domain, SettingsRow.target, SettingsRow.body).where(
                SettingsRow.project == project,
                SettingsRow.domain.in_(("", domain)),
                SettingsRow.target.in_(("", *targets)),
            )
        ).all()
        found = {
            (row[0], row[1]): msgspec.json.decode(row[2], type=Settings)
            for row in rows
            if row[1] == "" or row[0] == domain
        }
        merged = Settings()
        for key in (("", ""), (domain, ""), *((domain, t) for t in targets)):
            if key in found:
                merged = merge_settings(merged, found[key])
        return merged

    def resolve_in(
        self,
        session: Session,
        project: str,
        domain: str,
        *,
        task: TaskTemplate | None = None,
        override: Settings | None = None,
    ) -> Settings:
        """:meth:`resolve` inside a caller's transaction (project and domain already checked)."""
        platform = merge_settings(
            self._load(session, project, ""), self._load(session, project, domain)
        )
        if task is not None:
            base = Settings(
                default_resources=task.requests if task.requests != ResourceSpec() else None,
                environment=dict(task.environment) or None,
            )
            resolved = merge_settings(base, platform)
            resolved = msgspec.structs.replace(
                resolved,
                default_resources=_merge_resources(
                    platform.default_resources, base.default_resources
                ),
            )
        else:
            resolved = platform
        return resolved if override is None else merge_settings(resolved, override)

    def allowed_input_prefixes(
        self, session: Session, project: str, domain: str
    ) -> tuple[str, ...]:
        """The prefixes an admin allows as inputs in ``project``/``domain`` (the domain's list
        wins over the project's), read in one query: it is on the path of a launch."""
        rows = session.execute(
            select(SettingsRow.domain, SettingsRow.body).where(
                SettingsRow.project == project,
                SettingsRow.domain.in_(("", domain)),
                SettingsRow.target == "",
            )
        ).all()
        found: dict[str, tuple[str, ...] | None] = {
            row[0]: msgspec.json.decode(row[1], type=Settings).allowed_input_prefixes
            for row in rows
        }
        chosen = found.get(domain)
        return chosen if chosen is not None else (found.get("") or ())

    def max_resources(self, session: Session, project: str, domain: str) -> ResourceSpec | None:
        """The resource ceiling for ``project``/``domain`` (None: no ceiling)."""
        return self.resolve_in(session, project, domain).max_resources

    def _check_scope(self, session: Session, project: str, domain: str) -> None:
        self.projects.require(session, project)
        if domain and domain not in self.projects.domains:
            raise ValidationError(
                f"unknown domain {domain!r}: the domains are {', '.join(self.projects.domains)}",
                details={"field": "domain", "value": domain},
            )

    @staticmethod
    def _load(session: Session, project: str, domain: str, target: str = "") -> Settings:
        body = session.scalars(
            select(SettingsRow.body).where(
                SettingsRow.project == project,
                SettingsRow.domain == domain,
                SettingsRow.target == target,
            )
        ).one_or_none()
        return Settings() if body is None else msgspec.json.decode(body, type=Settings)


def oom_retry_of(conn: Connection, project: str, domain: str) -> OomRetry | None:
    """How attempts killed for memory grow in ``project``/``domain`` (the domain's setting wins
    over the project's as a whole; None: the engine's default), read in one query when an engine
    host loads an execution."""
    rows = conn.execute(
        select(SettingsRow.domain, SettingsRow.body).where(
            SettingsRow.project == project,
            SettingsRow.domain.in_(("", domain)),
            SettingsRow.target == "",
        )
    ).all()
    found = {row[0]: msgspec.json.decode(row[1], type=Settings).oom_retry for row in rows}
    chosen = found.get(domain)
    return chosen if chosen is not None else found.get("")


def _validate(settings: Settings) -> None:
    oom = settings.oom_retry
    if oom is not None:
        if not 1 < oom.factor <= 16:
            raise ValidationError(
                f"oom_retry.factor must be above 1 and at most 16, got {oom.factor}",
                details={"field": "oom_retry.factor", "value": oom.factor},
            )
        if parse_quantity(oom.max, field="oom_retry.max") < 1 << 20:
            raise ValidationError(
                f"oom_retry.max must be at least 1Mi, got {oom.max!r}",
                details={"field": "oom_retry.max", "value": oom.max},
            )
    for name in ("default_resources", "max_resources"):
        spec = getattr(settings, name)
        if spec is not None:
            check_spec(spec, name)
    if settings.default_resources and settings.max_resources:
        over = exceeding(settings.default_resources, settings.max_resources)
        if over:
            text = ", ".join(f"{f}={a} > {m}" for f, a, m in over)
            raise ValidationError(
                f"default resources exceed the maximum: {text}",
                details={"exceeding": [list(o) for o in over]},
            )
    if settings.max_parallelism is not None and settings.max_parallelism < 1:
        raise ValidationError("max_parallelism must be at least 1")
    if settings.execution_cluster is not None:
        check_route(settings.execution_cluster, "execution_cluster")
