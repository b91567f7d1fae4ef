"""The Ray runner: task attempts on a Ray cluster, in warm actors.

The engine stays where it is (the server's engine host, or the ``slipstream run`` process); only
attempts go to Ray. Each attempt runs through the same entrypoint as everywhere else
(``run_attempt``), inside a long-lived Ray actor that keeps its imported code between attempts, so
an attempt costs one actor call instead of a process start. Inputs and outputs go through the blob
store as with the local pool (small values ride inline in the request and the result), so the blob
store stays the truth and a run survives the loss of Ray's object store.

Actors come in *shapes*: the Ray resources one attempt holds (CPUs, GPUs, memory, from the task's
requests, a limit standing in for a missing request) and the task's environment (an ``ImageSpec``,
built as the actor's ``runtime_env`` under the environment's hash). A task that asks nothing runs
in a one-CPU actor. Each shape has its own pool, grown on demand up to what the cluster can hold;
an actor Ray cannot place yet waits for room (idle actors of other shapes are given back to make
it), and a task that asks more than any node has fails at submission (``unschedulable``).

Many small attempts (the items of a map) go to an actor in batches, one call for up to
``max_batch`` attempts, so the per-item cost stays near the local pool's; the runner keeps no more
than :attr:`capacity` attempts, whatever the size of the map.

Failures: an actor or node that dies under an attempt (killed, crashed, lost) fails it with kind
``SYSTEM`` (the platform's retry budget); Ray's out-of-memory killer gives ``OOM``. Cancelling an
attempt kills its actor (its Ray work stops) and resubmits the other attempts the actor held.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections import deque
from typing import Any

import msgspec

from slipstream.engine import AttemptRequest, AttemptResult
from slipstream.errors import (
    ConfigError,
    EnvironmentBuildError,
    SlipstreamError,
    TaskOutOfMemoryError,
    TaskTimeoutError,
    UnschedulableError,
    WorkerLostError,
)
from slipstream.model import ErrorKind, ExecutionId

from ._ray_actor import DEFAULT_SHAPE as _DEFAULT
from ._ray_actor import Actor as _Actor
from ._ray_actor import Batch as _Batch
from ._ray_actor import RayWorker, Shape
from ._resources import demand_of, format_bytes
from ._runner_results import aborted as _aborted
from ._runner_results import failure as _failure
from ._runner_results import what as _what

__all__ = ["RayRunner", "RayWorker", "Shape"]

_NODES_TTL_S = 5.0


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("the Ray runner needs Ray: pip install 'slipstream[ray]'") from None
    return ray


class RayRunner:
    """Runs attempts on the Ray cluster at ``address`` (``RAY_ADDRESS`` when not given; a
    private local Ray when neither is set).

    ``depth`` batches may wait at each actor; a batch holds up to ``max_batch`` attempts.
    ``max_actors`` caps the actors of one shape (default: as many as the cluster's CPUs allow).
    ``idle_s``: an idle actor of a shape with nothing to do is given back after that long.
    ``ship_code``: send code roots to the actors through Ray's object store instead of by path
    (default: when a node of the cluster is on another host than this process).
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        code_root: str = "",
        *,
        depth: int = 2,
        max_batch: int = 256,
        max_actors: int | None = None,
        idle_s: float = 30.0,
        namespace: str | None = None,
        ship_code: bool | None = None,
    ) -> None:
        ray = _ray()
        self._ray = ray
        address = address or os.environ.get("RAY_ADDRESS") or None
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            kwargs: dict[str, Any] = {
                "logging_level": logging.ERROR,
                "log_to_driver": False,
                "namespace": namespace,
            }
            if address is None:
                kwargs["include_dashboard"] = False
                kwargs["configure_logging"] = False
            try:
                ray.init(address=address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise ConfigError(f"cannot connect to the Ray cluster at {address}: {e}") from None
        self._code_root = code_root or (sys.path[0] if sys.path and sys.path[0] else os.getcwd())
        self._ship = self._other_hosts() if ship_code is None else ship_code
        """Whether code roots go to the actors through Ray's object store (a node on another
        host than this one cannot read them) rather than by path."""
        self._code: dict[str, tuple[str, Any]] = {}
        self._depth = max(1, depth)
        self._max_batch = max(1, max_batch)
        self._idle_s = idle_s
        self._max_actors = max_actors
        self._remote_cls = ray.remote(RayWorker)
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(list[AttemptResult])
        self._queues: dict[Shape, deque[AttemptRequest]] = {}
        self._actors: dict[Shape, list[_Actor]] = {}
        self._refs: dict[Any, _Actor] = {}
        self._starting: dict[Any, _Actor] = {}
        self._broken: dict[Shape, SlipstreamError] = {}
        self._failed: list[AttemptResult] = []
        self._next_index = 0
        self._nodes: list[dict[str, float]] = []
        self._nodes_at = 0.0
        self._envs: dict[str, dict[str, Any]] = {}
        """The ``runtime_env`` of each environment, by its key."""
        total_cpus = sum(n.get("CPU", 0.0) for n in self._alive_nodes())
        self._cluster_cpus = max(1, int(total_cpus))
        self._capacity = self._cluster_cpus * self._depth * self._max_batch

    # -- the cluster -------------------------------------------------------------------------

    def _alive_nodes(self) -> list[dict[str, float]]:
        now = time.monotonic()
        if not self._nodes or now - self._nodes_at > _NODES_TTL_S:
            self._nodes = [
                dict(n.get("Resources", {})) for n in self._ray.nodes() if n.get("Alive")
            ]
            self._nodes_at = now
        return self._nodes

    def _other_hosts(self) -> bool:
        here = self._ray.util.get_node_ip_address()
        return any(n.get("NodeManagerAddress") != here for n in self._ray.nodes() if n.get("Alive"))

    def _code_for(self, batch: list[AttemptRequest]) -> dict[str, tuple[str, Any]]:
        """The shipped copies of the code roots ``batch`` names (packed once per root)."""
        from ._ray_code import pack_code_root

        out: dict[str, tuple[str, Any]] = {}
        for named in {r.code_root for r in batch}:
            root = named or self._code_root
            hit = self._code.get(root)
            if hit is None:
                digest, data = pack_code_root(root)
                hit = self._code[root] = (digest, self._ray.put(data))
            out[named] = hit
        return out

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def resources(self) -> dict[str, float]:
        """The cluster's total resources as Ray reports them (``CPU``, ``GPU``, ``memory``...)."""
        return {k: float(v) for k, v in self._ray.cluster_resources().items()}

    @property
    def actors(self) -> int:
        """How many actors the runner holds now (started or starting)."""
        return sum(len(a) for a in self._actors.values())

    # -- submitting ----------------------------------------------------------------------------

    def submit(self, request: AttemptRequest) -> None:
        try:
            shape = self._shape(request)
        except SlipstreamError as e:
            self._failed.append(_failure(request, e))
            return
        broken = self._broken.get(shape)
        if broken is not None:
            self._failed.append(_failure(request, broken))
            return
        q = self._queues.get(shape)
        if q is None:
            q = self._queues[shape] = deque()
        q.append(request)

    def _shape(self, request: AttemptRequest) -> Shape:
        task = request.task
        env = ""
        if task.environment_spec is not None:
            from ._envs import env_key, refuse_image_only, runtime_env_of

            env = env_key(task.environment_spec)
            if env not in self._envs:
                refuse_image_only(task.environment_spec, "the Ray runner", task.id.name)
                self._envs[env] = runtime_env_of(task.environment_spec)
        d = demand_of(task)
        if d is None:
            return _DEFAULT._replace(env=env)
        shape = Shape(d.cpu or 1.0, d.mem, d.gpu, env)
        why = self._too_big(request, shape)
        if why:
            raise UnschedulableError(why)
        return shape

    def _too_big(self, request: AttemptRequest, shape: Shape) -> str:
        nodes = self._alive_nodes()
        for n in nodes:
            if (
                n.get("CPU", 0.0) + 1e-9 >= shape.cpu
                and n.get("GPU", 0.0) + 1e-9 >= shape.gpu
                and (not shape.mem or n.get("memory", 0.0) >= shape.mem)
            ):
                return ""
        name = request.task.id.name
        most_cpu = max((n.get("CPU", 0.0) for n in nodes), default=0.0)
        most_gpu = max((n.get("GPU", 0.0) for n in nodes), default=0.0)
        most_mem = max((n.get("memory", 0.0) for n in nodes), default=0.0)
        asks = [f"{shape.cpu:g} CPUs"]
        if shape.mem:
            asks.append(f"{format_bytes(shape.mem)} of memory")
        if shape.gpu:
            asks.append(f"{shape.gpu} GPUs")
        return (
            f"task {name} asks {', '.join(asks)}; no node of the Ray cluster has that much "
            f"(the largest have {most_cpu:g} CPUs, {format_bytes(most_mem)} of memory, "
            f"{most_gpu:g} GPUs; {len(nodes)} nodes)"
        )

    def _max_for(self, shape: Shape) -> int:
        per_node = 0
        for n in self._alive_nodes():
            fit = int(n.get("CPU", 0.0) // shape.cpu + 1e-9) if shape.cpu else 1
            if shape.gpu:
                fit = min(fit, int(n.get("GPU", 0.0) // shape.gpu))
            if shape.mem:
                fit = min(fit, int(n.get("memory", 0.0) // shape.mem))
            per_node += max(0, fit)
        most = max(1, per_node)
        return min(most, self._max_actors) if self._max_actors else most

    def _start_actor(self, shape: Shape) -> _Actor:
        options: dict[str, Any] = {"num_cpus": shape.cpu, "max_restarts": 0, "max_task_retries": 0}
        if shape.gpu:
            options["num_gpus"] = shape.gpu
        if shape.mem:
            options["memory"] = shape.mem
        if shape.env:
            options["runtime_env"] = self._envs[shape.env]
        handle = self._remote_cls.options(**options).remote(self._code_root, self._ship)
        actor = _Actor(handle, handle.ready.remote(), shape, self._next_index)
        self._next_index += 1
        self._actors.setdefault(shape, []).append(actor)
        self._starting[actor.ready_ref] = actor
        return actor

    def _kill(self, actor: _Actor) -> None:
        with contextlib.suppress(Exception):
            self._ray.kill(actor.handle, no_restart=True)
        pool = self._actors.get(actor.shape)
        if pool is not None and actor in pool:
            pool.remove(actor)
        self._starting.pop(actor.ready_ref, None)
        for ref in actor.inflight:
            self._refs.pop(ref, None)
        actor.inflight.clear()

    # -- dispatching ---------------------------------------------------------------------------

    def _dispatch(self) -> None:
        now = time.monotonic()
        starved = False
        for shape, q in self._queues.items():
            if not q:
                continue
            pool = self._actors.setdefault(shape, [])
            ready = [a for a in pool if a.ready]
            starting = len(pool) - len(ready)
            # grow: one actor per waiting attempt, up to what the cluster holds for this shape
            if not any(not a.inflight for a in ready):
                cap = self._max_for(shape)
                while len(pool) < cap and starting < len(q):
                    self._start_actor(shape)
                    starting += 1
            if starting and not ready:
                starved = starved or any(now - a.since > 0.5 for a in pool if not a.ready)
            if not ready:
                continue
            # while actors are still starting, each ready one takes a single batch: the work
            # spreads over the cluster instead of queueing at the first actor up
            depth = 1 if starting else self._depth
            per = max(1, min(self._max_batch, len(q) // ((len(ready) + starting) * depth)))
            while q:
                a = min(ready, key=lambda x: len(x.inflight))
                if len(a.inflight) >= depth:
                    break
                batch = [q.popleft() for _ in range(min(per, len(q)))]
                code = None
                if self._ship:
                    try:
                        code = self._code_for(batch)
                    except SlipstreamError as e:
                        self._failed.extend(_failure(r, e) for r in batch)
                        continue
                ref = a.handle.run.remote(self._encoder.encode(batch), code)
                a.inflight[ref] = _Batch(batch)
                self._refs[ref] = a
        if starved:
            self._give_back_idle(now, force=True)
        elif self._idle_s >= 0:
            self._give_back_idle(now, force=False)

    def _give_back_idle(self, now: float, force: bool) -> None:
        """Kill idle actors: those of shapes with nothing waiting after ``idle_s``, or (``force``,
        when an actor waits for room) idle ones of shapes with nothing waiting at once."""
        for shape, pool in list(self._actors.items()):
            if self._queues.get(shape):
                continue
            for a in list(pool):
                if a.ready and not a.inflight and (force or now - a.idle_since > self._idle_s):
                    self._kill(a)
                    if force:
                        return

    # -- results -------------------------------------------------------------------------------

    def wait(self, timeout: float | None) -> list[AttemptResult]:
        self._dispatch()
        if self._failed:
            out, self._failed = self._failed, []
            return out
        refs = list(self._refs) + list(self._starting)
        if not refs:
            return []
        limit = timeout
        deadline = self._next_deadline()
        if deadline is not None and (limit is None or deadline < limit):
            limit = deadline
        if self._starting or any(self._queues.values()):
            limit = 0.1 if limit is None else min(limit, 0.1)  # keep growing and placing actors
        done, _ = self._ray.wait(refs, num_returns=1, timeout=limit, fetch_local=True)
        if done:  # take every other one that is ready too
            more, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0, fetch_local=True)
            done = list({id(r): r for r in [*done, *more]}.values())
        results: list[AttemptResult] = []
        for ref in done:
            if ref in self._starting:
                self._started(ref)
            elif ref in self._refs:
                results.extend(self._finished(ref))
        if not done:
            results.extend(self._reap_overdue())
        self._dispatch()
        if self._failed:
            results.extend(self._failed)
            self._failed = []
        return results

    def _started(self, ref: Any) -> None:
        actor = self._starting.pop(ref)
        try:
            self._ray.get(ref)
        except self._ray.exceptions.RuntimeEnvSetupError as e:
            err = EnvironmentBuildError(
                f"the environment {actor.shape.env[:12]} could not be set up on Ray: {e}"
            )
            self._broken[actor.shape] = err
            self._kill(actor)
            q = self._queues.get(actor.shape) or deque()
            while q:
                self._failed.append(_failure(q.popleft(), err))
            return
        except Exception:  # died while starting: another takes its place on demand
            self._kill(actor)
            return
        actor.ready = True
        actor.idle_since = time.monotonic()

    def _finished(self, ref: Any) -> list[AttemptResult]:
        actor = self._refs.pop(ref)
        batch = actor.inflight.pop(ref)
        if not actor.inflight:
            actor.idle_since = time.monotonic()
        ex = self._ray.exceptions
        try:
            data = self._ray.get(ref)
        except ex.OutOfMemoryError as e:
            self._kill(actor)
            return self._lost(actor, batch, str(e), ErrorKind.OOM)
        except (ex.RayActorError, ex.WorkerCrashedError, ex.NodeDiedError, ex.ObjectLostError) as e:
            self._kill(actor)
            return self._lost(actor, batch, _first_line(e), ErrorKind.SYSTEM)
        except ex.TaskCancelledError:
            return []
        except Exception as e:
            self._kill(actor)
            return self._lost(actor, batch, _first_line(e), ErrorKind.SYSTEM)
        results: list[AttemptResult] = self._decoder.decode(data)
        return results

    def _lost(self, actor: _Actor, batch: _Batch, why: str, kind: ErrorKind) -> list[AttemptResult]:
        """``actor`` died: the batch's attempts fail; what else it held goes back to the queue."""
        for other in list(actor.inflight.values()):
            self._requeue(other.requests)
        out: list[AttemptResult] = []
        for req in batch.requests:
            if kind == ErrorKind.OOM:
                err: SlipstreamError = TaskOutOfMemoryError(
                    f"{_what(req)}: Ray killed its worker for memory: {why}"
                )
            else:
                err = WorkerLostError(f"{_what(req)}: the Ray actor running it died: {why}")
            out.append(_failure(req, err, kind, actor.name))
        return out

    def _requeue(self, requests: list[AttemptRequest]) -> None:
        for req in reversed(requests):
            shape = self._shape_of_queued(req)
            self._queues.setdefault(shape, deque()).appendleft(req)

    def _shape_of_queued(self, req: AttemptRequest) -> Shape:
        try:
            return self._shape(req)
        except SlipstreamError:
            return _DEFAULT

    def _next_deadline(self) -> float | None:
        now = time.monotonic()
        best: float | None = None
        for a in self._refs.values():
            for b in a.inflight.values():
                if b.deadline is not None:
                    left = b.deadline - now
                    best = left if best is None else min(best, left)
        return None if best is None else max(best, 0.0)

    def _reap_overdue(self) -> list[AttemptResult]:
        now = time.monotonic()
        out: list[AttemptResult] = []
        for actor in {id(a): a for a in self._refs.values()}.values():
            late = [b for b in actor.inflight.values() if b.deadline and now > b.deadline]
            if not late:
                continue
            head = late[0].requests[0]
            t = head.timeout_s or 0.0
            why = f"{_what(head)} did not stop at its {t:g} s timeout and its Ray actor was killed"
            out.append(_failure(head, TaskTimeoutError(why), ErrorKind.TIMEOUT, actor.name))
            rest = [r for b in actor.inflight.values() for r in b.requests if r is not head]
            self._kill(actor)
            self._requeue(rest)
        return out

    # -- cancelling and closing ----------------------------------------------------------------

    def cancel(self, node: str, attempt: int, execution: ExecutionId | None = None) -> None:
        def match(r: AttemptRequest) -> bool:
            return (
                r.node == node
                and r.attempt == attempt
                and (execution is None or r.execution == execution)
            )

        for q in self._queues.values():
            for i, r in enumerate(q):
                if match(r):
                    del q[i]
                    self._failed.append(_aborted(r))
                    return
        for actor in {id(a): a for a in self._refs.values()}.values():
            held = [r for b in actor.inflight.values() for r in b.requests]
            hit = next((r for r in held if match(r)), None)
            if hit is None:
                continue
            self._kill(actor)  # stops its Ray work; the actor's other attempts go again
            self._failed.append(_aborted(hit, actor.name))
            self._requeue([r for r in held if r is not hit])
            return

    def close(self) -> None:
        for pool in list(self._actors.values()):
            for a in list(pool):
                self._kill(a)
        self._actors.clear()
        self._queues.clear()
        self._refs.clear()
        self._starting.clear()
        if self._owns_ray:
            with contextlib.suppress(Exception):
                self._ray.shutdown()

    def __enter__(self) -> RayRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
