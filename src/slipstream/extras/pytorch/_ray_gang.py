"""An ``Elastic`` task's ranks on several nodes of a Ray cluster (``nnodes`` above 1).

The attempt runs in an actor of the Ray runner. It starts a *gang*: a small detached actor on the
attempt's own node that reserves one bundle per node in a placement group (``STRICT_SPREAD`` when
the cluster has that many nodes able to hold a bundle, else ``PACK``, so that a cluster of one node
still runs the task), starts one node actor in each bundle, and waits for them. Node actor ``g``
starts ranks ``g * N`` to ``g * N + N - 1`` as processes of its machine (``_procs``), all joining
one process group of ``nnodes * N`` ranks through node 0's address and a free port there. Rank 0's
result comes back through node 0; the first rank to fail (a rank that ended without a word, such
as one killed, else the earliest error by the wall clock of its machine: a peer that lost it fails
a moment later) fails the attempt with its traceback. A node actor that dies (killed, its
machine lost) fails the attempt as the platform's failure (``worker_lost``, kind SYSTEM), whatever
its peers report after it.

A bundle holds what the task requests (CPU, memory, GPUs; one CPU when it asks nothing): what one
of Kubeflow's worker pods would get.

Why a detached actor: a placement group that an ordinary actor makes lives as long as the Ray job
(the engine's Ray session), not that actor, so an attempt whose actor is killed (an abort, a lost
worker) would leave its reservation behind. A detached actor's placement group lives as long as
that actor; the node actors are its own and die with it; and it watches the attempt's process,
ending itself when that process is gone.

Code: on one machine (or a shared disk) the ranks import the task's module from its code root as
it is; when a node of the cluster is on another host, the node actors get the code root as Ray's
``working_dir`` (Ray packs and ships it), and slipstream must be installed on every node.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from slipstream._processes import pid_alive
from slipstream.errors import UnschedulableError, WorkerLostError
from slipstream.model import parse_quantity

from ._procs import RankFailure, free_port, run_ranks

__all__ = ["run_gang", "under_ray"]

_GRACE_S = 2.0
"""After the first failure, how long the other nodes may take to report theirs (the first in
time is the cause; the others follow from it)."""
_WATCH_S = 0.5

_Outcome = tuple[str, Any]


def _ray() -> Any:
    """The ray module, untyped (its stubs are partial)."""
    import ray

    return ray


def under_ray() -> bool:
    """Whether this attempt runs in a Ray actor (the Ray runner's worker)."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return False
    return ray.get_runtime_context().get_actor_id() is not None


def run_gang(nodes: int, nproc: int, payload: bytes, task: Any) -> tuple[RankFailure | None, bytes]:
    """Run the job ``payload`` on ``nodes`` x ``nproc`` ranks: the first failure, or rank 0's
    pickled result."""
    ray = _ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    bundle = _bundle(task)
    here = ray.get_runtime_context().get_node_id()
    gang = (
        ray.remote(_Gang)
        .options(
            lifetime="detached",
            num_cpus=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False),
        )
        .remote(os.getpid())
    )
    try:
        kind, detail = ray.get(gang.run.remote(nodes, nproc, bundle, payload))
    except ray.exceptions.RayError as e:
        raise WorkerLostError(
            f"task {task.name}: the Ray actor leading its nodes failed: {_first_line(e)}"
        ) from None
    finally:
        with contextlib.suppress(Exception):
            ray.kill(gang)
    if kind == "unschedulable":
        raise UnschedulableError(f"task {task.name}: {detail}")
    if kind == "lost":  # the platform's failure, retried as such; the ranks' errors follow from it
        raise WorkerLostError(f"task {task.name}: a node's Ray actor was lost: {detail}")
    if kind == "failed":
        assert isinstance(detail, RankFailure)
        return detail, b""
    assert isinstance(detail, bytes)
    return None, detail


def _bundle(task: Any) -> dict[str, float]:
    """What one node holds: the task's requests, one CPU when it asks for none."""
    spec = task.requests.to_spec(0) if task.requests is not None else None
    bundle = {"CPU": 1.0}
    if spec is not None:
        if spec.cpu:
            bundle["CPU"] = float(parse_quantity(spec.cpu, field="cpu"))
        if spec.gpu:
            bundle["GPU"] = float(parse_quantity(spec.gpu, field="gpu"))
        if spec.mem:
            bundle["memory"] = float(int(parse_quantity(spec.mem, field="mem")))
    return {k: v for k, v in bundle.items() if v > 0}


def _how_many_fit(node: dict[str, float], bundle: dict[str, float]) -> int:
    return int(min(node.get(k, 0.0) // v for k, v in bundle.items()))


class _Gang:
    """The detached actor that owns one attempt's placement group and node actors."""

    def __init__(self, parent: int) -> None:
        def watch() -> None:  # the attempt's actor is gone (killed, aborted): so is its gang
            while pid_alive(parent):
                time.sleep(_WATCH_S)
            os._exit(1)

        threading.Thread(target=watch, name="elastic-gang-watch", daemon=True).start()

    def run(self, nodes: int, nproc: int, bundle: dict[str, float], payload: bytes) -> _Outcome:
        ray = _ray()
        from ray.util.placement_group import placement_group, remove_placement_group
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        alive = [n for n in ray.nodes() if n.get("Alive")]
        fits = [_how_many_fit(n.get("Resources", {}), bundle) for n in alive]
        if sum(fits) < nodes:
            return "unschedulable", (
                f"Elastic(nnodes={nodes}) asks {nodes} nodes of {_shown(bundle)} each; the Ray "
                f"cluster's {len(alive)} node(s) can hold {sum(fits)}"
            )
        strategy = "STRICT_SPREAD" if sum(1 for f in fits if f) >= nodes else "PACK"
        here = ray.util.get_node_ip_address()
        ship = any(n.get("NodeManagerAddress") not in (None, here) for n in alive)
        options: dict[str, Any] = {
            "num_cpus": bundle.get("CPU", 0.0),
            "num_gpus": bundle.get("GPU", 0.0),
            "memory": bundle.get("memory", 0.0),
        }
        root = pickle.loads(payload)["code_root"]
        if ship and root:
            options["runtime_env"] = {"working_dir": root}
        pg = placement_group([bundle] * nodes, strategy=strategy)
        actors: list[Any] = []
        try:
            ray.get(pg.ready())
            node_cls = ray.remote(_Node)
            for g in range(nodes):
                where = PlacementGroupSchedulingStrategy(pg, placement_group_bundle_index=g)
                actors.append(node_cls.options(scheduling_strategy=where, **options).remote())
            try:
                addr, port = ray.get(actors[0].address.remote())
            except ray.exceptions.RayError as e:
                return "lost", f"node 0 did not start: {_first_line(e)}"
            calls = {
                a.run.remote(g, nodes, nproc, addr, port, payload, ship and bool(root)): g
                for g, a in enumerate(actors)
            }
            return _collect(calls, nproc)
        finally:
            for a in actors:
                with contextlib.suppress(Exception):
                    ray.kill(a)
            with contextlib.suppress(Exception):
                remove_placement_group(pg)


def _collect(calls: dict[Any, int], nproc: int) -> _Outcome:
    """Wait for the nodes: rank 0's result, or the earliest failure."""
    ray = _ray()

    pending = list(calls)
    failures: list[RankFailure] = []
    result = b""
    deadline: float | None = None
    while pending:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        done, pending = ray.wait(pending, num_returns=1, timeout=left)
        if not done:
            break  # the others are still running after the first failure: they are stopped
        g = calls[done[0]]
        try:
            kind, detail = ray.get(done[0])
        except ray.exceptions.RayError as e:  # the cause of what its peers report, if anything
            ranks = f"ranks {g * nproc}-{g * nproc + nproc - 1}"
            return "lost", f"node {g} ({ranks}): {_first_line(e)}"
        if kind == "failed":
            failures.append(detail)
            deadline = deadline or time.monotonic() + _GRACE_S
        elif g == 0:
            result = detail
    if failures:
        return "failed", min(failures, key=lambda f: (not f.silent, f.at_ns))
    return "ok", result


def _first_line(e: BaseException) -> str:
    """What a Ray error says first (its full text runs to a screen of advice)."""
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _shown(bundle: dict[str, float]) -> str:
    return ", ".join(f"{v:g} {k}" for k, v in bundle.items())


class _Node:
    """One node of the gang: runs its ranks as processes of its machine."""

    def address(self) -> tuple[str, int]:
        """Where rank 0's process group listens: this node's address and a free port."""
        ray = _ray()

        return ray.util.get_node_ip_address(), free_port("")

    def run(
        self,
        group: int,
        nodes: int,
        nproc: int,
        addr: str,
        port: int,
        payload: bytes,
        shipped: bool,
    ) -> _Outcome:
        with tempfile.TemporaryDirectory(prefix="slipstream-elastic-") as tmp:
            job = Path(tmp)
            if shipped:  # the code root came as Ray's working_dir: this actor's folder
                payload = pickle.dumps(dict(pickle.loads(payload), code_root=os.getcwd()))
            (job / "job.pkl").write_bytes(payload)
            env = {
                "MASTER_ADDR": addr, "MASTER_PORT": str(port),
                "WORLD_SIZE": str(nodes * nproc), "GROUP_RANK": str(group),
            }  # fmt: skip
            failed = run_ranks(job, env, [group * nproc + i for i in range(nproc)], nproc)
            if failed is not None:
                return "failed", failed
            return "ok", (job / "result-0.pkl").read_bytes() if group == 0 else b""
