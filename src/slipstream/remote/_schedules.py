"""The schedule and notification methods of :class:`~slipstream.remote.Remote`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slipstream.errors import ValidationError
from slipstream.model import (
    BackfillRequest,
    BackfillResult,
    NotificationDelivery,
    Page,
    ScheduleActivation,
    ScheduleState,
    ScheduleTick,
)

from ._http import Http

__all__ = ["RemoteSchedules"]

When = dt.datetime | float


def _epoch(value: When, field: str) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # naive: UTC, as the type engine reads it
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValidationError(f"{field} must be a datetime or epoch seconds, got {value!r}")


class RemoteSchedules:
    """Activate, deactivate and backfill launch plan schedules; read ticks and notifications."""

    _http: Http

    def _scope(self, project: str | None, domain: str | None) -> tuple[str, str]:
        raise NotImplementedError  # provided by Remote

    def _all(self, path: str, tp: Any, limit: int | None, **params: Any) -> list[Any]:
        raise NotImplementedError  # provided by Remote

    def _schedule_path(
        self, name: str, suffix: str, project: str | None, domain: str | None
    ) -> str:
        p, d = self._scope(project, domain)
        return f"/schedules/{p}/{d}/{name}{suffix}"

    def activate_launch_plan(
        self, name: str, version: str, *, project: str | None = None, domain: str | None = None
    ) -> ScheduleState:
        """Run ``version`` of launch plan ``name`` on its schedule; any other version of the name
        that was active stops."""
        return self._http.send(
            "POST",
            self._schedule_path(name, "/activate", project, domain),
            ScheduleActivation(version=version),
            ScheduleState,
        )

    def deactivate_launch_plan(
        self, name: str, *, project: str | None = None, domain: str | None = None
    ) -> ScheduleState:
        """Stop the schedule of launch plan ``name``."""
        return self._http.send(
            "POST", self._schedule_path(name, "/deactivate", project, domain), None, ScheduleState
        )

    def get_schedule(
        self, name: str, *, project: str | None = None, domain: str | None = None
    ) -> ScheduleState:
        """The schedule of launch plan ``name``: active version, next tick."""
        return self._http.get(self._schedule_path(name, "", project, domain), ScheduleState)

    def list_schedules(
        self, *, active: bool = False, project: str | None = None, domain: str | None = None
    ) -> list[ScheduleState]:
        """The schedules of a project and domain."""
        p, d = self._scope(project, domain)
        return self._http.get(
            f"/schedules/{p}/{d}", list[ScheduleState], active=str(active).lower()
        )

    def schedule_ticks(
        self,
        name: str,
        *,
        limit: int | None = 100,
        project: str | None = None,
        domain: str | None = None,
    ) -> list[ScheduleTick]:
        """The ticks claimed for launch plan ``name``, newest first."""
        return self._all(
            self._schedule_path(name, "/ticks", project, domain), Page[ScheduleTick], limit
        )

    def backfill_launch_plan(
        self,
        name: str,
        start: When,
        end: When,
        *,
        version: str = "",
        pace_s: float = 1.0,
        project: str | None = None,
        domain: str | None = None,
    ) -> BackfillResult:
        """Run the ticks of ``[start, end]`` of launch plan ``name`` (its active version unless
        ``version``), one execution every ``pace_s`` seconds; ticks that ran before are skipped."""
        body = BackfillRequest(
            start=_epoch(start, "start"), end=_epoch(end, "end"), version=version, pace_s=pace_s
        )
        return self._http.send(
            "POST", self._schedule_path(name, "/backfill", project, domain), body, BackfillResult
        )

    def notifications(
        self,
        *,
        state: str | None = None,
        limit: int | None = 100,
        project: str | None = None,
        domain: str | None = None,
    ) -> list[NotificationDelivery]:
        """Notifications of ended executions and their delivery (``state``: pending, sent,
        failed), newest first."""
        p, d = self._scope(project, domain)
        params = {"state": state} if state else {}
        return self._all(f"/notifications/{p}/{d}", Page[NotificationDelivery], limit, **params)
