"""Background loops that never die silently: backoff after a failure, a supervisor that restarts.

Every background loop of a server (the engine host, the scheduler, the notifier) talks to the
database and the blob store, either of which may be away for a moment: PostgreSQL restarting,
SQLite's file locked or its disk full. A loop meets such a fault with :class:`Backoff`: it logs
the outage once with its cause, waits a little longer after each failure (0.1 s doubling to 5 s,
with jitter so that many loops do not retry in step), and logs again when it works. A loop that
raises anyway (a bug) is restarted by :class:`Supervised`, which gives up after a few deaths in a
row and then reports itself dead: ``/healthz`` answers 503 and ``slipstream engine`` exits non-zero.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import exc as sa_exc

from slipstream.errors import StorageError

__all__ = ["Backoff", "Supervised", "is_transient", "run_passes"]

_PERMANENT_SQLITE = ("no such table", "no such column", "syntax error", "malformed")


def is_transient(e: BaseException) -> bool:
    """Whether ``e`` is a fault of the database or the store that may go away by itself.

    Connection failures, timeouts, a locked or full database, and store errors are; a missing
    table (the schema is gone) or a refused value is not.
    """
    if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
        return True
    if isinstance(e, (sa_exc.OperationalError, sqlite3.OperationalError)):
        text = str(e).lower()
        return not any(p in text for p in _PERMANENT_SQLITE)
    if isinstance(e, (sa_exc.DisconnectionError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    return isinstance(e, (StorageError, ConnectionError, TimeoutError)) or (
        isinstance(e, OSError) and not isinstance(e, (FileNotFoundError, PermissionError))
    )


def cause(e: BaseException) -> str:
    """One line naming ``e``: its type and the first line of its message."""
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}".rstrip(": ")


class Backoff:
    """The waits of a loop after failures: exponential, capped, with jitter; logged once per
    outage (not once per try) and once when it is over."""

    def __init__(
        self, what: str, log: logging.Logger, first_s: float = 0.1, cap_s: float = 5.0
    ) -> None:
        self.what = what
        self.log = log
        self.first_s = first_s
        self.cap_s = cap_s
        self.failures = 0
        self._since = 0.0
        self.last_error = ""

    @property
    def failing(self) -> bool:
        """Whether the last try failed."""
        return self.failures > 0

    def failed(self, e: BaseException) -> float:
        """Count a failure (logging the first of an outage); returns how long to wait."""
        self.failures += 1
        self.last_error = cause(e)
        if self.failures == 1:
            self._since = time.monotonic()
            self.log.warning("%s failed, retrying until it works: %s", self.what, self.last_error)
        delay = min(self.cap_s, self.first_s * 2 ** min(self.failures - 1, 30))
        return random.uniform(delay / 2, delay)

    def succeeded(self) -> None:
        """The loop works (again)."""
        if self.failures:
            self.log.warning(
                "%s works again after %d failed tries in %.1f s",
                self.what,
                self.failures,
                time.monotonic() - self._since,
            )
            self.failures = 0
            self.last_error = ""


class Supervised:
    """A loop in a daemon thread, restarted (with backoff) when it raises.

    ``body(beat)`` runs until it returns (asked to stop) or raises; it calls ``beat`` after
    each turn that went through, which :meth:`report` shows as the age of the last turn. After
    ``max_deaths`` deaths, each within ``window_s`` of the one before, the supervisor gives up:
    :attr:`dead` is set and :attr:`ended` fires, for whoever watches (the health checks,
    ``slipstream engine``).
    """

    def __init__(
        self,
        name: str,
        body: Callable[[Callable[[], None]], None],
        log: logging.Logger,
        *,
        max_deaths: int = 5,
        window_s: float = 60.0,
        details: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.name = name
        self.body = body
        self.log = log
        self.max_deaths = max_deaths
        self.window_s = window_s
        self.details = details
        self.dead = False
        self.error = ""
        self.deaths = 0
        self.last_beat = time.monotonic()
        self.ended = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name=f"slipstream-{name.replace(' ', '-')}", daemon=True
        )

    def start(self) -> Supervised:
        """Start the thread; returns self."""
        self.thread.start()
        return self

    def beat(self) -> None:
        """The loop made a turn that went through."""
        self.last_beat = time.monotonic()

    @property
    def alive(self) -> bool:
        """Whether the loop runs (or is being restarted)."""
        return not self.dead and self.thread.is_alive()

    def report(self) -> dict[str, Any]:
        """What health checks show: alive, the age of its last good turn, its last error."""
        out: dict[str, Any] = {
            "alive": self.alive,
            "last_turn_age_s": round(time.monotonic() - self.last_beat, 3),
            "restarts": self.deaths,
        }
        if self.error:
            out["error"] = self.error
        if self.details is not None:
            out.update(self.details())
        return out

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def _run(self) -> None:
        backoff = Backoff(f"the {self.name} loop", self.log, first_s=0.2)
        last_death = 0.0
        try:
            while True:
                try:
                    self.body(self.beat)
                    return
                except Exception as e:
                    now = time.monotonic()
                    if now - last_death > self.window_s:
                        self.deaths = 0
                    last_death = now
                    self.deaths += 1
                    self.error = cause(e)
                    if self.deaths >= self.max_deaths:
                        self.dead = True
                        self.log.critical(
                            "the %s loop died %d times in a row; giving up",
                            self.name,
                            self.deaths,
                            exc_info=e,
                        )
                        return
                    self.log.error("the %s loop died; restarting it", self.name, exc_info=e)
                    time.sleep(backoff.failed(e))
        finally:
            self.ended.set()


def run_passes(
    what: str,
    run_once: Callable[[], int],
    stop: threading.Event,
    poll_s: float,
    log: logging.Logger,
    beat: Callable[[], None] | None = None,
) -> None:
    """Call ``run_once`` until ``stop`` is set, waiting ``poll_s`` after a pass that found
    nothing to do, and calling ``beat`` after each pass that went through.

    A pass that fails on a transient fault (the database away for a moment) is tried again after
    a backoff, logged once per outage; anything else raises (to the supervisor).
    """
    backoff = Backoff(what, log)
    while not stop.is_set():
        try:
            busy = run_once()
        except Exception as e:
            if not is_transient(e):
                raise
            stop.wait(backoff.failed(e))
            continue
        backoff.succeeded()
        if beat is not None:
            beat()
        if not busy:
            stop.wait(poll_s)
