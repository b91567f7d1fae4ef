"""``Elastic``: a task body run as N ranks of a ``torch.distributed`` job on this machine.

The attempt's worker starts the ranks as fresh Python processes (``python -m
slipstream.extras.pytorch._rank``), not forks of itself: a pool's worker is a daemon process, which
may not start ``multiprocessing`` children, and a fork would carry the worker's threads. Each rank
imports the task's module, joins the process group through ``MASTER_ADDR``/``MASTER_PORT`` (a free
loopback port) and runs the function. The first rank to fail stops the others (SIGTERM, then SIGKILL)
and fails the attempt with that rank's traceback; rank 0's return value is the output.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slipstream.errors import CompileError, UserTaskError
from slipstream.sdk._naming import code_root_of

__all__ = ["Elastic"]

_POLL_S = 0.05
_STOP_GRACE_S = 5.0


def _nodes(nnodes: int | str) -> int:
    """flytekit's ``nnodes``: an int, ``"2"`` or ``"min:max"``; the largest count."""
    text = str(nnodes).strip()
    try:
        return max(int(part) for part in text.split(":"))
    except ValueError:
        raise CompileError(
            f"Elastic: nnodes must be a count or 'min:max', got {nnodes!r}"
        ) from None


@dataclass
class Elastic:
    """flytekitplugins-kfpytorch's ``Elastic`` task config, run on one machine.

    ``nproc_per_node`` processes run the body; ``nnodes`` above 1 (ranks on several machines) is
    refused when the task is defined. ``start_method``, ``monitor_interval``, ``max_restarts``,
    ``rdzv_configs``, ``increase_shared_mem`` and ``run_policy`` are accepted as flytekit takes
    them; a failed rank fails the attempt (the task's retries restart all ranks).
    """

    nnodes: int | str = 1
    nproc_per_node: int = 1
    start_method: str = "spawn"
    monitor_interval: int = 5
    max_restarts: int = 0
    rdzv_configs: dict[str, Any] = field(default_factory=dict)
    increase_shared_mem: bool = True
    run_policy: Any = None
    backend: str | None = None
    """``gloo`` or ``nccl``; by default NCCL where each rank has a GPU, else gloo."""

    def __post_init__(self) -> None:
        if _nodes(self.nnodes) != 1:
            raise CompileError(
                f"Elastic(nnodes={self.nnodes!r}): ranks on several machines are not supported; "
                "use nnodes=1 and nproc_per_node for the processes of this machine"
            )
        n = self.nproc_per_node
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1024:
            raise CompileError(f"Elastic: nproc_per_node must be 1..1024, got {n!r}")
        if self.backend not in (None, "gloo", "nccl"):
            raise CompileError(f"Elastic: backend must be 'gloo' or 'nccl', got {self.backend!r}")

    def run_body(self, task: Any, kwargs: dict[str, Any]) -> Any:
        """Run ``task``'s function on ``nproc_per_node`` ranks; rank 0's return value."""
        root = code_root_of(task._fn)
        with tempfile.TemporaryDirectory(prefix="slipstream-elastic-") as tmp:
            job = Path(tmp)
            payload = {
                "loader": (task.loader.module, task.loader.qualname, task.loader.file),
                "code_root": str(root) if root else "",
                "kwargs": kwargs,
                "backend": self.backend,
            }
            (job / "job.pkl").write_bytes(pickle.dumps(payload))
            procs = self._start(job)
            try:
                failed = _wait(procs, job)
            finally:
                _stop(procs)
            if failed is not None:
                rank, text = failed
                raise UserTaskError(
                    f"task {task.name}: rank {rank} of {self.nproc_per_node} failed:\n{text}"
                )
            return pickle.loads((job / "result-0.pkl").read_bytes())["value"]

    def _start(self, job: Path) -> list[subprocess.Popen[bytes]]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        env.update(
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=str(_free_port()),
            WORLD_SIZE=str(self.nproc_per_node),
            LOCAL_WORLD_SIZE=str(self.nproc_per_node),
            SLIPSTREAM_ELASTIC_PARENT=str(os.getpid()),
        )
        procs = []
        for rank in range(self.nproc_per_node):
            env_r = dict(env, RANK=str(rank), LOCAL_RANK=str(rank), GROUP_RANK="0")
            cmd = [sys.executable, "-m", "slipstream.extras.pytorch._rank", str(job)]
            procs.append(subprocess.Popen(cmd, env=env_r))
        return procs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(procs: list[subprocess.Popen[bytes]], job: Path) -> tuple[int, str] | None:
    """Wait for every rank; the first to fail (its rank and traceback), or None."""
    while True:
        codes = [p.poll() for p in procs]
        if any(code not in (None, 0) for code in codes):
            # the others' errors follow from the first (a peer gone): the earliest written, which
            # may be a rank still running; a rank killed without a word comes after them
            errors = [_error(job, r) for r in range(len(procs))]
            written = [(e[0], r, e[1]) for r, e in enumerate(errors) if e is not None]
            if written:
                _, rank, text = min(written)
                return rank, text
            rank = next(r for r, code in enumerate(codes) if code not in (None, 0))
            return rank, _exit_text(codes[rank] or 0)
        if None not in codes:
            return None
        time.sleep(_POLL_S)


def _error(job: Path, rank: int) -> tuple[int, str] | None:
    """A rank's error: when it happened (the system's monotonic clock) and its traceback."""
    try:
        stamp, _, text = (job / f"error-{rank}.txt").read_text().partition("\n")
        return int(stamp), text
    except (OSError, ValueError):
        return None


def _exit_text(code: int) -> str:
    if code < 0:
        return f"the rank's process was killed by signal {signal.Signals(-code).name}"
    return f"the rank's process exited with status {code}"


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the ranks still running: SIGTERM, then SIGKILL after a grace period."""
    live = [p for p in procs if p.poll() is None]
    for p in live:
        p.terminate()
    deadline = time.monotonic() + _STOP_GRACE_S
    for p in live:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
