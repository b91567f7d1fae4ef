"""Workflows for the restart and crash tests: tasks that outlive a graceful restart of their
engine host, and tasks whose own process dies (a segfault, ``os._exit``, a timeout it ignores).

Every run leaves a mark (``durable._mark``: execution, node, attempt in the file named by
``SLIPSTREAM_TEST_MARKS``), so a test can count how often each ran.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from durable import _mark

from slipstream import task, workflow


@task(retries=0)
def slow(seconds: float) -> float:
    _mark()
    time.sleep(seconds)
    return seconds


@workflow
def long_run(seconds: float) -> float:
    return slow(seconds=seconds)


@task(retries=1)
def segfault(x: int) -> int:
    _mark()
    print(f"about to crash on {x}", flush=True)
    import ctypes

    ctypes.string_at(0)  # reads address 0: SIGSEGV
    return x


@workflow
def crash_segfault(x: int) -> int:
    return segfault(x=x)


@task(retries=1)
def exits(x: int) -> int:
    _mark()
    sys.stdout.flush()
    os._exit(3)
    return x


@workflow
def crash_exit(x: int) -> int:
    return exits(x=x)


@task(retries=1, timeout=1)
def ignores_timeout(x: int) -> int:
    _mark()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # the worker cannot stop it
    time.sleep(60)
    return x


@workflow
def crash_timeout(x: int) -> int:
    return ignores_timeout(x=x)


@task(retries=2, system_retries=0)
def killed(x: int) -> int:
    _mark()
    os.kill(os.getpid(), signal.SIGKILL)  # looks like the platform's kill: a SYSTEM failure
    return x


@workflow
def killed_no_system_retries(x: int) -> int:
    return killed(x=x)


@task(retries=0)
def fails(x: int) -> int:
    _mark()
    raise ValueError(f"no {x}")


@workflow
def user_error(x: int) -> int:
    return fails(x=x)
