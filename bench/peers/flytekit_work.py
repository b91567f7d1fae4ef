"""flytekit (Flyte 1) workloads, plain local execution (no cluster, no sandbox).

Run with the flytekit venv's python:  python flytekit_work.py WORKLOAD [--n N]
Prints one JSON line on stdout (see _common.emit).
"""

from __future__ import annotations

import _common as C

PEER = "flytekit"
args = C.setup(PEER)  # before importing flytekit: isolates ~/.flyte, moves stdout

import typing  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from flytekit import map_task, task, workflow  # noqa: E402

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


def make_chain(n: int, t) -> typing.Callable:
    # A static DAG of n nodes: the workflow body is compiled once, with n fixed.
    @workflow
    def chain_wf(x: int = 0) -> int:
        for _ in range(n):
            x = t(x=x)
        return x

    return chain_wf


def make_map(t) -> typing.Callable:
    # fan-out: flytekit's map_task over a list of ints (ArrayNode map task).
    @workflow
    def map_wf(xs: list[int]) -> list[int]:
        return map_task(t)(x=xs)

    return map_wf


@workflow
def df_wf(n: int) -> int:
    return count_rows(df=make_df(n=n))


def main() -> None:
    n = args.n
    w = args.workload
    extra: dict = {"version": C.version_of("flytekit"), "mode": "local (python process)"}
    if w == "hello":
        with C.Timer() as t:
            out = hello_wf(name="world")
        assert out == "hello world", out
        C.emit(PEER, args, t.s, result=out, **extra)
        return

    if not args.no_warmup:  # one tiny workflow: lazy imports, type engine, ...
        with C.Timer() as tw:
            hello_wf(name="warmup")
        extra["warmup_s"] = round(tw.s, 4)

    if w in ("chain", "cached"):
        wf = make_chain(n, inc_cached if w == "cached" else inc)
        with C.Timer() as t:
            out = wf(x=0)
        assert out == n, out
        extra["impl"] = f"static @workflow with {n} chained @task nodes" + (
            " (cache=True, cache_version='1'; local cache under $HOME/.flyte)"
            if w == "cached"
            else ""
        )
    elif w in ("fanout", "fanout_cpu", "map100k"):
        wf = make_map(burn if w == "fanout_cpu" else inc)
        xs = list(range(n))
        with C.Timer() as t:
            out = wf(xs=xs)
        assert len(out) == n
        extra["impl"] = (
            "map_task(task)(x=list) inside a @workflow (runs items sequentially locally)"
        )
    elif w == "dataframe":
        with C.Timer() as t:
            out = df_wf(n=n)
        assert out == n, out
        extra["impl"] = (
            "2 tasks, pd.DataFrame passed as StructuredDataset (parquet in local raw-data dir)"
        )
    else:
        raise SystemExit(f"unknown workload {w}")
    extra["import_s"] = round(C_IMPORT_DONE - C.T_PROCESS_START, 3)
    C.emit(PEER, args, t.s, **extra)


if __name__ == "__main__":
    main()
