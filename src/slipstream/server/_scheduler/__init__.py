"""Schedules of launch plans and notifications of ended executions.

The scheduler and the notifier are threads of the server process; they reach executions only
through the launch service and the database rows, never through the engine.
"""

from ._background import start_background
from ._deliveries import NotificationLog
from ._notifier import Notifier
from ._scheduler import Scheduler, tick_execution_name
from ._senders import SmtpSettings
from ._service import ScheduleService
from ._ticks import CATCHUP_POLICIES, due_ticks, next_tick

__all__ = [
    "CATCHUP_POLICIES",
    "NotificationLog",
    "Notifier",
    "ScheduleService",
    "Scheduler",
    "SmtpSettings",
    "due_ticks",
    "next_tick",
    "start_background",
    "tick_execution_name",
]
