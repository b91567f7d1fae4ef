"""Launch plan specs: a workflow with default and fixed inputs, a schedule and notifications."""

from __future__ import annotations

from typing import Any, Union

import msgspec

from ._identifier import Identifier

__all__ = ["CronSchedule", "FixedRate", "LaunchPlanSpec", "Notification", "Schedule"]


class CronSchedule(msgspec.Struct, frozen=True, tag="cron", omit_defaults=True):
    """Run on a cron expression; ``kickoff_time_input_arg`` receives the scheduled time.

    ``timezone`` (an IANA name) is where the expression's hours and days are read; ``catchup``
    says which ticks missed while no server ran are run: ``all``, ``latest`` or ``skip``.
    """

    schedule: str
    kickoff_time_input_arg: str | None = None
    timezone: str = "UTC"
    catchup: str = "latest"


class FixedRate(msgspec.Struct, frozen=True, tag="rate", omit_defaults=True):
    """Run every ``duration_s`` seconds (ticks counted from the activation); ``catchup`` as for
    :class:`CronSchedule`."""

    duration_s: float
    kickoff_time_input_arg: str | None = None
    catchup: str = "latest"


Schedule = Union[CronSchedule, FixedRate]


class Notification(msgspec.Struct, frozen=True, omit_defaults=True):
    """Tell someone when an execution reaches one of ``phases``."""

    phases: tuple[str, ...]
    kind: str
    recipients: tuple[str, ...] = ()


class LaunchPlanSpec(msgspec.Struct, frozen=True, omit_defaults=True):
    """A named way to launch a workflow."""

    id: Identifier
    workflow: Identifier
    default_inputs: dict[str, Any] = {}
    fixed_inputs: dict[str, Any] = {}
    schedule: Schedule | None = None
    notifications: tuple[Notification, ...] = ()
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    max_parallelism: int | None = None
