"""A task run as a Ray job (its cluster at the engine's ``RAY_ADDRESS``), then a python task."""

from __future__ import annotations

import os
import time

from slipstream import task, workflow
from slipstream.extend.backend import RayJob


@task(task_config=RayJob())
def slow_double(x: int, seconds: float) -> int:
    time.sleep(seconds)
    if x < 0:
        raise ValueError(f"x must be >= 0, got {x}")
    return 2 * x + 0 * os.getpid()


@task
def plus_one(x: int) -> int:
    return x + 1


@workflow
def on_ray(x: int = 20, seconds: float = 0.0) -> int:
    return plus_one(x=slow_double(x=x, seconds=seconds))
