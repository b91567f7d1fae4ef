"""Whether a process of this machine still runs: one careful answer for every part of slipstream
(imports nothing of slipstream).

A process that exists under another user still runs; one that ended but was not yet reaped by its
parent (a zombie) does not; and a process that took the id of one that ended is not that one when
the caller knows when its process started (:func:`process_start`, from ``/proc``).
"""

from __future__ import annotations

import os

__all__ = ["pid_alive", "process_start"]


def _stat_fields(pid: int) -> list[bytes]:
    """The fields of ``/proc/PID/stat`` after ``pid (comm)``: state first; [] when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return []
    return stat[stat.rindex(b")") + 2 :].split()


def process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``), so that a reused
    pid is not mistaken for the process that had it; "" where it cannot be known (no ``/proc``,
    no such process)."""
    fields = _stat_fields(pid)
    return fields[19].decode() if len(fields) > 19 else ""


def pid_alive(pid: int, started: str = "") -> bool:
    """Whether process ``pid`` of this machine still runs: it exists (under any user), it is not
    a zombie, and, given ``started`` (its :func:`process_start` when it was seen), it is still
    the process that was seen, not a later one that reused the id."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    fields = _stat_fields(pid)
    if fields and fields[0][:1] in (b"Z", b"X"):  # ended, not yet reaped by its parent
        return False
    return not started or process_start(pid) in ("", started)
