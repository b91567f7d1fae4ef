"""The rank processes of one machine: start them, wait for them, stop them.

Each rank is a fresh Python process (``python -m slipstream.extras.pytorch._rank JOB_DIR``), not a
fork: a pool's worker is a daemon process, which may not start ``multiprocessing`` children, and
a fork would carry the worker's threads. The first rank to fail stops the others (SIGTERM, then
SIGKILL) and is reported with its traceback. Used by ``Elastic`` on one machine and by each node
of an ``Elastic`` task on Ray.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, NamedTuple

__all__ = ["RankFailure", "free_port", "run_ranks"]

_POLL_S = 0.05
_STOP_GRACE_S = 5.0
_TAIL_LINES = 20


class RankFailure(NamedTuple):
    """The first rank that failed: its global rank, its traceback (or how its process ended),
    when (this machine's wall clock, in ns), to compare across machines, and whether it ended
    without a word (killed, crashed: then it is the cause of what its peers report)."""

    rank: int
    text: str
    at_ns: int
    silent: bool = False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now ("" for every interface)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def run_ranks(
    job: Path, env: dict[str, str], ranks: list[int], local_world: int
) -> RankFailure | None:
    """Run the ranks ``ranks`` of the job in ``job`` (local ranks 0, 1, ... in that order) with
    ``env`` (``MASTER_ADDR``, ``MASTER_PORT``, ``WORLD_SIZE``...); the first failure, or None."""
    base = dict(os.environ)
    base["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    base.update(env, LOCAL_WORLD_SIZE=str(local_world), SLIPSTREAM_ELASTIC_PARENT=str(os.getpid()))
    procs: list[subprocess.Popen[bytes]] = []
    tails: list[_Tail] = []
    try:
        for local, rank in enumerate(ranks):
            env_r = dict(base, RANK=str(rank), LOCAL_RANK=str(local))
            cmd = [sys.executable, "-m", "slipstream.extras.pytorch._rank", str(job)]
            procs.append(subprocess.Popen(cmd, env=env_r, stderr=subprocess.PIPE))
            tails.append(_Tail(procs[-1].stderr))
        failed = _wait(procs, ranks, job)
    finally:
        _stop(procs)
        for tail in tails:
            tail.join()
    if failed is not None and failed.text.startswith("the rank's process"):
        said = tails[ranks.index(failed.rank)].text()  # it died before it could write its error
        if said:
            failed = failed._replace(text=f"{failed.text}; its last words:\n{said}")
    return failed


class _Tail:
    """A rank's stderr passed on to this process's stderr as it comes (the attempt's log), its
    last lines kept: a rank that dies before it can write its error has them as its reason."""

    def __init__(self, stream: IO[bytes] | None) -> None:
        self._lines: deque[bytes] = deque(maxlen=_TAIL_LINES)
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        out = sys.stderr.buffer if hasattr(sys.stderr, "buffer") else None
        for line in stream:
            self._lines.append(line)
            try:
                if out is not None:
                    out.write(line)
                    out.flush()
                else:
                    sys.stderr.write(line.decode(errors="replace"))
            except (OSError, ValueError):  # our stderr is gone: keep reading the rank's
                pass
        stream.close()

    def join(self) -> None:
        self._thread.join(5)

    def text(self) -> str:
        return b"".join(self._lines).decode(errors="replace").rstrip()


def _wait(procs: list[subprocess.Popen[bytes]], ranks: list[int], job: Path) -> RankFailure | None:
    """Wait for every rank; the first to fail, or None."""
    while True:
        codes = [p.poll() for p in procs]
        if any(code not in (None, 0) for code in codes):
            errors = [_error(job, rank) for rank in ranks]
            # a rank that ended without a word (killed, crashed, os._exit) is the cause: its
            # peers' errors (a peer gone) follow from it
            for i, code in enumerate(codes):
                if code not in (None, 0) and errors[i] is None:
                    return RankFailure(ranks[i], _exit_text(code or 0), time.time_ns(), True)
            # else the earliest error written, which may be a rank still running
            written = [(e[0], rank, e[1]) for rank, e in zip(ranks, errors, strict=True) if e]
            stamp, rank, text = min(written)
            return RankFailure(rank, text, time.time_ns() - (time.monotonic_ns() - stamp))
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
