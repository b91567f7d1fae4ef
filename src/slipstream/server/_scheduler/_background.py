"""Starting and stopping the scheduler and notifier threads of a server process."""

from __future__ import annotations

import threading
from collections.abc import Callable

from slipstream.errors import ConfigError

from .._config import ServerConfig
from .._db import Database
from .._launch import LaunchService
from .._registry import Registry
from ._notifier import Notifier
from ._scheduler import Scheduler
from ._senders import SmtpSettings

__all__ = ["start_background"]


def start_background(
    db: Database, config: ServerConfig, launches: LaunchService, registry: Registry
) -> Callable[[], None]:
    """Start the scheduler and the notifier (daemon threads); returns what stops them.

    A bad SMTP setting is refused here, at start, rather than at the first e-mail.
    """
    smtp = SmtpSettings.parse(config.smtp_url, config.notify_from) if config.smtp_url else None
    if smtp is not None and not smtp.host:
        raise ConfigError("the SMTP server needs a host")
    scheduler = Scheduler(db, launches)
    notifier = Notifier(db, registry, smtp=smtp, base_url=config.url)
    threads = [
        threading.Thread(target=scheduler.serve, name="slipstream-scheduler", daemon=True),
        threading.Thread(target=notifier.serve, name="slipstream-notifier", daemon=True),
    ]
    for t in threads:
        t.start()

    def stop() -> None:
        scheduler.stop()
        notifier.stop()
        for t in threads:
            t.join(10)

    return stop
