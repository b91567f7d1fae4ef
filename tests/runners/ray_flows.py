"""Tasks and workflows the Ray tests run (imported by Ray's actors from this folder)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from slipstream import ImageSpec, Resources, map_task, task, workflow


def _node() -> str:
    import ray

    return str(ray.get_runtime_context().get_node_id())


@task
def where(x: int) -> str:
    time.sleep(2.0)
    return _node()


@workflow
def spread(xs: list[int]) -> list[str]:
    return map_task(where)(x=xs)


@task(requests=Resources(cpu="2"))
def two_cpus() -> str:
    return _node()


@task(requests=Resources(cpu="64"))
def too_big() -> str:
    return "never"


@task
def dies_once(folder: str) -> int:
    """The first attempt writes its pid and waits to be killed; the next one succeeds."""
    marker = Path(folder) / "pid"
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(60)
    return os.getpid()


@task
def heartbeat(path: str) -> int:
    """Appends a line every 50 ms for a minute (what a cancelled attempt must stop doing)."""
    for i in range(1200):
        with open(path, "a") as f:
            f.write(f"{i}\n")
        time.sleep(0.05)
    return 0


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def chain(n: int = 5) -> int:
    return inc(x=inc(x=inc(x=n)))


@task(container_image=ImageSpec(packages=["inflection==0.5.0"]))
def in_env() -> str:
    import inflection

    return str(inflection.__version__)


@task
def outside_env() -> str:
    try:
        import inflection  # noqa: F401
    except ImportError:
        return "cannot import inflection"
    return "imported inflection"


@workflow
def envs() -> tuple[str, str]:
    return in_env(), outside_env()


@task(container_image=ImageSpec(packages=["inflection"], base_image="ubuntu:24.04"))
def with_base_image() -> str:
    return "never"


@task
def module_file() -> str:
    return __file__


@task(retries=0, limits=Resources(mem="300Mi"))
def outgrows(mib: int) -> int:
    """Goes over its limit on the first attempt; returns the memory Ray gave the attempt."""
    import ray

    block = bytearray(mib << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(0.3)
    return int(ray.get_runtime_context().get_assigned_resources().get("memory", 0))
