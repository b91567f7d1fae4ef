"""Dagster workloads, run with JobDefinition.execute_in_process (no daemon, no webserver).

execute_in_process uses an ephemeral instance, the in-process executor (one
step at a time) and, with the default io manager, in-memory outputs.

Run with the dagster venv's python:  python dagster_work.py WORKLOAD [--n N]
Prints one JSON line on stdout (see _common.emit).
"""

from __future__ import annotations

import _common as C

PEER = "dagster"
args = C.setup(PEER)  # before importing dagster: sets DAGSTER_HOME, moves stdout

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from dagster import DynamicOut, DynamicOutput, graph, op  # noqa: E402

C_IMPORT_DONE = C.time.perf_counter()

NO_CACHE_REASON = (
    "Dagster has no task-output cache for ops/assets comparable to flytekit's cache=True or "
    "Prefect's cache_policy: re-running a job re-executes every op (code_version/data versions only "
    "mark assets stale; they do not skip execution and return a stored output)."
)


@op
def inc(x: int) -> int:
    return x + 1


@op
def burn(x: int) -> int:
    return C.cpu_work(x)


@op
def total(xs: list) -> int:
    return sum(xs)


@op
def make_df(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])


@op
def count_rows(df: pd.DataFrame) -> int:
    return len(df)


@op
def say_hello(name: str) -> str:
    return f"hello {name}"


@graph
def hello_graph(name: str) -> str:
    return say_hello(name)


def make_chain(n: int):
    # A static graph of n ops (aliases of one op) wired in a chain.
    @graph
    def chain_graph(x: int) -> int:
        for i in range(n):
            x = inc.alias(f"inc_{i}")(x)
        return x

    return chain_graph.to_job(name="chain_job")


def make_fanout(item_op):
    # fan-out: an op yielding n DynamicOutputs, .map(item_op), .collect() into a sum.
    @op(out=DynamicOut(int))
    def emit(n: int):
        for i in range(n):
            yield DynamicOutput(i, mapping_key=str(i))

    @graph
    def fan_graph(n: int) -> int:
        return total(emit(n).map(item_op).collect())

    return fan_graph.to_job(name="fanout_job")


@graph
def df_graph(n: int) -> int:
    return count_rows(make_df(n))


def run(job_or_graph, node: str | None = None, **inputs):
    job = job_or_graph if not hasattr(job_or_graph, "to_job") else job_or_graph.to_job()
    res = job.execute_in_process(input_values=inputs, raise_on_error=True)
    assert res.success
    return res.output_value()


def main() -> None:
    n = args.n
    w = args.workload
    extra: dict = {
        "version": C.version_of("dagster"),
        "mode": "execute_in_process (ephemeral instance, in-process executor, in-memory io)",
    }
    if w == "cached":
        C.emit_skip(PEER, args, NO_CACHE_REASON)
        return
    if w == "hello":
        with C.Timer() as t:
            out = run(hello_graph, name="world")
        assert out == "hello world", out
        C.emit(PEER, args, t.s, result=out, **extra)
        return
    if not args.no_warmup:
        with C.Timer() as tw:
            run(hello_graph, name="warmup")
        extra["warmup_s"] = round(tw.s, 4)

    if w == "chain":
        with C.Timer() as t:  # includes building the n-op job definition
            out = run(make_chain(n), x=0)
        assert out == n, out
        extra["impl"] = f"@graph of {n} aliased ops in a chain -> job.execute_in_process"
    elif w in ("fanout", "fanout_cpu", "map100k"):
        with C.Timer() as t:
            out = run(make_fanout(burn if w == "fanout_cpu" else inc), n=n)
        extra["impl"] = (
            "DynamicOut op yielding n DynamicOutputs -> .map(op) -> .collect() -> sum op"
        )
    elif w == "dataframe":
        with C.Timer() as t:
            out = run(df_graph, n=n)
        assert out == n, out
        extra["impl"] = "make_df op -> count_rows op, in-memory io manager (no serialization)"
    else:
        raise SystemExit(f"unknown workload {w}")
    extra["import_s"] = round(C_IMPORT_DONE - C.T_PROCESS_START, 3)
    C.emit(PEER, args, t.s, **extra)


if __name__ == "__main__":
    main()
