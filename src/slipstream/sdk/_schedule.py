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


class CronSchedule:
    """Run on a cron expression (``"0 * * * *"``, ``"@daily"``...); the scheduled time is given to
    ``kickoff_time_input_arg`` when set. A bad expression is an error here, at definition."""

    def __init__(
        self,
        schedule: str | None = None,
        kickoff_time_input_arg: str | None = None,
        *,
        cron_expression: str | None = None,
    ) -> None:
        expr = (schedule or cron_expression or "").strip()
        if not expr:
            raise CompileError("CronSchedule needs a schedule")
        normal = _ALIASES.get(expr.lstrip("@").lower(), expr) if expr.startswith("@") else expr
        from croniter import croniter

        if not croniter.is_valid(normal):
            raise CompileError(f"CronSchedule: invalid cron expression {expr!r}")
        self.schedule = expr
        self.cron = normal
        self.kickoff_time_input_arg = kickoff_time_input_arg

    def to_spec(self) -> CronSpec:
        """The wire form."""
        return CronSpec(schedule=self.cron, kickoff_time_input_arg=self.kickoff_time_input_arg)


class FixedRate:
    """Run every ``duration`` (at least one minute)."""

    def __init__(
        self, duration: datetime.timedelta, kickoff_time_input_arg: str | None = None
    ) -> None:
        if not isinstance(duration, datetime.timedelta):
            raise CompileError(f"FixedRate: duration must be a timedelta, got {duration!r}")
        if duration < datetime.timedelta(minutes=1):
            raise CompileError(f"FixedRate: duration must be at least one minute, got {duration}")
        self.duration = duration
        self.kickoff_time_input_arg = kickoff_time_input_arg

    def to_spec(self) -> RateSpec:
        """The wire form."""
        return RateSpec(
            duration_s=self.duration.total_seconds(),
            kickoff_time_input_arg=self.kickoff_time_input_arg,
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
