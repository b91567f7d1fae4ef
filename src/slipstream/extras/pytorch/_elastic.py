"""``Elastic``: a task body run as the ranks of a ``torch.distributed`` job.

With ``nnodes=1`` the attempt's worker starts the ``nproc_per_node`` ranks on its own machine
(``_procs``). With ``nnodes`` above 1 the ranks go to several nodes of the Ray cluster the attempt
runs on (``_ray_gang``): that needs the Ray runner, and is refused when the attempt starts
anywhere else. Each rank imports the task's module, joins the process group through
``MASTER_ADDR``/``MASTER_PORT`` and runs the function; the first rank to fail stops the others and
fails the attempt with that rank's traceback; rank 0's return value is the output.
"""

from __future__ import annotations

import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slipstream.errors import CompileError, UnschedulableError, UserTaskError
from slipstream.sdk._naming import code_root_of

from ._procs import RankFailure, free_port, run_ranks

__all__ = ["Elastic"]


def _nodes(nnodes: int | str) -> int:
    """flytekit's ``nnodes``: an int, ``"2"`` or ``"min:max"``; the largest count."""
    text = str(nnodes).strip()
    try:
        count = max(int(part) for part in text.split(":"))
    except ValueError:
        count = 0
    if isinstance(nnodes, bool) or not 1 <= count <= 1024:
        raise CompileError(
            f"Elastic: nnodes must be a count or 'min:max' of 1..1024, got {nnodes!r}"
        )
    return count


@dataclass
class Elastic:
    """flytekitplugins-kfpytorch's ``Elastic`` task config.

    ``nproc_per_node`` processes run the body on each of ``nnodes`` nodes (``"min:max"`` takes
    the largest). One node is the attempt's own machine, under any runner; several are nodes of
    the Ray cluster, under the Ray runner only (elsewhere the attempt fails at its start saying
    so: the task does not know its runner when it is defined). ``start_method``,
    ``monitor_interval``, ``max_restarts``, ``rdzv_configs``, ``increase_shared_mem`` and
    ``run_policy`` are accepted as flytekit takes them; a failed rank fails the attempt (the
    task's retries restart all ranks).
    """

    nnodes: int | str = 1
    nproc_per_node: int = 1
    start_method: str = "spawn"
    monitor_interval: int = 5
    max_restarts: int = 0
    rdzv_configs: dict[str, Any] = field(default_factory=dict)
    increase_shared_mem: bool = True
    run_policy: Any = None
    backend: str | None = None
    """``gloo`` or ``nccl``; by default NCCL where each rank has a GPU, else gloo."""

    def __post_init__(self) -> None:
        _nodes(self.nnodes)
        n = self.nproc_per_node
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1024:
            raise CompileError(f"Elastic: nproc_per_node must be 1..1024, got {n!r}")
        if self.backend not in (None, "gloo", "nccl"):
            raise CompileError(f"Elastic: backend must be 'gloo' or 'nccl', got {self.backend!r}")

    def run_body(self, task: Any, kwargs: dict[str, Any]) -> Any:
        """Run ``task``'s function on ``nnodes`` x ``nproc_per_node`` ranks; rank 0's value."""
        root = code_root_of(task._fn)
        payload = {
            "loader": (task.loader.module, task.loader.qualname, task.loader.file),
            "code_root": str(root) if root else "",
            "kwargs": kwargs,
            "backend": self.backend,
        }
        nodes = _nodes(self.nnodes)
        if nodes > 1:
            from ._ray_gang import run_gang, under_ray

            if not under_ray():
                raise UnschedulableError(
                    f"task {task.name}: Elastic(nnodes={self.nnodes!r}) places its ranks on "
                    f"{nodes} nodes of a Ray cluster and needs the Ray runner (runner='ray', "
                    "`--runner ray`, or a server whose engine runs attempts on Ray); this attempt "
                    "runs outside Ray. Use nnodes=1 to run the ranks on one machine"
                )
            failed, value = run_gang(nodes, self.nproc_per_node, pickle.dumps(payload), task)
        else:
            failed, value = self._run_here(payload)
        if failed is not None:
            world = nodes * self.nproc_per_node
            raise UserTaskError(
                f"task {task.name}: rank {failed.rank} of {world} failed:\n{failed.text}"
            )
        return pickle.loads(value)["value"]

    def _run_here(self, payload: dict[str, Any]) -> tuple[RankFailure | None, bytes]:
        """The ranks of one node, on this machine: the first failure, or rank 0's result."""
        with tempfile.TemporaryDirectory(prefix="slipstream-elastic-") as tmp:
            job = Path(tmp)
            (job / "job.pkl").write_bytes(pickle.dumps(payload))
            n = self.nproc_per_node
            env = {
                "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()),
                "WORLD_SIZE": str(n), "GROUP_RANK": "0",
            }  # fmt: skip
            failed = run_ranks(job, env, list(range(n)), n)
            if failed is not None:
                return failed, b""
            return None, (job / "result-0.pkl").read_bytes()
