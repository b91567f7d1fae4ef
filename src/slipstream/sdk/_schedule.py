"""Schedules and notifications of launch plans (the server runs them)."""

from __future__ import annotations

import datetime
from typing import ClassVar

import msgspec

from slipstream.errors import CompileError
from slipstream.model import CronSchedule as CronSpec
from slipstream.model import FixedRate as RateSpec
from slipstream.model import Notification

__all__ = ["CronSchedule", "Email", "FixedRate", "PagerDuty", "Slack", "Webhook"]

_ALIASES = {
    "hourly": "0 * * * *",
    "daily": "0 0 * * *",
    "weekly": "0 0 * * 0",
    "monthly": "0 0 1 * *",
    "yearly": "0 0 1 1 *",
    "annually": "0 0 1 1 *",
}


CATCHUP_POLICIES = ("all", "latest", "skip")


def _check_catchup(what: str, catchup: str) -> str:
    if catchup not in CATCHUP_POLICIES:
        raise CompileError(
            f"{what}: catchup must be one of {', '.join(CATCHUP_POLICIES)}, got {catchup!r}"
        )
    return catchup


class CronSchedule:
    """Run on a cron expression of five fields (``"0 * * * *"``) or an alias (``"@daily"``...),
    read in ``timezone`` (an IANA name, UTC by default); the scheduled time is given to
    ``kickoff_time_input_arg`` when set. ``catchup`` says which ticks missed while no server ran
    are run once it is back: ``"all"``, ``"latest"`` (the default) or ``"skip"``. A bad
    expression, time zone or policy is an error here, at definition."""

    def __init__(
        self,
        schedule: str | None = None,
        kickoff_time_input_arg: str | None = None,
        *,
        cron_expression: str | None = None,
        timezone: str = "UTC",
        catchup: str = "latest",
    ) -> None:
        expr = (schedule or cron_expression or "").strip()
        if not expr:
            raise CompileError("CronSchedule needs a schedule")
        normal = _ALIASES.get(expr.lstrip("@").lower(), expr) if expr.startswith("@") else expr
        from croniter import croniter

        if len(normal.split()) != 5 or not croniter.is_valid(normal):
            raise CompileError(
                f"CronSchedule: invalid cron expression {expr!r} (five fields: minute hour "
                "day-of-month month day-of-week, or @hourly, @daily, @weekly, @monthly, @yearly)"
            )
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CompileError(f"CronSchedule: unknown time zone {timezone!r}") from None
        self.schedule = expr
        self.cron = normal
        self.kickoff_time_input_arg = kickoff_time_input_arg
        self.timezone = timezone
        self.catchup = _check_catchup("CronSchedule", catchup)

    def to_spec(self) -> CronSpec:
        """The wire form."""
        return CronSpec(
            schedule=self.cron,
            kickoff_time_input_arg=self.kickoff_time_input_arg,
            timezone=self.timezone,
            catchup=self.catchup,
        )


class FixedRate:
    """Run every ``duration`` (at least one minute)."""

    def __init__(
        self,
        duration: datetime.timedelta,
        kickoff_time_input_arg: str | None = None,
        *,
        catchup: str = "latest",
    ) -> None:
        if not isinstance(duration, datetime.timedelta):
            raise CompileError(f"FixedRate: duration must be a timedelta, got {duration!r}")
        if duration < datetime.timedelta(minutes=1):
            raise CompileError(f"FixedRate: duration must be at least one minute, got {duration}")
        self.duration = duration
        self.kickoff_time_input_arg = kickoff_time_input_arg
        self.catchup = _check_catchup("FixedRate", catchup)

    def to_spec(self) -> RateSpec:
        """The wire form."""
        return RateSpec(
            duration_s=self.duration.total_seconds(),
            kickoff_time_input_arg=self.kickoff_time_input_arg,
            catchup=self.catchup,
        )


class _Notify(msgspec.Struct, frozen=True):
    phases: tuple[str, ...] | list[str]
    recipients_email: tuple[str, ...] | list[str] = ()
    kind: ClassVar[str] = "email"

    def to_spec(self) -> Notification:
        """The wire form."""
        return Notification(
            phases=tuple(str(getattr(p, "value", p)) for p in self.phases),
            kind=self.kind,
            recipients=tuple(self.recipients_email),
        )


class Email(_Notify, frozen=True):
    """Send an e-mail when an execution reaches one of ``phases``."""

    kind: ClassVar[str] = "email"


class Slack(_Notify, frozen=True):
    """Post to Slack (by e-mail address) when an execution reaches one of ``phases``."""

    kind: ClassVar[str] = "slack"


class PagerDuty(_Notify, frozen=True):
    """Page when an execution reaches one of ``phases``."""

    kind: ClassVar[str] = "pagerduty"


class Webhook(msgspec.Struct, frozen=True):
    """POST to ``webhook_url`` when an execution reaches one of ``phases`` (the server's notifier
    sends the execution's id, phase and error as JSON)."""

    phases: tuple[str, ...] | list[str]
    webhook_url: str

    def __post_init__(self) -> None:
        if not self.webhook_url.startswith(("http://", "https://")):
            raise ValueError(f"Webhook needs an http(s) URL, got {self.webhook_url!r}")

    def to_spec(self) -> Notification:
        """The wire form (the URL is the one recipient)."""
        return Notification(
            phases=tuple(str(getattr(p, "value", p)) for p in self.phases),
            kind="webhook",
            recipients=(self.webhook_url,),
        )
