"""The server's collector thread: one collection of every project every ``gc_interval_s`` (the
first one a minute after the start, or one interval if that is shorter)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slipstream.model import GcRequest

from .._loops import Supervised, run_passes
from ._collector import Collector

__all__ = ["start_collector"]

log = logging.getLogger("slipstream.retention")
_FIRST_S = 60.0


def start_collector(
    collector: Collector, interval_s: float
) -> tuple[Callable[[], None], Supervised]:
    """Start the supervised collector loop; returns what stops it, and the loop (for health)."""
    stop = threading.Event()

    def once() -> int:
        collector.collect(GcRequest())
        return 0  # never busy: the next collection is a whole interval away

    def body(beat: Callable[[], None]) -> None:
        # the first collection waits a little: a server starting has other work
        if not stop.wait(min(interval_s, _FIRST_S)):
            run_passes("the retention collector", once, stop, interval_s, log, beat)

    loop = Supervised("retention", body, log).start()

    def stopper() -> None:
        stop.set()
        loop.join(10)

    return stopper, loop
