"""Workers of the local pool that run inside a task's environment (an ``ImageSpec``).

Such a worker is a process of the environment's own interpreter (not a fork of the pool's owner),
started with ``python -c`` and handed its end of the pool's pipe as a file descriptor; it then
runs the same worker loop as every other worker of the pool.
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import os
import sys
from typing import Any

from slipstream.engine import AttemptRequest
from slipstream.errors import SlipstreamError

from ._privileges import WorkerIsolation, scrubbed
from ._worker_loop import worker_loop

__all__ = ["EnvProcess", "PoolEnv", "env_worker_main"]


def env_worker_main() -> None:
    """Entry of a worker started with an environment's interpreter (``python -c``): the pipe's
    descriptor, code root, name, parent pid and whether the kernel watches the parent come as
    arguments."""
    fd, code_root, name, parent, kernel = sys.argv[1:6]
    conn = multiprocessing.connection.Connection(int(fd))
    isolation = None
    if len(sys.argv) > 6:  # the worker of an isolated pool
        import msgspec

        isolation = msgspec.json.decode(sys.argv[6], type=WorkerIsolation)
    worker_loop(conn, code_root, name, int(parent), kernel == "1", isolation)


class EnvProcess:
    """A worker process running an environment's interpreter, with the few methods of
    ``multiprocessing.Process`` the pool uses."""

    def __init__(
        self,
        python: str,
        conn: Any,
        args: list[str],
        env: dict[str, str],
        isolation: WorkerIsolation | None = None,
    ) -> None:
        import subprocess

        code = "from slipstream.runners._env_workers import env_worker_main; env_worker_main()"
        user: dict[str, Any] = {}
        if isolation is not None:
            import msgspec

            args = [*args, msgspec.json.encode(isolation).decode()]
            env = {**scrubbed(os.environ), **env}
            if isolation.switches_user and os.getuid() == 0:
                user = {"user": isolation.uid, "group": isolation.gid, "extra_groups": []}
        else:
            env = {**os.environ, **env}
        self._popen = subprocess.Popen(
            [python, "-c", code, str(conn.fileno()), *args],
            pass_fds=(conn.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
            **user,
        )
        self.pid = self._popen.pid

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self._popen.kill()

    def join(self, timeout: float | None = None) -> None:
        import subprocess

        with contextlib.suppress(subprocess.TimeoutExpired):
            self._popen.wait(timeout)


class PoolEnv:
    """An environment the pool runs attempts in: its key, interpreter and variables; attempts
    wait in ``parked`` while it builds, and ``error`` says why it could not be built."""

    __slots__ = ("error", "key", "parked", "python", "vars")

    def __init__(self, key: str, vars: dict[str, str]) -> None:
        self.key = key
        self.vars = vars
        self.python = ""
        self.error: SlipstreamError | None = None
        self.parked: list[AttemptRequest] = []
