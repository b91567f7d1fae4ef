"""Prefect 3 workloads, run locally against Prefect's ephemeral API server.

No server is configured (PREFECT_API_URL unset), so Prefect starts its own
temporary local API server backed by SQLite under $PREFECT_HOME, which
_common.setup points at a per-run temp directory.

Run with the prefect venv's python:  python prefect_work.py WORKLOAD [--n N]
Prints one JSON line on stdout (see _common.emit).
"""

from __future__ import annotations

import os

import _common as C

PEER = "prefect"
args = C.setup(PEER)  # before importing prefect: sets PREFECT_HOME, moves stdout
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry
# The temporary server takes 10-25 s to come up on the 2-core machine; the
# default 20 s startup timeout makes runs fail at random there.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from prefect import flow, task  # noqa: E402
from prefect.cache_policies import INPUTS  # noqa: E402

C_IMPORT_DONE = C.time.perf_counter()


@task
def inc(x: int) -> int:
    return x + 1


# Cache on inputs only, results persisted under $PREFECT_HOME/storage so that a
# second process finds them.
@task(cache_policy=INPUTS, persist_result=True)
def inc_cached(x: int) -> int:
    return x + 1


@task
def burn(x: int) -> int:
    return C.cpu_work(x)


@flow
def chain(n: int) -> int:
    x = 0
    for _ in range(n):
        x = inc(x)
    return x


@flow
def chain_cached(n: int) -> int:
    x = 0
    for _ in range(n):
        x = inc_cached(x)
    return x


@flow
def fanout(n: int) -> int:
    # fan-out: task.map over range(n), default ThreadPoolTaskRunner
    return sum(inc.map(range(n)).result())


@flow
def fanout_cpu(n: int) -> int:
    return sum(burn.map(range(n)).result())


@task
def make_df(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])


@task
def count_rows(df: pd.DataFrame) -> int:
    return len(df)


@flow
def df_flow(n: int) -> int:
    return count_rows(make_df(n))


@task
def say_hello(name: str) -> str:
    return f"hello {name}"


@flow
def hello_flow(name: str = "world") -> str:
    return say_hello(name)


def main() -> None:
    n = args.n
    w = args.workload
    extra: dict = {
        "version": C.version_of("prefect"),
        "mode": "local flow call, ephemeral API server (SQLite)",
    }
    if w == "hello":
        with C.Timer() as t:
            out = hello_flow("world")
        assert out == "hello world", out
        C.emit(PEER, args, t.s, result=out, **extra)
        return
    if not args.no_warmup:  # first flow run starts the ephemeral API server
        with C.Timer() as tw:
            hello_flow("warmup")
        extra["warmup_s"] = round(tw.s, 4)

    if w in ("chain", "cached"):
        with C.Timer() as t:
            out = (chain_cached if w == "cached" else chain)(n)
        assert out == n, out
        extra["impl"] = f"@flow calling {n} @task in sequence" + (
            " (cache_policy=INPUTS, persist_result=True)" if w == "cached" else ""
        )
    elif w in ("fanout", "fanout_cpu", "map100k"):
        with C.Timer() as t:
            out = (fanout_cpu if w == "fanout_cpu" else fanout)(n)
        extra["impl"] = "@flow: task.map(range(n)).result(), ThreadPoolTaskRunner"
    elif w == "dataframe":
        with C.Timer() as t:
            out = df_flow(n)
        assert out == n, out
        extra["impl"] = (
            "@flow: make_df -> count_rows, DataFrame passed in memory (no result persistence)"
        )
    else:
        raise SystemExit(f"unknown workload {w}")
    extra["import_s"] = round(C_IMPORT_DONE - C.T_PROCESS_START, 3)
    C.emit(PEER, args, t.s, **extra)


if __name__ == "__main__":
    main()
