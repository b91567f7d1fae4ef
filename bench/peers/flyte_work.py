"""Flyte 2 (`flyte` SDK) workloads, run with flyte.run in local mode (no cluster).

Run with the flyte venv's python:  python flyte_work.py WORKLOAD [--n N]
Prints one JSON line on stdout (see _common.emit).
"""

from __future__ import annotations

import _common as C

PEER = "flyte"
args = C.setup(PEER)  # before importing flyte: isolates ~/.flyte, moves stdout

import asyncio  # noqa: E402

import flyte  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

C_IMPORT_DONE = C.time.perf_counter()

env = flyte.TaskEnvironment(name="slipbench")


@env.task
async def inc(x: int) -> int:
    return x + 1


# Flyte 2's task cache; in local mode results go to a SQLite DB under
# ~/.flyte/local-cache.  cache="auto" (version = hash of the function body) is
# used because, in flyte 2.12.1's local controller, only behavior "auto" reads
# the local cache: Cache(behavior="override", version_override="1") -- the
# analogue of flytekit's cache_version="1" -- writes entries but never hits.
@env.task(cache="auto")
async def inc_cached(x: int) -> int:
    return x + 1


@env.task
async def burn(x: int) -> int:
    return C.cpu_work(x)


@env.task
async def chain(n: int) -> int:
    x = 0
    for _ in range(n):
        x = await inc(x)
    return x


@env.task
async def chain_cached(n: int) -> int:
    x = 0
    for _ in range(n):
        x = await inc_cached(x)
    return x


@env.task
async def fanout(n: int) -> int:
    # fan-out: asyncio.gather of n task calls (flyte.map runs sequentially in local mode)
    return sum(await asyncio.gather(*(inc(i) for i in range(n))))


@env.task
async def fanout_cpu(n: int) -> int:
    return sum(await asyncio.gather(*(burn(i) for i in range(n))))


@env.task
async def map_n(n: int) -> int:
    # flyte.map over n items (the SDK's map primitive)
    return sum([r async for r in flyte.map.aio(inc, range(n), return_exceptions=False)])


@env.task
async def make_df(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])


@env.task
async def count_rows(df: pd.DataFrame) -> int:
    return len(df)


@env.task
async def df_wf(n: int) -> int:
    return await count_rows(await make_df(n))


@env.task
async def say_hello(name: str) -> str:
    return f"hello {name}"


@env.task
async def hello_wf(name: str) -> str:
    return await say_hello(name)


def run(task, *a):
    r = flyte.with_runcontext(mode="local").run(task, *a)
    return r.outputs()[0]


def main() -> None:
    n = args.n
    w = args.workload
    flyte.init()
    extra: dict = {
        "version": C.version_of("flyte"),
        "mode": "flyte.with_runcontext(mode='local').run",
    }
    if w == "hello":
        with C.Timer() as t:
            out = run(hello_wf, "world")
        assert out == "hello world", out
        C.emit(PEER, args, t.s, result=out, **extra)
        return
    if not args.no_warmup:
        with C.Timer() as tw:
            run(hello_wf, "warmup")
        extra["warmup_s"] = round(tw.s, 4)

    if w in ("chain", "cached"):
        with C.Timer() as t:
            out = run(chain_cached if w == "cached" else chain, n)
        assert out == n, out
        extra["impl"] = f"parent task awaiting {n} chained task calls" + (
            " (cache='auto', local SQLite cache under $HOME/.flyte)" if w == "cached" else ""
        )
    elif w in ("fanout", "fanout_cpu"):
        with C.Timer() as t:
            out = run(fanout_cpu if w == "fanout_cpu" else fanout, n)
        extra["impl"] = f"parent task: asyncio.gather of {n} task calls"
    elif w == "map100k":
        with C.Timer() as t:
            out = run(map_n, n)
        assert out == n * (n + 1) // 2, out
        extra["impl"] = "flyte.map.aio(task, range(n)) in a parent task (sequential in local mode)"
    elif w == "dataframe":
        with C.Timer() as t:
            out = run(df_wf, n)
        assert out == n, out
        extra["impl"] = "parent task awaiting make_df -> count_rows, pd.DataFrame between tasks"
    else:
        raise SystemExit(f"unknown workload {w}")
    extra["import_s"] = round(C_IMPORT_DONE - C.T_PROCESS_START, 3)
    C.emit(PEER, args, t.s, **extra)


if __name__ == "__main__":
    main()
