"""slipstream workloads, the same ones the peers run (bench/peers/*_work.py).

    python bench/slipstream_work.py WORKLOAD [--n N]      (SLIPBENCH_RUNNER=inline|local)

Prints one JSON line on stdout (see peers/_common.emit). Only the import differs from the flytekit
script: the workflows are the same flytekit-style code.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))

import _common as C

PEER = "slipstream"
args = C.setup(PEER)
RUNNER = os.environ.get("SLIPBENCH_RUNNER", "inline")

import typing  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from slipstream import map_task, task, workflow  # noqa: E402
from slipstream.runners import execute_local, make_runner  # noqa: E402

C_IMPORT_DONE = C.time.perf_counter()


@task
def inc(x: int) -> int:
    return x + 1


@task(cache=True, cache_version="1")
def inc_cached(x: int) -> int:
    return x + 1


@task
def burn(x: int) -> int:
    return C.cpu_work(x)


@task
def make_df(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])


@task
def count_rows(df: pd.DataFrame) -> int:
    return len(df)


@task
def say_hello(name: str) -> str:
    return f"hello {name}"


@workflow
def hello_wf(name: str = "world") -> str:
    return say_hello(name=name)


def make_chain(n: int, t: typing.Any) -> typing.Any:
    @workflow
    def chain_wf(x: int = 0) -> int:
        for _ in range(n):
            x = t(x=x)
        return x

    return chain_wf


def make_fanout(t: typing.Any) -> typing.Any:
    @workflow
    def map_wf(xs: typing.List[int]) -> typing.List[int]:  # noqa: UP006
        return map_task(t)(x=xs)

    return map_wf


def main() -> None:
    n = args.n
    w = args.workload
    extra: dict[str, typing.Any] = {"runner": RUNNER, "version": C.version_of("slipstream")}
    runner = make_runner(RUNNER)
    peer = f"slipstream-{RUNNER}"

    def run(wf: typing.Any, **inputs: typing.Any) -> typing.Any:
        return execute_local(wf, inputs, runner=runner).python_outputs()

    if w == "hello":
        with C.Timer() as t:
            out = hello_wf(name="world")
        assert out == "hello world", out
        C.emit(peer, args, t.s, result=out, **extra)
        return
    if not args.no_warmup:
        with C.Timer() as tw:
            run(hello_wf, name="warmup")
        extra["warmup_s"] = round(tw.s, 4)
    if w in ("chain", "cached"):
        wf = make_chain(n, inc_cached if w == "cached" else inc)
        with C.Timer() as t:
            out = run(wf, x=0)
        assert out == n, out
        extra["impl"] = f"static @workflow with {n} chained @task nodes"
    elif w in ("fanout", "fanout_cpu", "map100k"):
        wf = make_fanout(burn if w == "fanout_cpu" else inc)
        xs = list(range(n))
        with C.Timer() as t:
            out = run(wf, xs=xs)
        assert len(out) == n
        extra["impl"] = "map_task(task)(x=list) inside a @workflow"
    elif w == "dataframe":

        @workflow
        def df_wf(n: int) -> int:
            return count_rows(df=make_df(n=n))

        with C.Timer() as t:
            out = run(df_wf, n=n)
        assert out == n, out
        extra["impl"] = "2 tasks, pd.DataFrame passed as Parquet in the local blob store"
    else:
        raise SystemExit(f"unknown workload {w}")
    runner.close()
    extra["import_s"] = round(C_IMPORT_DONE - C.T_PROCESS_START, 3)
    C.emit(peer, args, t.s, **extra)


if __name__ == "__main__":
    main()
