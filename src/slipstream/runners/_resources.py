"""What an attempt asks of the machine, and what the machine has.

The warm pool accounts each running attempt's *requests* (CPU cores, memory bytes, GPUs) against the
machine's capacity and holds back attempts that do not fit. A task that sets only a limit asks for
its limit, as in Kubernetes. Capacity is detected once: CPUs this process may run on, physical
memory, and GPUs from ``CUDA_VISIBLE_DEVICES`` or ``nvidia-smi -L`` (the latter only looked up when
an attempt first asks for a GPU, so that pools of CPU tasks never pay for it).
"""

from __future__ import annotations

import os
from typing import NamedTuple

from slipstream.errors import ConfigError, UnschedulableError
from slipstream.model import ResourceSpec, TaskTemplate, parse_quantity

__all__ = [
    "Capacity",
    "Demand",
    "demand_of",
    "detect_cpus",
    "detect_gpus",
    "detect_memory",
    "format_bytes",
    "memory_limit_of",
    "parse_memory",
]


class Demand(NamedTuple):
    """CPU cores, memory bytes and GPUs one attempt holds while it runs."""

    cpu: float
    mem: int
    gpu: int


_NONE = Demand(0.0, 0, 0)
_demands: dict[tuple[ResourceSpec, ResourceSpec], Demand | None] = {}
_limits: dict[ResourceSpec, int | None] = {}


class Capacity:
    """The machine's CPU cores, memory bytes and GPUs, and how much of them running attempts hold.

    Each given figure overrides the detected one; GPUs are detected when first asked about.
    """

    def __init__(self, cpus: float | None, memory: int | str | None, gpus: int | None) -> None:
        if cpus is not None and cpus <= 0:
            raise ConfigError(f"cpus must be > 0, got {cpus!r}")
        if gpus is not None and gpus < 0:
            raise ConfigError(f"gpus must be >= 0, got {gpus!r}")
        self.cpus = float(cpus) if cpus is not None else detect_cpus()
        self.memory = parse_memory(memory) if memory is not None else detect_memory()
        if self.memory < 0:
            raise ConfigError(f"memory must be >= 0, got {memory!r}")
        self._gpus = gpus  # detected when an attempt first asks for one
        self._used = [0.0, 0, 0]

    def gpus(self) -> int:
        """The machine's GPUs (detected on the first call unless given)."""
        if self._gpus is None:
            self._gpus = detect_gpus()
        return self._gpus

    def too_big(self, task: str, d: Demand) -> str:
        """Why ``d`` (of task ``task``) can never fit this machine; "" when it can."""
        if d.cpu > self.cpus:
            return f"task {task} asks {d.cpu:g} CPUs; this machine has {self.cpus:g}"
        if self.memory and d.mem > self.memory:
            return (
                f"task {task} asks {format_bytes(d.mem)} of memory; "
                f"this machine has {format_bytes(self.memory)}"
            )
        if d.gpu and d.gpu > self.gpus():
            return f"task {task} asks {d.gpu} GPUs; this machine has {self.gpus()}"
        return ""

    def fits(self, d: Demand) -> bool:
        """Whether ``d`` fits beside what running attempts hold now."""
        cpu, mem, gpu = self._used
        return (
            cpu + d.cpu <= self.cpus + 1e-9
            and (not self.memory or mem + d.mem <= self.memory)
            and (not d.gpu or gpu + d.gpu <= self.gpus())
        )

    def take(self, d: Demand, sign: int) -> None:
        """Hold ``d`` (``sign`` 1) or give it back (``sign`` -1)."""
        u = self._used
        u[0] += sign * d.cpu
        u[1] += sign * d.mem
        u[2] += sign * d.gpu


def demand_of(task: TaskTemplate) -> Demand | None:
    """``task``'s requests (a limit stands in for a missing request); None when it asks nothing.

    Cached per resource spec: the pool calls this for every attempt.
    """
    key = (task.requests, task.limits)
    hit = _demands.get(key, _NONE)
    if hit is not _NONE:
        return hit
    req, lim = task.requests, task.limits
    where = task.id.name
    cpu = req.cpu if req.cpu is not None else lim.cpu
    mem = req.mem if req.mem is not None else lim.mem
    gpu = req.gpu if req.gpu is not None else lim.gpu
    d = Demand(
        float(parse_quantity(cpu, field=f"{where}.cpu")) if cpu is not None else 0.0,
        int(parse_quantity(mem, field=f"{where}.mem")) if mem is not None else 0,
        _whole_gpus(gpu, where) if gpu is not None else 0,
    )
    out = None if d == _NONE else d
    _demands[key] = out
    return out


def _whole_gpus(text: str, where: str) -> int:
    value = parse_quantity(text, field=f"{where}.gpu")
    if value != int(value):
        raise UnschedulableError(f"task {where} asks {text} GPUs; GPUs are counted whole")
    return int(value)


def memory_limit_of(task: TaskTemplate) -> int | None:
    """``task``'s memory limit in bytes, or None."""
    spec = task.limits
    if spec.mem is None:
        return None
    hit = _limits.get(spec, -1)
    if hit != -1:
        return hit
    value = int(parse_quantity(spec.mem, field=f"{task.id.name}.limits.mem"))
    _limits[spec] = value
    return value


def parse_memory(value: int | str) -> int:
    """Bytes from an int or a quantity such as ``"16Gi"``."""
    if isinstance(value, int):
        return value
    return int(parse_quantity(value, field="memory"))


def detect_cpus() -> float:
    """The CPUs this process may run on."""
    try:
        return float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return float(os.cpu_count() or 1)


def detect_memory() -> int:
    """Physical memory in bytes (0 when unknown)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return 0


def detect_gpus() -> int:
    """GPUs visible to this process: ``CUDA_VISIBLE_DEVICES`` when set, else ``nvidia-smi -L``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [v for v in (p.strip() for p in visible.split(",")) if v]
        # CUDA stops at the first invalid id; "-1" is the usual way to hide every device
        n = 0
        for v in ids:
            if v.startswith("-"):
                break
            n += 1
        return n
    import shutil
    import subprocess

    exe = shutil.which("nvidia-smi")
    if exe is None:
        return 0
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return 0
    if out.returncode != 0:
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


def format_bytes(n: float) -> str:
    """``n`` bytes for a message: ``512 MiB``, ``2.5 GiB``."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"
