"""Cached tasks and workflows shared by the cache tests (importable by a second process)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from slipstream import File, current_context, task, workflow


def bump(counter: str) -> int:
    """Count a real run of a task in ``counter`` (a file); returns the new count."""
    p = Path(counter)
    with p.open("a") as f:
        f.write("x")
    return len(p.read_text())


@task(cache=True, cache_version="1")
def versioned(counter: str, x: int) -> int:
    bump(counter)
    return x * 2


@task(cache=True)
def source_keyed(counter: str, x: int) -> int:
    bump(counter)
    return x * 3


@task(cache=True, cache_version="1", cache_ignore_input_vars=("noise",))
def ignoring(counter: str, x: int, noise: int) -> int:
    bump(counter)
    return x + 1


@task
def uncached(counter: str, x: int) -> int:
    bump(counter)
    return x


@task(cache=True, cache_version="1")
def make_file(counter: str, text: str) -> File:
    bump(counter)
    p = Path(current_context().working_directory) / "out.txt"
    p.write_text(text)
    return File(path=str(p))


@task(cache=True, cache_version="1")
def make_frame(counter: str, n: int) -> pd.DataFrame:
    bump(counter)
    return pd.DataFrame({"a": list(range(n)), "b": [float(i) for i in range(n)]})


@task(cache=True, cache_version="1", cache_serialize=True)
def serialized(counter: str, x: int) -> int:
    bump(counter)
    time.sleep(0.4)
    return x + 10


@task(cache=True, cache_version="1")
def not_serialized(counter: str, x: int) -> int:
    bump(counter)
    time.sleep(0.4)
    return x + 10


@task(cache=True, cache_version="1", retries=0)
def cached_failure(counter: str, x: int) -> int:
    bump(counter)
    raise ValueError("cached tasks may fail too")


@task
def read_file(f: File) -> str:
    with open(f) as fh:
        return fh.read()


@task
def frame_sum(df: pd.DataFrame) -> float:
    return float(df["b"].sum())


@workflow
def wf_cached(counter: str, x: int) -> tuple[int, int, int]:
    return (
        versioned(counter=counter, x=x),
        source_keyed(counter=counter, x=x),
        uncached(counter=counter, x=x),
    )


@workflow
def wf_ignoring(counter: str, x: int, noise: int) -> int:
    return ignoring(counter=counter, x=x, noise=noise)


@workflow
def wf_file(counter: str, text: str) -> str:
    return read_file(f=make_file(counter=counter, text=text))


@workflow
def wf_frame(counter: str, n: int) -> float:
    return frame_sum(df=make_frame(counter=counter, n=n))


@workflow
def wf_serialized(counter: str, x: int) -> tuple[int, int]:
    return serialized(counter=counter, x=x), serialized(counter=counter, x=x)


@workflow
def wf_not_serialized(counter: str, x: int) -> tuple[int, int]:
    return not_serialized(counter=counter, x=x), not_serialized(counter=counter, x=x)


@workflow
def wf_cached_failure(counter: str, x: int) -> int:
    return cached_failure(counter=counter, x=x)


if __name__ == "__main__":  # the second process of test_cache_persists_across_processes
    import json
    import sys

    from slipstream.runners import execute_local

    run = execute_local(wf_cached, {"counter": sys.argv[1], "x": int(sys.argv[2])})
    statuses = {r.path: str(r.cache) for r in run.executor.store.nodes(run.executor.id)}
    print(json.dumps({"outputs": list(run.python_outputs()), "cache": statuses}))
