"""The local runner: a pool of warm worker processes on this machine.

Workers are started once and stay warm, so an attempt costs a message each way instead of a process
start. Each worker may hold ``depth`` attempts at once (one running, the rest queued in its pipe),
which hides the round trip on wide fan-outs. A worker enforces task timeouts itself (SIGALRM); the
pool kills and replaces a worker that does not answer long after its deadline, or that dies, and
reports its attempts as system failures (which the engine retries like any other failure).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import deque
from typing import Any

import msgspec

from slipstream.engine import AttemptRequest, AttemptResult
from slipstream.model import ErrorInfo, ExecutionId

from ._entrypoint import run_attempt

__all__ = ["LocalRunner"]

_GRACE_S = 5.0


def _worker_main(conn: Any, code_root: str, name: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when work stops
    if code_root and code_root not in sys.path:
        sys.path.insert(0, code_root)
    decoder = msgspec.msgpack.Decoder(list[AttemptRequest])
    encoder = msgspec.msgpack.Encoder()
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not data:  # the pool is closing
            return
        batch = [run_attempt(req, name) for req in decoder.decode(data)]
        conn.send_bytes(encoder.encode(batch))


class _Worker:
    def __init__(self, ctx: Any, index: int, code_root: str) -> None:
        self.name = f"local-{index}"
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self.proc = ctx.Process(
            target=_worker_main, args=(child, code_root, self.name), daemon=True, name=self.name
        )
        self.proc.start()
        child.close()
        self.queue: deque[tuple[str, int, float, float | None, ExecutionId]] = deque()
        self.outbox: list[AttemptRequest] = []

    def alive(self) -> bool:
        return bool(self.proc.is_alive())

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(2)
        except Exception:
            pass
        self.conn.close()


class LocalRunner:
    """A pool of ``workers`` warm processes (default: one per CPU)."""

    name = "local"

    def __init__(self, workers: int | None = None, code_root: str = "", depth: int = 16) -> None:
        n = workers or os.cpu_count() or 1
        if n < 1:
            raise ValueError("workers must be >= 1")
        method = "fork" if threading.active_count() == 1 and sys.platform != "win32" else "spawn"
        self._ctx = multiprocessing.get_context(method)
        self._code_root = code_root or (sys.path[0] if sys.path and sys.path[0] else os.getcwd())
        self._depth = max(1, depth)
        self._workers = [_Worker(self._ctx, i, self._code_root) for i in range(n)]
        self._next_index = n
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(list[AttemptResult])
        self._failed: list[AttemptResult] = []

    @property
    def capacity(self) -> int:
        return len(self._workers) * self._depth

    @property
    def workers(self) -> int:
        """How many worker processes are in the pool."""
        return len(self._workers)

    def submit(self, request: AttemptRequest) -> None:
        w = min(self._workers, key=lambda w: len(w.queue))
        w.queue.append(
            (request.node, request.attempt, time.monotonic(), request.timeout_s, request.execution)
        )
        w.outbox.append(request)

    def _flush(self) -> None:
        """Send each worker what was submitted for it since the last flush, as one message."""
        for w in self._workers:
            if w.outbox:
                batch, w.outbox = w.outbox, []
                try:
                    w.conn.send_bytes(self._encoder.encode(batch))
                except OSError:
                    self._failed.extend(self._replace(w, "worker process died"))

    def wait(self, timeout: float | None) -> list[AttemptResult]:
        self._flush()
        if self._failed:
            out, self._failed = self._failed, []
            return out
        busy = {w.conn: w for w in self._workers if w.queue}
        if not busy:
            return []
        deadline = self._deadline(busy.values())
        if timeout is None or (deadline is not None and deadline < timeout):
            timeout = deadline
        ready = multiprocessing.connection.wait(list(busy), timeout)
        results: list[AttemptResult] = []
        for conn in ready:
            w = busy[conn]
            try:
                data = conn.recv_bytes()  # type: ignore[union-attr]
            except (EOFError, OSError):
                results.extend(self._replace(w, "worker process died"))
                continue
            for result in self._decoder.decode(data):
                if w.queue:
                    w.queue.popleft()
                results.append(result)
        if not ready:
            results.extend(self._reap_overdue())
        return results

    def _deadline(self, workers: Any) -> float | None:
        now = time.monotonic()
        best: float | None = None
        for w in workers:
            _, _, sent, t, _ = w.queue[0]
            if t is None:
                continue
            left = sent + t * len(w.queue) + _GRACE_S - now
            best = left if best is None else min(best, left)
        return None if best is None else max(best, 0.0)

    def _reap_overdue(self) -> list[AttemptResult]:
        now = time.monotonic()
        out: list[AttemptResult] = []
        for w in list(self._workers):
            if not w.queue:
                continue
            _, _, sent, t, _ = w.queue[0]
            if t is not None and now > sent + t * len(w.queue) + _GRACE_S:
                out.extend(self._replace(w, f"worker did not stop at the {t:g} s timeout", True))
            elif not w.alive():
                out.extend(self._replace(w, f"worker exited with code {w.proc.exitcode}"))
        return out

    def _replace(self, w: _Worker, why: str, timed_out: bool = False) -> list[AttemptResult]:
        out = []
        now = time.time()
        code = "timeout" if timed_out else "worker_lost"
        for node, attempt, _, _, execution in w.queue:
            out.append(
                AttemptResult(
                    node,
                    attempt,
                    False,
                    error=ErrorInfo(
                        code=code,
                        message=why,
                        kind="SYSTEM" if not timed_out else "USER",
                        node=node,
                    ),
                    timed_out=timed_out,
                    started_at=now,
                    ended_at=now,
                    worker=w.name,
                    execution=execution,
                )
            )
        w.kill()
        i = self._workers.index(w)
        self._workers[i] = _Worker(self._ctx, self._next_index, self._code_root)
        self._next_index += 1
        return out

    def cancel(self, node: str, attempt: int, execution: ExecutionId | None = None) -> None:
        def match(n: str, a: int, e: ExecutionId) -> bool:
            return n == node and a == attempt and (execution is None or e == execution)

        for w in list(self._workers):
            if any(match(n, a, e) for n, a, _, _, e in w.queue):
                rest = [(n, a, e) for n, a, _, _, e in w.queue if not match(n, a, e)]
                w.queue.clear()
                self._failed.extend(
                    AttemptResult(
                        n,
                        a,
                        False,
                        error=ErrorInfo(code="cancelled", message="cancelled", kind="SYSTEM"),
                        execution=e,
                    )
                    for n, a, e in rest
                )
                self._replace(w, "cancelled")

    def close(self) -> None:
        for w in self._workers:  # an empty message asks a worker to exit
            with contextlib.suppress(OSError):
                w.conn.send_bytes(b"")
        deadline = time.monotonic() + 2.0
        for w in self._workers:
            w.proc.join(max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(1)
            w.conn.close()
        self._workers = []

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
