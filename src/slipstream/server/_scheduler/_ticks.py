"""When a schedule ticks: cron expressions read in a time zone, fixed rates, catch-up policies.

Pure arithmetic over epoch seconds, so that the scheduler's decisions can be tested with any
clock. Cron expressions are read by croniter in the schedule's time zone (an IANA name), which
makes "02:30 every day" mean 02:30 on the wall clock on either side of a daylight-saving change:
a wall-clock time that does not exist (the hour skipped in spring) runs at the first minute after
it, and one that happens twice (the hour repeated in autumn) runs once, unless the expression's
hour field is ``*`` (an hourly job runs every hour that passes, both repeated hours included).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from slipstream.errors import ValidationError
from slipstream.model import CronSchedule, FixedRate, Schedule

__all__ = [
    "CATCHUP_POLICIES",
    "Due",
    "check_schedule",
    "due_ticks",
    "last_tick",
    "next_tick",
    "ticks_between",
]

CATCHUP_POLICIES = ("all", "latest", "skip")

_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


def _expression(schedule: CronSchedule) -> str:
    expr = schedule.schedule.strip()
    return _ALIASES.get(expr.lower(), expr)


def _zone(schedule: CronSchedule) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(schedule.timezone or "UTC")


def check_schedule(schedule: Schedule) -> None:
    """Raise :class:`ValidationError` naming what is wrong with a stored schedule."""
    from croniter import croniter

    if schedule.catchup not in CATCHUP_POLICIES:
        raise ValidationError(
            f"unknown catch-up policy {schedule.catchup!r}: one of {', '.join(CATCHUP_POLICIES)}"
        )
    if isinstance(schedule, FixedRate):
        if not schedule.duration_s >= 60:
            raise ValidationError(
                f"a fixed rate must be at least 60 seconds, got {schedule.duration_s}"
            )
        return
    expr = _expression(schedule)
    if len(expr.split()) != 5 or not croniter.is_valid(expr):
        raise ValidationError(f"invalid cron expression {schedule.schedule!r} (five fields)")
    try:
        _zone(schedule)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {schedule.timezone!r}") from None


def next_tick(schedule: Schedule, after: float, anchor: float) -> float:
    """The first tick strictly after ``after``; a fixed rate counts from ``anchor`` (the time the
    schedule was activated)."""
    if isinstance(schedule, FixedRate):
        step = schedule.duration_s
        if after < anchor:
            return anchor + step
        return anchor + (int((after - anchor) // step) + 1) * step
    from croniter import croniter

    zone = _zone(schedule)
    expr = _expression(schedule)
    hourly = expr.split()[1] == "*"
    start = dt.datetime.fromtimestamp(after, zone)
    it = croniter(expr, start)
    previous_wall = start.replace(tzinfo=None)
    while True:
        tick: dt.datetime = it.get_next(dt.datetime)
        if hourly or tick.replace(tzinfo=None) != previous_wall:
            return tick.timestamp()
        # the repeated hour of an autumn change: the same wall-clock time again


def ticks_between(
    schedule: Schedule, start: float, end: float, anchor: float, limit: int
) -> list[float]:
    """Ticks ``t`` with ``start <= t <= end``, at most ``limit`` of them."""
    out: list[float] = []
    t = next_tick(schedule, start - 1e-6, anchor)
    while t <= end and len(out) < limit:
        out.append(t)
        t = next_tick(schedule, t, anchor)
    return out


@dataclass(frozen=True)
class Due:
    """What a scheduler does at ``now`` for a schedule whose next tick is ``next_at``: run
    ``run`` (tick times, oldest first), skip ``skipped`` ticks, and wait for ``next_at``."""

    run: tuple[float, ...]
    skipped: int
    next_at: float


def due_ticks(
    schedule: Schedule,
    next_at: float,
    now: float,
    anchor: float,
    *,
    grace_s: float = 60.0,
    limit: int = 1000,
) -> Due:
    """Apply the catch-up policy to the ticks due at ``now``.

    A tick no more than ``grace_s`` late is on time and always runs. Older ones were missed (no
    scheduler was running): ``all`` runs them (``limit`` per call; the rest at the next call),
    ``latest`` runs only the newest due tick, ``skip`` runs none of them.
    """
    if next_at > now:
        return Due((), 0, next_at)
    policy = schedule.catchup
    if policy == "all":
        due: list[float] = []
        t = next_at
        while t <= now and len(due) < limit:
            due.append(t)
            t = next_tick(schedule, t, anchor)
        return Due(tuple(due), 0, t)
    # the newest due tick, found without walking every missed one (a minutely schedule after a
    # month of downtime has 40,000 of them)
    latest = max(next_at, last_tick(schedule, now, anchor))
    following = next_tick(schedule, latest, anchor)
    missed = len(ticks_between(schedule, next_at, latest, anchor, limit)) - 1
    if policy == "latest" or now - latest <= grace_s:
        return Due((latest,), missed, following)
    return Due((), missed + 1, following)


def last_tick(schedule: Schedule, at: float, anchor: float) -> float:
    """The newest tick at or before ``at`` (for a fixed rate, on the grid of ``anchor``)."""
    if isinstance(schedule, FixedRate):
        step = schedule.duration_s
        return anchor + max(0, int((at - anchor) // step)) * step
    from croniter import croniter

    zone = _zone(schedule)
    it = croniter(_expression(schedule), dt.datetime.fromtimestamp(at + 1e-3, zone))
    tick: dt.datetime = it.get_prev(dt.datetime)
    return tick.timestamp()
