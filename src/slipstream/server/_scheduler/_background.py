"""Starting and stopping the scheduler and notifier threads of a server process."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slipstream.errors import ConfigError

from .._config import ServerConfig
from .._database import Database
from .._executions import LaunchService
from .._loops import Supervised
from .._metrics import NO_METRICS, Metrics
from .._registry import Registry
from ._notifier import Notifier
from ._scheduler import Scheduler
from ._senders import SmtpSettings

__all__ = ["start_background"]

_log = logging.getLogger("slipstream.background")


def start_background(
    db: Database,
    config: ServerConfig,
    launches: LaunchService,
    registry: Registry,
    metrics: Metrics = NO_METRICS,
) -> tuple[Callable[[], None], list[Supervised]]:
    """Start the scheduler and the notifier (supervised daemon threads); returns what stops
    them, and the loops (for the health checks).

    A bad SMTP setting is refused here, at start, rather than at the first e-mail.
    """
    smtp = SmtpSettings.parse(config.smtp_url, config.notify_from) if config.smtp_url else None
    if smtp is not None and not smtp.host:
        raise ConfigError("the SMTP server needs a host")
    scheduler = Scheduler(db, launches)
    notifier = Notifier(db, registry, smtp=smtp, base_url=config.url)
    scheduler.metrics = notifier.metrics = metrics
    loops = [
        Supervised("scheduler", scheduler.serve, _log).start(),
        Supervised("notifier", notifier.serve, _log).start(),
    ]

    def stop() -> None:
        scheduler.stop()
        notifier.stop()
        for loop in loops:
            loop.join(10)

    return stop, loops
