"""A worker's watch over its own memory while an attempt with a memory limit runs.

A thread reads the process's resident set size from ``/proc/self/statm`` (a few microseconds) every
20 ms. Past the limit it interrupts the attempt in the main thread with
:class:`~slipstream.errors.TaskOutOfMemoryError` (a signal, so that ``time.sleep`` and pure Python
loops stop at once); if the attempt still runs three seconds later (stuck in native code, or the error
was swallowed while memory kept growing) the worker exits with :data:`OOM_EXIT_CODE` and the pool
reports the attempt as out of memory. Either way the attempt's kind is ``OOM`` and the pool replaces
the worker, whose heap may stay large. The limit counts the worker process's whole resident memory,
as a container's limit would. The highest figure read is the attempt's peak (``memory_peak`` on its
result), kept on its record beside its limit.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from slipstream.errors import TaskOutOfMemoryError

from ._resources import format_bytes

__all__ = ["OOM_EXIT_CODE", "MemoryWatch", "rss_bytes"]

OOM_EXIT_CODE = 86
"""Exit status of a worker that stopped itself for going over an attempt's memory limit."""

_INTERVAL_S = 0.02
_HARD_STOP_S = 3.0
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """This process's resident memory (0 where ``/proc`` is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class MemoryWatch:
    """Fails the running attempt when the process's RSS goes over ``limit`` bytes."""

    def __init__(self, limit: int, limit_text: str, what: str) -> None:
        self.limit = limit
        self.limit_text = limit_text
        self.what = what
        self.peak = 0
        self.tripped = False
        self._stop = threading.Event()
        self.raised = False
        self._thread: threading.Thread | None = None

    def error(self) -> TaskOutOfMemoryError:
        """The error an attempt that went over ends with."""
        return TaskOutOfMemoryError(
            f"{self.what} went over its memory limit of {self.limit_text} "
            f"({format_bytes(self.limit)}): the worker used {format_bytes(self.peak)}"
        )

    def __enter__(self) -> MemoryWatch:
        global _active, _handler_installed
        if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
            return self
        if not _handler_installed:
            # installed once and left in place: a signal that arrives after an attempt ended
            # finds no active watch and does nothing (restoring the default would kill the worker)
            signal.signal(signal.SIGUSR1, _on_signal)
            _handler_installed = True
        _active = self
        self._thread = threading.Thread(
            target=self._watch, args=(threading.main_thread().ident,), daemon=True
        )
        self._thread.start()
        return self

    def _watch(self, main: int) -> None:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            while not self._stop.wait(_INTERVAL_S):
                rss = int(os.pread(fd, 128, 0).split()[1]) * _PAGE
                if rss <= self.limit:
                    if rss > self.peak:  # the attempt's record shows its peak
                        self.peak = rss
                    continue
                self.peak = max(self.peak, rss)
                self.tripped = True
                signal.pthread_kill(main, signal.SIGUSR1)
                if not self._stop.wait(_HARD_STOP_S):
                    os.write(2, f"slipstream: {self.error()}; the worker stops\n".encode())
                    os._exit(OOM_EXIT_CODE)
                return
        finally:
            os.close(fd)

    def __exit__(self, *exc: object) -> None:
        global _active
        if self._thread is None:
            return
        _active = None
        self._stop.set()
        self._thread.join()


_active: MemoryWatch | None = None
_handler_installed = False


def _on_signal(signum: int, frame: Any) -> None:
    w = _active
    if w is not None and w.tripped and not w.raised:
        w.raised = True
        raise w.error()
