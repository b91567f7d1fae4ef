"""What lives on the Ray side of the Ray runner: the warm actor's body, and the runner's record
of each actor (its shape, whether it started, the batches it holds)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any, NamedTuple

import msgspec

from slipstream.engine import AttemptRequest

__all__ = ["DEFAULT_SHAPE", "Actor", "Batch", "RayWorker", "Shape"]

_GRACE_S = 5.0
"""How long past the sum of its attempts' timeouts a batch may run before its actor is killed."""


class RayWorker:
    """The body of one warm Ray actor: runs batches of attempts through ``run_attempt``.

    Batches travel as msgpack bytes (the same encoding as the local pool's pipes), so nothing of
    slipstream's model depends on Ray's serializer.
    """

    def __init__(self, code_root: str, shipped: bool = False) -> None:
        import ray

        ctx = ray.get_runtime_context()
        node = ctx.get_node_id()
        self.name = f"ray-{node[:8]}-{os.getpid()}"
        self.node = node
        if not shipped and code_root and os.path.isdir(code_root) and code_root not in sys.path:
            sys.path.insert(0, code_root)
        self._decoder = msgspec.msgpack.Decoder(list[AttemptRequest])
        self._encoder = msgspec.msgpack.Encoder()

    def ready(self) -> tuple[str, str, int]:
        """Where the actor runs: its name, its node and its process id."""
        return self.name, self.node, os.getpid()

    def run(self, batch: bytes, code: dict[str, tuple[str, Any]] | None = None) -> bytes:
        """Run each attempt of ``batch`` in turn; their results, in the same order.

        ``code`` maps a code root this node cannot read to its shipped copy (the content hash
        and the object holding the zip), unpacked here once and used in its place.
        """
        from ._entrypoint import run_attempt
        from ._isolation import use_code_root

        out = []
        for req in self._decoder.decode(batch):
            if code is not None and req.code_root in code:
                import ray

                from ._ray_code import unpack_code_root

                digest, ref = code[req.code_root]
                local = unpack_code_root(digest, ray.get(ref))
                req = msgspec.structs.replace(req, code_root=local)
            if req.code_root:
                use_code_root(req.code_root)
            out.append(run_attempt(req, self.name))
        return self._encoder.encode(out)


class Shape(NamedTuple):
    """What one actor holds: CPUs, memory bytes, GPUs, and its environment's hash ("" for none)."""

    cpu: float
    mem: int
    gpu: int
    env: str


DEFAULT_SHAPE = Shape(1.0, 0, 0, "")


class Batch:
    __slots__ = ("deadline", "requests", "sent")

    def __init__(self, requests: list[AttemptRequest]) -> None:
        self.requests = requests
        self.sent = time.monotonic()
        timeouts = [r.timeout_s for r in requests]
        self.deadline: float | None = None
        if all(t is not None for t in timeouts):
            self.deadline = self.sent + sum(t or 0.0 for t in timeouts) + _GRACE_S


class Actor:
    __slots__ = ("handle", "idle_since", "inflight", "name", "ready", "ready_ref", "shape", "since")

    def __init__(self, handle: Any, ready_ref: Any, shape: Shape, index: int) -> None:
        self.handle = handle
        self.ready_ref = ready_ref
        self.ready = False
        self.shape = shape
        self.name = f"ray-actor-{index}"
        self.inflight: dict[Any, Batch] = {}
        self.since = time.monotonic()
        self.idle_since = self.since
