"""Schedules of launch plans, their ticks, backfills and notification deliveries, as the API
shows them."""

from __future__ import annotations

import msgspec

from ._launch_plan import Schedule

__all__ = [
    "BackfillRequest",
    "BackfillResult",
    "NotificationDelivery",
    "ScheduleActivation",
    "ScheduleState",
    "ScheduleTick",
]


class ScheduleActivation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``POST .../launch_plans/{project}/{domain}/{name}/activate``."""

    version: str
    activated_by: str = ""


class ScheduleState(msgspec.Struct, frozen=True, omit_defaults=True):
    """A launch plan name's schedule: which version is (or was last) active, and the next tick."""

    project: str
    domain: str
    name: str
    version: str
    active: bool
    schedule: Schedule
    next_at: float
    activated_by: str = ""
    updated_at: float = 0.0


class ScheduleTick(msgspec.Struct, frozen=True, omit_defaults=True):
    """A tick claimed by a scheduler (``origin`` ``schedule``) or a backfill, and its execution.

    ``state``: ``pending`` (execution not made yet), ``created``, ``failed`` (``error`` says
    why) or ``cancelled`` (the schedule was deactivated before a waiting catch-up tick ran)."""

    name: str
    version: str
    tick_at: float
    origin: str
    state: str
    execution: str = ""
    error: str = ""
    not_before: float = 0.0


class BackfillRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``POST .../backfill``: the ticks of ``[start, end]`` (epoch seconds) of a
    version's schedule (empty: the active or last active one), one every ``pace_s`` seconds."""

    start: float
    end: float
    version: str = ""
    pace_s: float = 1.0
    requested_by: str = ""


class BackfillResult(msgspec.Struct, frozen=True):
    """What a backfill claimed: ``created`` new ticks, ``existing`` ones that already ran."""

    created: int
    existing: int
    ticks: tuple[float, ...] = ()


class NotificationDelivery(msgspec.Struct, frozen=True, omit_defaults=True):
    """One notification of an execution's terminal phase and where its delivery stands."""

    id: int
    execution: str
    phase: str
    kind: str
    recipient: str
    state: str
    attempts: int
    last_error: str = ""
    created_at: float = 0.0
    sent_at: float | None = None
