"""The local pool's handle on one warm worker process, and the attempts it holds.

A :class:`Worker` owns the process (a fork of the pool's owner, or a process of a task
environment's interpreter), the pool's end of its pipe, the attempts sent to it in order
(:class:`Slot`) and those waiting for the next flush. Killing it kills what its attempts started
too (a task's subprocesses).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import deque
from typing import Any

from slipstream.engine import AttemptRequest

from ._env_workers import EnvProcess, PoolEnv
from ._privileges import private_dir
from ._resources import Demand
from ._worker_loop import worker_loop

__all__ = ["Slot", "Worker", "how_it_ended", "queue_len"]


class Slot:
    """One attempt handed to a worker: the request, what it holds, when it was sent."""

    __slots__ = ("demand", "request", "sent", "started")

    def __init__(self, request: AttemptRequest, demand: Demand | None) -> None:
        self.request = request
        self.demand = demand
        self.sent = time.monotonic()
        self.started = time.time()
        """When it started (wall clock): when sent, or when the attempt before it ended."""


class Worker:
    """One worker process of the pool, named ``local-N`` (``local-N-env-KEY`` in an environment)."""

    def __init__(self, ctx: Any, index: int, code_root: str, env: PoolEnv | None = None) -> None:
        self.env = env
        self.name = f"local-{index}" if env is None else f"local-{index}-env-{env.key[:8]}"
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        kernel = threading.current_thread() is threading.main_thread()
        isolation = getattr(ctx, "isolation", None)  # an IsolatingContext's
        if isolation is not None:
            isolation = private_dir(isolation, self.name)
        self.private = isolation.private if isolation is not None else ""
        self.tenant: tuple[str, str] | None = None
        """The project and domain it serves, in a pool whose workers are isolated."""
        self.proc: Any
        if env is None:
            self.proc = ctx.Process(
                target=worker_loop,
                args=(child, code_root, self.name, 0 if isolation else os.getpid(), kernel),
                kwargs={"isolation": isolation},
                daemon=True,
                name=self.name,
            )
            self.proc.start()
        else:
            args = [code_root, self.name, str(os.getpid()), "1" if kernel else "0"]
            self.proc = EnvProcess(env.python, child, args, env.vars, isolation)
        child.close()
        self.queue: deque[Slot] = deque()
        self.outbox: list[AttemptRequest] = []
        self.retiring = False

    def alive(self) -> bool:
        return bool(self.proc.is_alive())

    def kill(self) -> None:
        """Kill the worker and the processes its attempts started (a task's subprocesses)."""
        pid = self.proc.pid
        family = _descendants(pid) if pid else []
        try:
            self.proc.kill()
            for child in family:
                with contextlib.suppress(OSError):
                    os.kill(child, signal.SIGKILL)
            self.proc.join(2)
        except Exception:
            pass
        self.conn.close()
        self.forget_dir()

    def forget_dir(self) -> None:
        """Remove the private directory of a worker that ended (an isolated pool's)."""
        if self.private:
            import shutil

            shutil.rmtree(self.private, ignore_errors=True)
            self.private = ""


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from ``/proc``; none where it is missing)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except (OSError, ValueError):
                continue
            out.extend(kids)
            todo.extend(kids)
    return out


def queue_len(w: Worker) -> int:
    """How many attempts ``w`` holds (the key that picks the least busy worker)."""
    return len(w.queue)


def how_it_ended(exitcode: int | None) -> str:
    """How a worker process that stopped answering ended, for the error of its attempts."""
    if exitcode is None:
        return "worker process stopped answering"
    if exitcode < 0:
        try:
            sig = signal.Signals(-exitcode).name
        except ValueError:
            sig = f"signal {-exitcode}"
        return f"worker process was killed by {sig}"
    return f"worker process exited with code {exitcode}"
