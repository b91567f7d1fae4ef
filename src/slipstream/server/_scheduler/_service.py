"""Activating and deactivating launch plan schedules, listing them and their ticks, backfills.

One row of ``schedules`` per launch plan name holds the active version, so activating a version
deactivates whichever was active before, in the same write. The scheduler thread
(:mod:`._scheduler`) reads these rows; this service never makes executions itself.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slipstream.errors import NotFoundError, ValidationError
from slipstream.model import (
    BackfillRequest,
    BackfillResult,
    LaunchPlanSpec,
    Page,
    ResourceType,
    Schedule,
    ScheduleState,
    ScheduleTick,
)

from .._database import (
    Database,
    PageRequest,
    ScheduleRow,
    ScheduleTickRow,
    check_domain,
    check_name,
    check_project,
    check_version,
    paginate,
)
from .._executions import check_actor
from .._projects import ProjectService
from .._registry import Registry, decode_spec
from ._ticks import check_schedule, next_tick, ticks_between

__all__ = ["MAX_BACKFILL", "ScheduleService", "decode_schedule", "state_of"]

MAX_BACKFILL = 10_000
_schedule_decoder: msgspec.json.Decoder[Schedule] = msgspec.json.Decoder(Schedule)


def decode_schedule(data: str) -> Schedule:
    """A stored schedule's model."""
    return _schedule_decoder.decode(data)


def state_of(row: ScheduleRow) -> ScheduleState:
    """The API form of a schedule row."""
    return ScheduleState(
        project=row.project,
        domain=row.domain,
        name=row.name,
        version=row.version,
        active=bool(row.active),
        schedule=decode_schedule(row.schedule),
        next_at=row.next_at,
        activated_by=row.activated_by,
        updated_at=row.updated_at,
    )


def _tick(row: ScheduleTickRow) -> ScheduleTick:
    return ScheduleTick(
        name=row.name,
        version=row.version,
        tick_at=row.tick_at,
        origin=row.origin,
        state=row.state,
        execution=row.execution,
        error=row.error,
        not_before=row.not_before,
    )


class ScheduleService:
    """See the module docstring; ``clock`` gives the time (tests pass their own)."""

    def __init__(
        self,
        db: Database,
        projects: ProjectService,
        registry: Registry,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.db = db
        self.projects = projects
        self.registry = registry
        self.clock: Callable[[], float] = clock or time.time

    def _check(self, project: str, domain: str, name: str) -> None:
        check_project(project)
        check_domain(domain, self.projects.domains)
        check_name(name)

    def _launch_plan(
        self, session: Session, project: str, domain: str, name: str, version: str
    ) -> LaunchPlanSpec:
        row = self.registry.get_row(
            session, ResourceType.LAUNCH_PLAN, project, domain, name, version
        )
        spec = decode_spec(row)
        assert isinstance(spec, LaunchPlanSpec)
        return spec

    def activate(
        self, project: str, domain: str, name: str, version: str, actor: str = ""
    ) -> ScheduleState:
        """Make ``version`` the active schedule of launch plan ``name`` (deactivating any other
        version); its first tick is the first one after now."""
        self._check(project, domain, name)
        check_version(version)
        actor = check_actor(actor, "activated_by")
        now = self.clock()
        for _ in range(3):
            try:
                with self.db.session() as session:
                    self.projects.require(session, project, active=True)
                    lp = self._launch_plan(session, project, domain, name, version)
                    if lp.schedule is None:
                        raise ValidationError(
                            f"launch plan {project}/{domain}/{name}@{version} has no schedule "
                            "(give it a CronSchedule or FixedRate to activate it)",
                            details={"name": name, "version": version},
                        )
                    check_schedule(lp.schedule)
                    data = msgspec.json.encode(lp.schedule).decode()
                    row = self._row(session, project, domain, name)
                    if row is None:
                        row = ScheduleRow(project=project, domain=domain, name=name)
                        session.add(row)
                    elif row.active and row.version == version and row.schedule == data:
                        return state_of(row)  # already active: keep its next tick
                    row.version = version
                    row.active = True
                    row.schedule = data
                    row.next_at = next_tick(lp.schedule, now, now)
                    row.activated_by = actor
                    row.updated_at = now
                    session.flush()
                    return state_of(row)
            except IntegrityError:  # two activations of a new name at once: read it again
                continue
        raise ValidationError(f"could not activate {name}: retry")

    def deactivate(self, project: str, domain: str, name: str, actor: str = "") -> ScheduleState:
        """Stop the schedule of launch plan ``name`` (whichever version was active)."""
        self._check(project, domain, name)
        check_actor(actor, "deactivated_by")
        with self.db.session() as session:
            row = self._row(session, project, domain, name)
            if row is None:
                raise NotFoundError(f"launch plan {project}/{domain}/{name} has no schedule")
            row.active = False
            row.updated_at = self.clock()
            return state_of(row)

    def get(self, project: str, domain: str, name: str) -> ScheduleState:
        """The schedule of launch plan ``name``."""
        self._check(project, domain, name)
        with self.db.session() as session:
            row = self._row(session, project, domain, name)
            if row is None:
                raise NotFoundError(
                    f"launch plan {project}/{domain}/{name} has no schedule (never activated)"
                )
            return state_of(row)

    def list(
        self, project: str, domain: str, *, active_only: bool = False
    ) -> builtins.list[ScheduleState]:
        """The schedules of a project and domain, by name."""
        check_project(project)
        check_domain(domain, self.projects.domains)
        stmt = select(ScheduleRow).where(
            ScheduleRow.project == project, ScheduleRow.domain == domain
        )
        if active_only:
            stmt = stmt.where(ScheduleRow.active.is_(True))
        with self.db.session() as session:
            self.projects.require(session, project)
            return [state_of(r) for r in session.scalars(stmt.order_by(ScheduleRow.name))]

    def ticks(self, project: str, domain: str, name: str, page: PageRequest) -> Page[ScheduleTick]:
        """The ticks claimed for launch plan ``name``, newest first by default."""
        self._check(project, domain, name)
        stmt = select(ScheduleTickRow).where(
            ScheduleTickRow.project == project,
            ScheduleTickRow.domain == domain,
            ScheduleTickRow.name == name,
        )
        with self.db.session() as session:
            self.projects.require(session, project)
            items, cursor = paginate(
                session,
                stmt,
                page=page,
                id_column=ScheduleTickRow.id,
                sort_columns={"created_at": None, "tick_at": ScheduleTickRow.tick_at},
                key_of=lambda r: (r.tick_at if page.sort_by == "tick_at" else r.id, r.id),
                to_item=_tick,
            )
        return Page(items=tuple(items), next_cursor=cursor)

    def backfill(
        self, project: str, domain: str, name: str, request: BackfillRequest
    ) -> BackfillResult:
        """Claim the ticks of ``[start, end]``, one execution every ``pace_s`` seconds from now.

        A tick that already ran (scheduled or backfilled before) is not run again.
        """
        self._check(project, domain, name)
        check_actor(request.requested_by, "requested_by")
        if not request.start <= request.end:
            raise ValidationError(
                f"a backfill's start ({request.start}) must not be after its end ({request.end})"
            )
        if not 0 <= request.pace_s <= 3600:
            raise ValidationError(f"pace_s must be between 0 and 3600, got {request.pace_s}")
        now = self.clock()
        if request.end > now:
            raise ValidationError("a backfill's end must not be in the future")
        with self.db.session() as session:
            self.projects.require(session, project, active=True)
            version = request.version
            if not version:
                row = self._row(session, project, domain, name)
                if row is None:
                    raise ValidationError(
                        f"launch plan {project}/{domain}/{name} was never activated: "
                        "name the version to backfill"
                    )
                version = row.version
            check_version(version)
            lp = self._launch_plan(session, project, domain, name, version)
            if lp.schedule is None:
                raise ValidationError(f"launch plan {name}@{version} has no schedule")
            check_schedule(lp.schedule)
            ticks = ticks_between(
                lp.schedule, request.start, request.end, request.start, MAX_BACKFILL + 1
            )
            if len(ticks) > MAX_BACKFILL:
                raise ValidationError(
                    f"the range has more than {MAX_BACKFILL} ticks: backfill it in parts"
                )
            taken = set(
                session.scalars(
                    select(ScheduleTickRow.tick_at).where(
                        ScheduleTickRow.project == project,
                        ScheduleTickRow.domain == domain,
                        ScheduleTickRow.name == name,
                        ScheduleTickRow.tick_at >= request.start,
                        ScheduleTickRow.tick_at <= request.end,
                    )
                )
            )
            new = [t for t in ticks if t not in taken]
            for i, t in enumerate(new):
                session.add(
                    ScheduleTickRow(
                        project=project,
                        domain=domain,
                        name=name,
                        version=version,
                        tick_at=t,
                        origin="backfill",
                        state="pending",
                        execution="",
                        error="",
                        not_before=now + i * request.pace_s,
                        created_at=now,
                    )
                )
        return BackfillResult(created=len(new), existing=len(ticks) - len(new), ticks=tuple(new))

    @staticmethod
    def _row(session: Session, project: str, domain: str, name: str) -> ScheduleRow | None:
        return session.scalars(
            select(ScheduleRow).where(
                ScheduleRow.project == project,
                ScheduleRow.domain == domain,
                ScheduleRow.name == name,
            )
        ).first()
