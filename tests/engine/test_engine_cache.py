"""The cache catalog (issue 3, §5): keys, versions, persistence, missing data, serialization."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import wf_defs_cache as defs

from slipstream import task
from slipstream.model import CacheStatus
from slipstream.runners import execute_local


def _count(counter: Path) -> int:
    return len(counter.read_text()) if counter.exists() else 0


def _cache(run: Any) -> dict[str, CacheStatus]:
    return {r.path: r.cache for r in run.executor.store.nodes(run.executor.id)}


@pytest.fixture
def counter(tmp_path: Path) -> Path:
    return tmp_path / "counter"


@pytest.mark.timeout(60)
def test_second_run_hits_and_records_cache_status(counter: Path) -> None:
    first = execute_local(defs.wf_cached, {"counter": str(counter), "x": 2})
    assert first.python_outputs() == (4, 6, 2)
    assert _cache(first) == {
        "n0": CacheStatus.POPULATED,
        "n1": CacheStatus.POPULATED,
        "n2": CacheStatus.DISABLED,
    }
    assert _count(counter) == 3
    second = execute_local(defs.wf_cached, {"counter": str(counter), "x": 2})
    assert second.python_outputs() == (4, 6, 2)
    assert _cache(second) == {
        "n0": CacheStatus.HIT,
        "n1": CacheStatus.HIT,
        "n2": CacheStatus.DISABLED,
    }
    assert _count(counter) == 4  # only the uncached task ran again
    other_input = execute_local(defs.wf_cached, {"counter": str(counter), "x": 3})
    assert other_input.python_outputs() == (6, 9, 3)
    assert _cache(other_input)["n0"] is CacheStatus.POPULATED


@pytest.mark.timeout(60)
def test_failed_cached_node_records_a_miss(counter: Path) -> None:
    run = execute_local(defs.wf_cached_failure, {"counter": str(counter), "x": 1})
    with pytest.raises(ValueError):
        run.python_outputs()
    assert _cache(run)["n0"] is CacheStatus.MISS
    again = execute_local(defs.wf_cached_failure, {"counter": str(counter), "x": 1})
    assert _cache(again)["n0"] is CacheStatus.MISS  # failures are never cached
    assert _count(counter) == 2


@pytest.mark.timeout(60)
def test_local_runner_uses_the_same_catalog(counter: Path) -> None:
    execute_local(defs.wf_cached, {"counter": str(counter), "x": 5}).python_outputs()
    run = execute_local(
        defs.wf_cached, {"counter": str(counter), "x": 5}, runner="local", workers=1
    )
    assert run.python_outputs() == (10, 15, 5)
    assert _cache(run)["n0"] is CacheStatus.HIT


@pytest.mark.timeout(60)
def test_cache_disabled_for_a_run(counter: Path) -> None:
    execute_local(defs.wf_cached, {"counter": str(counter), "x": 1}).python_outputs()
    run = execute_local(defs.wf_cached, {"counter": str(counter), "x": 1}, cache=False)
    assert set(_cache(run).values()) == {CacheStatus.DISABLED}
    assert _count(counter) == 6


@pytest.mark.timeout(60)
def test_cache_persists_across_processes(counter: Path) -> None:
    execute_local(defs.wf_cached, {"counter": str(counter), "x": 7}).python_outputs()
    assert _count(counter) == 3
    here = Path(defs.__file__).parent
    env = dict(os.environ)  # carries this test's SLIPSTREAM_HOME
    env["PYTHONPATH"] = os.pathsep.join([str(here), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "wf_defs_cache", str(counter), "7"],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["outputs"] == [14, 21, 7]
    assert out["cache"] == {"n0": "HIT", "n1": "HIT", "n2": "DISABLED"}
    assert _count(counter) == 4


def _v1(counter: str, x: int) -> int:
    defs.bump(counter)
    return x


def _v2(counter: str, x: int) -> int:
    defs.bump(counter)
    return x


def _v3_float(counter: str, x: int) -> float:
    defs.bump(counter)
    return float(x)


def _src_a(counter: str, x: int) -> int:
    defs.bump(counter)
    return x


def _src_b(counter: str, x: int) -> int:
    defs.bump(counter)
    return x + 0


NAME = "tests.engine.cache.same_name"
v1 = task(cache=True, cache_version="1", name=NAME)(_v1)
v1_again = task(cache=True, cache_version="1", name=NAME)(_v2)
v2 = task(cache=True, cache_version="2", name=NAME)(_v2)
v1_float = task(cache=True, cache_version="1", name=NAME)(_v3_float)
src_a = task(cache=True, name="tests.engine.cache.src")(_src_a)
src_b = task(cache=True, name="tests.engine.cache.src")(_src_b)


def _status(entity: Any, counter: Path, x: int = 1) -> CacheStatus:
    run = execute_local(entity, {"counter": str(counter), "x": x})
    run.python_outputs()
    return _cache(run)["n0"]


@pytest.mark.timeout(60)
def test_cache_version_is_part_of_the_key(counter: Path) -> None:
    assert _status(v1, counter) is CacheStatus.POPULATED
    assert _status(v1_again, counter) is CacheStatus.HIT  # same name, version and interface
    assert _status(v2, counter) is CacheStatus.POPULATED  # new version: a miss
    assert _status(v1, counter) is CacheStatus.HIT


@pytest.mark.timeout(60)
def test_interface_change_is_a_miss(counter: Path) -> None:
    assert _status(v1, counter) is CacheStatus.POPULATED
    assert _status(v1_float, counter) is CacheStatus.POPULATED  # int -> float output
    assert execute_local(v1_float, {"counter": str(counter), "x": 1}).python_outputs() == 1.0


@pytest.mark.timeout(60)
def test_cache_true_without_version_keys_on_the_source(counter: Path) -> None:
    va = src_a.template.metadata.cache
    vb = src_b.template.metadata.cache
    assert va is not None and vb is not None
    assert va.version.startswith("src-")
    assert va.version != vb.version
    assert defs.source_keyed.cache_version == defs.source_keyed.cache_version
    assert _status(src_a, counter) is CacheStatus.POPULATED
    assert _status(src_a, counter) is CacheStatus.HIT
    assert _status(src_b, counter) is CacheStatus.POPULATED  # edited source: a miss


@pytest.mark.timeout(60)
def test_cache_ignore_input_vars(counter: Path) -> None:
    args = {"counter": str(counter), "x": 1}
    first = execute_local(defs.wf_ignoring, {**args, "noise": 1})
    assert first.python_outputs() == 2
    second = execute_local(defs.wf_ignoring, {**args, "noise": 99})
    assert second.python_outputs() == 2
    assert _cache(second)["n0"] is CacheStatus.HIT
    third = execute_local(defs.wf_ignoring, {**args, "x": 2, "noise": 1})
    assert _cache(third)["n0"] is CacheStatus.POPULATED
    assert _count(counter) == 2


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("wf", "inputs", "expected"),
    [
        (defs.wf_file, {"text": "hello"}, "hello"),
        (defs.wf_frame, {"n": 4}, 6.0),
    ],
    ids=["file", "dataframe"],
)
def test_cached_blob_output_whose_data_is_gone_is_a_miss(
    counter: Path, slipstream_home: Path, wf: Any, inputs: dict[str, Any], expected: Any
) -> None:
    args = {"counter": str(counter), **inputs}
    assert execute_local(wf, args).python_outputs() == expected
    hit = execute_local(wf, args)
    assert hit.python_outputs() == expected
    assert _cache(hit)["n0"] is CacheStatus.HIT
    shutil.rmtree(slipstream_home / "data")  # the blobs the catalog points at are gone
    again = execute_local(wf, args)
    assert again.python_outputs() == expected
    assert _cache(again)["n0"] is CacheStatus.POPULATED
    assert _count(counter) == 2


@pytest.mark.timeout(60)
def test_cache_serialize_runs_identical_concurrent_calls_once(counter: Path) -> None:
    run = execute_local(
        defs.wf_serialized, {"counter": str(counter), "x": 1}, runner="local", workers=2
    )
    assert run.python_outputs() == (11, 11)
    assert _count(counter) == 1
    assert sorted(_cache(run).values()) == sorted([CacheStatus.POPULATED, CacheStatus.HIT])


@pytest.mark.timeout(60)
def test_without_cache_serialize_concurrent_calls_both_run(counter: Path) -> None:
    run = execute_local(
        defs.wf_not_serialized, {"counter": str(counter), "x": 1}, runner="local", workers=2
    )
    assert run.python_outputs() == (11, 11)
    assert _count(counter) == 2
