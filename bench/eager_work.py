"""slipstream's eager workloads, the same ones Flyte 2 runs in bench/peers/flyte_work.py.

    python bench/eager_work.py chain|fanout_cpu [--n N]      (SLIPBENCH_RUNNER=inline|local)

``chain``: an ``@eager`` body awaiting N trivial tasks one after another; ``fanout_cpu``: an
``@eager`` body awaiting ``asyncio.gather`` over N tasks of ~2 ms of CPU each. Prints one JSON
line on stdout (see peers/_common.emit); the measured figure is the best of a few runs in this
process after a warm-up (the peer's process runs once after its own warm-up).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))

import _common as C

PEER = "slipstream"
args = C.setup(PEER)
RUNNER = os.environ.get("SLIPBENCH_RUNNER", "inline")
REPEAT = int(os.environ.get("SLIPBENCH_REPEAT", "3"))

import asyncio  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import typing  # noqa: E402

from slipstream import eager, task  # noqa: E402
from slipstream.runners import execute_local, make_runner  # noqa: E402

C_IMPORT_DONE = C.time.perf_counter()


@task
def inc(x: int) -> int:
    return x + 1


@task
def burn(x: int) -> int:
    return C.cpu_work(x)


@eager
async def chain(n: int) -> int:
    x = 0
    for _ in range(n):
        x = await inc(x=x)
    return x


@eager
async def fanout_cpu(n: int) -> int:
    return sum(await asyncio.gather(*[burn(x=i) for i in range(n)]))


def main() -> None:
    n, w = args.n, args.workload
    if w not in ("chain", "fanout_cpu"):
        raise SystemExit(f"eager workloads are chain and fanout_cpu, not {w}")
    runner = make_runner(RUNNER, 2 if RUNNER == "local" else None)
    body = chain if w == "chain" else fanout_cpu

    def run(k: int) -> typing.Any:
        return execute_local(body, {"n": k}, runner=runner).python_outputs()

    extra: dict[str, typing.Any] = {"runner": RUNNER, "version": C.version_of("slipstream")}
    with C.Timer() as tw:
        run(min(n, 10))
    extra["warmup_s"] = round(tw.s, 4)
    walls, cpus = [], []
    for _ in range(REPEAT):
        c0 = time.process_time()
        with C.Timer() as t:
            out = run(n)
        walls.append(t.s)
        cpus.append(time.process_time() - c0)
    if w == "chain":
        assert out == n, out
        extra["impl"] = f"@eager body awaiting {n} chained @task calls"
    else:
        assert out == sum(C.cpu_work(i) for i in range(n)), out
        extra["impl"] = f"@eager body: asyncio.gather of {n} @task calls of ~2 ms CPU"
    runner.close()
    # the workers' CPU (reaped at close): per run, the warm-up's few calls aside
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    extra["workers_cpu_s_per_run"] = round((kids.ru_utime + kids.ru_stime) / REPEAT, 4)
    extra["engine_cpu_s"] = round(min(cpus), 4)
    extra["runs_wall_s"] = [round(x, 4) for x in walls]
    extra["engine_cpu_ms_per_item"] = round(min(cpus) * 1000 / n, 4)
    extra["import_s"] = round(C_IMPORT_DONE - C.T_PROCESS_START, 3)
    C.emit(f"slipstream-{RUNNER}", args, min(walls), **extra)


if __name__ == "__main__":
    main()
