"""The scheduler: a thread of the server process that turns due ticks into executions.

Each pass does two things, each safe with any number of schedulers on one database:

1. **Claim** the ticks of due schedules: in one transaction, advance ``schedules.next_at`` with a
   compare-and-set (``UPDATE ... WHERE next_at = <what was read>``) and insert one
   ``schedule_ticks`` row per tick to run. Only the scheduler whose update matched inserts; the
   unique key on (launch plan, tick time) is the last word if two ever tried.
2. **Create** the execution of each pending tick through the launch service, named from the
   tick's key, so that a scheduler killed between creating it and marking the tick done (or two
   schedulers racing for one pending tick) finds the name taken and only marks the tick.

Missed ticks (no scheduler ran at their time) follow the schedule's catch-up policy
(:func:`._ticks.due_ticks`); those of ``all`` and of backfills are paced (``not_before``) so that
no storm of executions starts at once. The tick time, as an ISO-8601 UTC datetime, goes to the
launch plan's ``kickoff_time_input_arg``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from slipstream.errors import ConflictError, SlipstreamError
from slipstream.model import ExecutionCreate, Grant, Identifier, LaunchPlanSpec, ResourceType, Role

from .._auth import Principal
from .._database import Database, ScheduleRow, ScheduleTickRow
from .._executions import SYSTEM_PREFIX, LaunchService, decode_record, find_row
from .._loops import run_passes
from .._metrics import NO_METRICS
from .._registry import decode_spec
from ._service import decode_schedule
from ._ticks import due_ticks

__all__ = ["SCHEDULER_ACTOR", "Scheduler", "tick_execution_name"]

SCHEDULER_ACTOR = "scheduler"
_NAME_ATTEMPTS = 4


def scheduler_caller(project: str, domain: str) -> Principal:
    """Who a tick launches as: a launcher of its own schedule's project and domain only, so that
    the launch service checks a tick's inputs as it checks anyone's (they are the plan's)."""
    return Principal(SCHEDULER_ACTOR, (Grant(Role.LAUNCHER, project, domain),))


_log = logging.getLogger("slipstream.scheduler")


def tick_execution_name(
    project: str, domain: str, name: str, tick_at: float, attempt: int = 0
) -> str:
    """The name of the execution of a tick: the same for every scheduler that makes it, with the
    prefix no user-given name takes (``attempt`` > 0: the next name to try when one is taken
    by an execution that is not this tick's)."""
    key = f"{project}/{domain}/{name}/{tick_at!r}" + (f"#{attempt}" if attempt else "")
    digest = hashlib.sha256(key.encode()).hexdigest()
    stamp = dt.datetime.fromtimestamp(tick_at, dt.UTC).strftime("%Y%m%dt%H%M%S")
    return f"{SYSTEM_PREFIX}s{digest[:12]}-{stamp}"


def kickoff_literal(tick_at: float) -> str:
    """The tick time as the literal of a ``datetime`` input (ISO-8601, UTC)."""
    return dt.datetime.fromtimestamp(tick_at, dt.UTC).isoformat()


class Scheduler:
    """Claims due ticks and creates their executions; see the module docstring.

    ``clock`` gives the time (tests pass a controllable one); ``grace_s`` is how late a tick may
    be found and still count as on time; ``catchup_pace_s`` spaces the executions of missed
    ticks run under the ``all`` policy.
    """

    def __init__(
        self,
        db: Database,
        launches: LaunchService,
        *,
        clock: Callable[[], float] = time.time,
        poll_s: float = 1.0,
        grace_s: float = 60.0,
        catchup_pace_s: float = 1.0,
        batch: int = 100,
    ) -> None:
        self.db = db
        self.launches = launches
        self.clock = clock
        self.poll_s = poll_s
        self.grace_s = grace_s
        self.catchup_pace_s = catchup_pace_s
        self.batch = batch
        self._stop = threading.Event()
        self.metrics = NO_METRICS
        """Where each created tick's lag is counted (its server's metrics)."""

    # -- the loop -----------------------------------------------------------------------------

    def serve(self, beat: Callable[[], None] | None = None) -> None:
        """Run passes until :meth:`stop` (see :func:`~.._loops.run_passes`)."""
        run_passes("the scheduler", self.run_once, self._stop, self.poll_s, _log, beat)

    def stop(self) -> None:
        """End :meth:`serve` after its current pass."""
        self._stop.set()

    def run_once(self) -> int:
        """One pass: claim due ticks, then create executions; the number of ticks handled."""
        now = self.clock()
        return self.claim(now) + self.create(now)

    # -- 1. claim -----------------------------------------------------------------------------

    def claim(self, now: float) -> int:
        """Claim the ticks of every schedule due at ``now``; the number claimed."""
        with self.db.session() as session:
            due = session.execute(
                select(
                    ScheduleRow.id,
                    ScheduleRow.version,
                    ScheduleRow.schedule,
                    ScheduleRow.next_at,
                )
                .where(ScheduleRow.active.is_(True), ScheduleRow.next_at <= now)
                .order_by(ScheduleRow.next_at)
                .limit(self.batch)
            ).all()
        claimed = 0
        for row_id, version, data, next_at in due:
            try:
                claimed += self._claim_one(row_id, version, data, next_at, now)
            except (IntegrityError, OperationalError):
                # another scheduler claimed these ticks (or the database was busy): next pass
                _log.debug("schedule %s: claim lost", row_id, exc_info=True)
        return claimed

    def _claim_one(self, row_id: int, version: str, data: str, next_at: float, now: float) -> int:
        schedule = decode_schedule(data)
        plan = due_ticks(schedule, next_at, now, next_at, grace_s=self.grace_s)
        with self.db.session() as session:
            moved = _count(
                session.execute(
                    update(ScheduleRow)
                    .where(
                        ScheduleRow.id == row_id,
                        ScheduleRow.next_at == next_at,
                        ScheduleRow.version == version,
                        ScheduleRow.active.is_(True),
                    )
                    .values(next_at=plan.next_at)
                )
            )
            if moved != 1:
                return 0
            row = session.get(ScheduleRow, row_id)
            assert row is not None
            if plan.skipped:
                _log.info(
                    "schedule %s/%s/%s: %d missed tick(s) not run (catch-up policy %s)",
                    row.project,
                    row.domain,
                    row.name,
                    plan.skipped,
                    schedule.catchup,
                )
            if not plan.run:
                return 0
            taken = set(
                session.scalars(
                    select(ScheduleTickRow.tick_at).where(
                        ScheduleTickRow.project == row.project,
                        ScheduleTickRow.domain == row.domain,
                        ScheduleTickRow.name == row.name,
                        ScheduleTickRow.tick_at.in_(plan.run),
                    )
                )
            )
            late = 0
            for tick in plan.run:
                if tick in taken:  # a backfill ran it already
                    continue
                is_late = now - tick > self.grace_s
                session.add(
                    ScheduleTickRow(
                        project=row.project,
                        domain=row.domain,
                        name=row.name,
                        version=version,
                        tick_at=tick,
                        origin="schedule",
                        state="pending",
                        execution="",
                        error="",
                        not_before=now + late * self.catchup_pace_s if is_late else 0.0,
                        created_at=now,
                    )
                )
                late += is_late
            return len(plan.run) - len(taken)

    # -- 2. create ----------------------------------------------------------------------------

    def create(self, now: float) -> int:
        """Create the executions of pending ticks whose time came; the number handled."""
        with self.db.session() as session:
            pending = session.scalars(
                select(ScheduleTickRow)
                .where(ScheduleTickRow.state == "pending", ScheduleTickRow.not_before <= now)
                .order_by(ScheduleTickRow.id)
                .limit(self.batch)
            ).all()
        plans: dict[tuple[str, str, str, str], LaunchPlanSpec] = {}
        for tick in pending:
            self._create_one(tick, plans)
        return len(pending)

    def _create_one(
        self, tick: ScheduleTickRow, plans: dict[tuple[str, str, str, str], LaunchPlanSpec]
    ) -> None:
        key = (tick.project, tick.domain, tick.name, tick.version)
        state, error, name = "created", "", ""
        if tick.origin == "schedule" and not self._still_active(tick):
            # deactivated (or another version activated) while its catch-up ticks waited
            self._mark(tick.id, "cancelled", "", "the schedule was deactivated before it ran")
            return
        try:
            lp = plans.get(key)
            if lp is None:
                lp = plans[key] = self._launch_plan(*key)
            inputs = {}
            arg = lp.schedule.kickoff_time_input_arg if lp.schedule is not None else None
            if arg:
                inputs[arg] = kickoff_literal(tick.tick_at)
            name = self._launch_tick(tick, inputs)
            self.metrics.schedule_lag(self.clock() - tick.tick_at)
        except SlipstreamError as e:
            if e.kind != "USER":
                raise
            state, error = "failed", e.message
            _log.warning("tick %s of %s failed: %s", tick.tick_at, tick.name, e.message)
        self._mark(tick.id, state, name if state == "created" else "", error)

    def _launch_tick(self, tick: ScheduleTickRow, inputs: dict[str, str]) -> str:
        """Create the execution of ``tick``; its name. A name already taken is this tick's
        execution (made before a restart, or by another scheduler) only if that execution's
        record is this tick's: launched by the scheduler, of this launch plan, at this time;
        otherwise the next name is tried."""
        target = Identifier(
            ResourceType.LAUNCH_PLAN, tick.name, tick.project, tick.domain, tick.version
        )
        scheduled_at = kickoff_literal(tick.tick_at)
        for attempt in range(_NAME_ATTEMPTS):
            name = tick_execution_name(tick.project, tick.domain, tick.name, tick.tick_at, attempt)
            try:
                self.launches.create(
                    ExecutionCreate(
                        target=target,
                        inputs=inputs,
                        name=name,
                        annotations={"scheduled_at": scheduled_at},
                        labels={"origin": tick.origin},
                        launched_by=SCHEDULER_ACTOR,
                    ),
                    scheduler_caller(tick.project, tick.domain),
                )
                return name
            except ConflictError:
                with self.db.session() as session:
                    row = find_row(session, tick.project, tick.domain, name, (tick.domain,))
                    spec = decode_record(row).spec
                if (
                    spec.launched_by == SCHEDULER_ACTOR
                    and spec.launch_plan == target
                    and spec.annotations.get("scheduled_at") == scheduled_at
                ):
                    return name
        raise ConflictError(
            f"the names of tick {scheduled_at} of {tick.name} are all taken by executions that "
            "are not its own"
        )

    def _mark(self, tick_id: int, state: str, execution: str, error: str) -> None:
        with self.db.session() as session:
            session.execute(
                update(ScheduleTickRow)
                .where(ScheduleTickRow.id == tick_id, ScheduleTickRow.state == "pending")
                .values(state=state, execution=execution, error=error)
            )

    def _still_active(self, tick: ScheduleTickRow) -> bool:
        with self.db.session() as session:
            row = session.execute(
                select(ScheduleRow.active, ScheduleRow.version).where(
                    ScheduleRow.project == tick.project,
                    ScheduleRow.domain == tick.domain,
                    ScheduleRow.name == tick.name,
                )
            ).first()
        return row is not None and bool(row[0]) and row[1] == tick.version

    def _launch_plan(self, project: str, domain: str, name: str, version: str) -> LaunchPlanSpec:
        with self.db.session() as session:
            row = self.launches.registry.get_row(
                session, ResourceType.LAUNCH_PLAN, project, domain, name, version
            )
            spec = decode_spec(row)
            assert isinstance(spec, LaunchPlanSpec)
            return spec


def _count(result: object) -> int:
    """The rows an UPDATE matched."""
    return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0
