"""Elastic (flytekitplugins-kfpytorch) tasks: the body on N ranks of a torch.distributed job.

Needs torch (the ``[pytorch]`` extra); skipped with a reason where it is missing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install 'slipstream[pytorch]')"
)

from slipstream import task  # noqa: E402
from slipstream.errors import CompileError  # noqa: E402
from slipstream.extras.pytorch import Elastic  # noqa: E402
from slipstream.runners import execute_local  # noqa: E402

N_ROWS = 8


def _batch(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.nn.Linear]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N_ROWS, 4, generator=g)
    y = torch.randn(N_ROWS, 1, generator=g)
    torch.manual_seed(seed)
    return x, y, torch.nn.Linear(4, 1)


def _grads(model: torch.nn.Linear) -> list[float]:
    return [float(v) for p in model.parameters() for v in p.grad.flatten()]  # type: ignore[union-attr]


@task(task_config=Elastic(nproc_per_node=2))
def train_step(seed: int) -> list[float]:
    """One data-parallel step: each rank's half of the batch, gradients averaged by all_reduce."""
    import torch.distributed as dist

    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, model = _batch(seed)
    shard = slice(rank * N_ROWS // world, (rank + 1) * N_ROWS // world)
    torch.nn.functional.mse_loss(model(x[shard]), y[shard]).backward()
    for p in model.parameters():
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)  # type: ignore[arg-type]
        p.grad /= world  # type: ignore[operator]
    return _grads(model)


@task(task_config=Elastic(nproc_per_node=2))
def rank_one_fails() -> int:
    import torch.distributed as dist

    if dist.get_rank() == 1:
        raise ValueError("rank one ran out of luck")
    dist.barrier()  # rank 0 waits for a rank that never comes: it must be stopped
    return 0


@task(task_config=Elastic(nproc_per_node=2))
def rank_one_vanishes() -> int:
    import os
    import sys

    import torch.distributed as dist

    if dist.get_rank() == 1:
        sys.stderr.write("rank one: the disk is on fire\n")
        sys.stderr.flush()
        os._exit(3)  # no traceback, no error file: its last words are the reason
    dist.barrier()
    return 0


@task(task_config=Elastic(nproc_per_node=1))
def world_of_one() -> list[int]:
    import os

    import torch.distributed as dist

    return [dist.get_rank(), dist.get_world_size(), int(os.environ["LOCAL_RANK"])]


def _whole_batch_grads(seed: int) -> list[float]:
    x, y, model = _batch(seed)
    torch.nn.functional.mse_loss(model(x), y).backward()
    return _grads(model)


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_two_ranks_average_gradients_like_one_process_over_the_batch(runner: str) -> None:
    got = execute_local(train_step, {"seed": 7}, runner=runner, workers=1).python_outputs()
    assert got == pytest.approx(_whole_batch_grads(7), abs=1e-6)
    assert len(got) == 5  # 4 weights and a bias


def test_a_failing_rank_fails_the_task_with_its_traceback_and_stops_the_others() -> None:
    start = time.monotonic()
    run = execute_local(rank_one_fails, {})
    with pytest.raises(Exception) as info:
        run.python_outputs()
    text = str(info.value)
    assert "rank 1 of 2 failed" in text
    assert "Traceback" in text and "ValueError: rank one ran out of luck" in text
    assert time.monotonic() - start < 30


def test_a_rank_that_dies_without_a_traceback_is_reported_with_its_last_words() -> None:
    with pytest.raises(Exception) as info:
        execute_local(rank_one_vanishes, {}).python_outputs()
    text = str(info.value)
    assert "rank 1 of 2 failed" in text
    assert "the rank's process exited with status 3; its last words:" in text
    assert "rank one: the disk is on fire" in text


def test_one_rank_is_a_world_of_one() -> None:
    assert execute_local(world_of_one, {}).python_outputs() == [0, 1, 0]


@task(task_config=Elastic(nnodes=2, nproc_per_node=1))
def two_nodes() -> int:
    return 0


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_several_nodes_outside_ray_fail_at_the_start_saying_they_need_the_ray_runner(
    runner: str,
) -> None:
    """A task does not know its runner when it is defined: the attempt refuses, once."""
    run = execute_local(two_nodes, {}, runner=runner, workers=1)
    err = run.executor.record.error
    assert err is not None and err.code == "unschedulable", err
    assert "Elastic(nnodes=2) places its ranks on 2 nodes" in err.message
    assert "needs the Ray runner" in err.message


def test_bad_counts_are_refused_when_defined() -> None:
    with pytest.raises(CompileError, match="nproc_per_node"):
        Elastic(nproc_per_node=0)
    with pytest.raises(CompileError, match="nnodes"):
        Elastic(nnodes="two")
    with pytest.raises(CompileError, match="nnodes"):
        Elastic(nnodes=0)
    assert Elastic(nnodes="1:3").nnodes == "1:3"  # flytekit's min:max, the largest is used


ORPHAN_SCRIPT = """
import os, sys, time
from pathlib import Path

from slipstream import task
from slipstream.extras.pytorch import Elastic


@task(task_config=Elastic(nproc_per_node=2))
def sleepy(folder: str) -> int:
    Path(folder, f"rank-{os.environ['RANK']}").write_text(str(os.getpid()))
    time.sleep(120)
    return 0


if __name__ == "__main__":
    sleepy(folder=sys.argv[1])
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ranks_end_when_their_worker_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "orphans.py"
    script.write_text(ORPHAN_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("rank-*"))) < 2:
            assert parent.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        pids = [int(f.read_text()) for f in tmp_path.glob("rank-*")]
        assert all(_alive(pid) for pid in pids)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)
