"""Elastic tasks with ``nnodes`` above 1 under the Ray runner, on a real local Ray cluster of two
nodes of two CPUs each: a data-parallel step whose ranks run on both nodes (``STRICT_SPREAD``),
more nodes than the cluster has (``PACK``), a rank that fails and a node actor that dies on the
second node, and a cluster too small. Needs torch and Ray; skipped with a reason where missing.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed (pip install 'slipstream[pytorch]')"
)
ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'slipstream[ray]')")

from slipstream import task  # noqa: E402
from slipstream.extras.pytorch import Elastic  # noqa: E402
from slipstream.runners import RayRunner, execute_local  # noqa: E402

if TYPE_CHECKING:
    from ray_cluster import Cluster

pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]

ROWS = 12  # split evenly over 2 and 3 ranks


def _data(seed: int) -> tuple[Any, Any, Any]:
    gen = torch.Generator().manual_seed(seed)
    features, targets = torch.randn(ROWS, 3, generator=gen), torch.randn(ROWS, 1, generator=gen)
    torch.manual_seed(seed)
    return features, targets, torch.nn.Linear(3, 1)


def _step(seed: int) -> dict[str, list[float]]:
    """Each rank's share of the batch, gradients averaged over the ranks; where each rank ran
    (its Ray node's raylet, which the node actor's processes inherit)."""
    import torch.distributed as dist

    rank, world = dist.get_rank(), dist.get_world_size()
    features, targets, model = _data(seed)
    share = slice(rank * ROWS // world, (rank + 1) * ROWS // world)
    torch.nn.functional.mse_loss(model(features[share]), targets[share]).backward()
    grads = []
    for p in model.parameters():
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
        grads.extend(float(v) / world for v in p.grad.flatten())
    raylets: list[Any] = [None] * world
    dist.all_gather_object(raylets, int(os.environ["RAY_RAYLET_PID"]))
    return {"grads": grads, "raylets": [float(r) for r in raylets], "world": [float(world)]}


@task(task_config=Elastic(nnodes=2, nproc_per_node=1))
def step_on_two_nodes(seed: int) -> dict[str, list[float]]:
    return _step(seed)


@task(task_config=Elastic(nnodes=3, nproc_per_node=1))
def step_on_three_nodes(seed: int) -> dict[str, list[float]]:
    return _step(seed)


@task(task_config=Elastic(nnodes=2, nproc_per_node=1))
def second_node_fails() -> int:
    import torch.distributed as dist

    if dist.get_rank() == 1:
        raise ValueError("rank one ran out of luck")
    dist.barrier()  # rank 0 waits for a rank that never comes: it must be stopped
    return 0


@task(task_config=Elastic(nnodes=2, nproc_per_node=1))
def node_actor_dies_once(folder: str) -> int:
    import torch.distributed as dist

    marker = Path(folder, "node-actor")
    if dist.get_rank() == 1 and not marker.exists():  # the first attempt's second node
        marker.write_text(os.environ["SLIPSTREAM_ELASTIC_PARENT"])  # the node actor's process
        time.sleep(120)
    dist.barrier()
    return dist.get_world_size()


@task(task_config=Elastic(nnodes=2, nproc_per_node=1))
def attempt_dies_once(folder: str) -> int:
    import torch.distributed as dist

    marker = Path(folder, "ranks-started")
    if dist.get_rank() == 0 and not marker.exists():  # the first attempt: its actor is killed
        marker.write_text("started")
        time.sleep(120)
    dist.barrier()
    return dist.get_world_size()


@task(task_config=Elastic(nnodes=5, nproc_per_node=1))
def five_nodes() -> int:
    return 0


def _whole_batch_grads(seed: int) -> list[float]:
    features, targets, model = _data(seed)
    torch.nn.functional.mse_loss(model(features), targets).backward()
    return [float(v) for p in model.parameters() for v in p.grad.flatten()]


def _reservations() -> list[str]:
    """Placement groups of the cluster not removed."""
    from ray.util import placement_group_table

    return [k for k, v in placement_group_table().items() if v["state"] != "REMOVED"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # imported here: the Ray actors import this module (for its tasks) from its folder alone
    from ray_cluster import local_ray_cluster

    with local_ray_cluster(head_cpus=2, second_cpus=2) as c:
        yield c


@pytest.fixture(scope="module")
def runner(cluster: Cluster) -> Iterator[RayRunner]:
    r = RayRunner(cluster.address, code_root=str(Path(__file__).parent), idle_s=120)
    yield r
    r.close()


def _no_reservation_left() -> None:
    deadline = time.monotonic() + 20
    while _reservations():
        assert time.monotonic() < deadline, f"placement groups left: {_reservations()}"
        time.sleep(0.2)


def test_two_nodes_average_gradients_like_one_process_over_the_batch(runner: RayRunner) -> None:
    got = execute_local(step_on_two_nodes, {"seed": 5}, runner=runner).python_outputs()
    assert got["world"] == [2.0]
    assert len(set(got["raylets"])) == 2  # one rank on each node (STRICT_SPREAD)
    assert got["grads"] == pytest.approx(_whole_batch_grads(5), abs=1e-6)
    _no_reservation_left()


def test_more_nodes_than_the_cluster_has_are_packed(runner: RayRunner) -> None:
    got = execute_local(step_on_three_nodes, {"seed": 9}, runner=runner).python_outputs()
    assert got["world"] == [3.0]
    assert got["grads"] == pytest.approx(_whole_batch_grads(9), abs=1e-6)
    _no_reservation_left()


def test_a_failing_rank_on_the_second_node_fails_the_attempt_with_its_traceback(
    runner: RayRunner,
) -> None:
    started = time.monotonic()
    run = execute_local(second_node_fails, {}, runner=runner)
    err = run.executor.record.error
    assert err is not None and err.kind == "USER", err
    assert "rank 1 of 2 failed" in err.message
    assert "Traceback" in err.message and "ValueError: rank one ran out of luck" in err.message
    assert time.monotonic() - started < 90
    _no_reservation_left()


def test_a_node_actor_that_dies_fails_the_attempt_as_lost_and_it_runs_again(
    runner: RayRunner, tmp_path: Path
) -> None:
    box: dict[str, Any] = {}
    t = threading.Thread(
        target=lambda: box.update(
            run=execute_local(node_actor_dies_once, {"folder": str(tmp_path)}, runner=runner)
        )
    )
    t.start()
    marker = tmp_path / "node-actor"
    deadline = time.monotonic() + 90
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline, "the second node's rank did not start"
        time.sleep(0.1)
    os.kill(int(marker.read_text()), signal.SIGKILL)
    t.join(120)
    run = box["run"]
    assert run.python_outputs() == 2  # the platform's retry ran both nodes again
    attempts = run.executor.store.attempts[run.executor.id]
    first = attempts[0].error
    assert first is not None and first.kind == "SYSTEM" and first.code == "worker_lost", first
    assert "a node's Ray actor was lost: node 1 (ranks 1-1)" in first.message
    _no_reservation_left()


def _attempt_actor() -> int:
    """The process of the Ray runner's actor running an attempt now (Ray titles it so)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            title = (proc / "cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if title.startswith(b"ray::RayWorker.run"):
            found.append(int(proc.name))
    assert len(found) == 1, found
    return found[0]


def test_an_attempt_whose_actor_is_killed_leaves_no_reservation(
    runner: RayRunner, tmp_path: Path
) -> None:
    """The gang sees the attempt's process gone and ends: its placement group and node actors
    go with it, and the retry finds the room it needs (on this cluster, all of it)."""
    box: dict[str, Any] = {}
    t = threading.Thread(
        target=lambda: box.update(
            run=execute_local(attempt_dies_once, {"folder": str(tmp_path)}, runner=runner)
        )
    )
    t.start()
    deadline = time.monotonic() + 90
    while not (tmp_path / "ranks-started").exists():
        assert time.monotonic() < deadline, "the ranks did not start"
        time.sleep(0.1)
    os.kill(_attempt_actor(), signal.SIGKILL)
    t.join(120)
    run = box["run"]
    assert run.python_outputs() == 2
    first = run.executor.store.attempts[run.executor.id][0].error
    assert first is not None and first.code == "worker_lost", first
    _no_reservation_left()


def test_a_cluster_too_small_fails_at_once(runner: RayRunner) -> None:
    run = execute_local(five_nodes, {}, runner=runner)
    err = run.executor.record.error
    assert err is not None and err.code == "unschedulable", err
    assert "asks 5 nodes of 1 CPU each" in err.message
    assert "the Ray cluster's 2 node(s) can hold 4" in err.message
