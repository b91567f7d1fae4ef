"""Workflows for the data plane tests: a file written by one task and read by another after a
slow step, so that a data plane can die between the two (every task run leaves a mark)."""

from __future__ import annotations

import os
import tempfile
import time

from slipstream import File, current_context, task, workflow


def _mark() -> None:
    path = os.environ.get("SLIPSTREAM_TEST_MARKS")
    if path:
        ctx = current_context()
        with open(path, "a") as f:
            f.write(f"{ctx.execution_id.name} {ctx.node_id} {ctx.attempt_number}\n")


@task
def make(n: int) -> File:
    _mark()
    fd, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w") as f:
        f.write("x" * n)
    return File(path=path)


@task
def slow(x: int, delay: float) -> int:
    _mark()
    time.sleep(delay)
    return x


@task
def size(f: File, x: int) -> int:
    _mark()
    with open(f) as fh:
        return len(fh.read()) + x


@workflow
def handover(n: int = 10, delay: float = 3.0) -> int:
    return size(f=make(n=n), x=slow(x=1, delay=delay))
