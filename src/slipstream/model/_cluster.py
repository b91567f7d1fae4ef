"""Compute clusters as the control plane shows them: each cluster's engine hosts, their capacity
and load, as of their last heartbeats (``GET /api/v1/clusters``, ``slipstream get clusters``)."""

from __future__ import annotations

import msgspec

__all__ = ["Cluster", "ClusterCapacity", "ClusterHost"]


class ClusterCapacity(msgspec.Struct, frozen=True):
    """What a host (or a cluster, summed over its live hosts) can run at once."""

    cpus: float = 0.0
    memory: int = 0
    """Bytes."""
    gpus: int = 0
    slots: int = 0
    """Attempts at once (the runner's workers)."""


class ClusterHost(msgspec.Struct, frozen=True):
    """One engine host of a cluster, as of its last heartbeat."""

    owner: str
    hostname: str
    runner: str
    """``pool`` (a pool of warm worker processes) or ``ray://ADDRESS``."""
    capacity: ClusterCapacity
    running: int
    """Attempts running on it."""
    executions: int
    """Executions it drives."""
    lease_s: float
    started_at: float
    heartbeat_at: float
    alive: bool
    """Whether it heartbeated within its lease time."""
    store_url: str = ""


class Cluster(msgspec.Struct, frozen=True):
    """A compute cluster: where executions routed to it run (see ``Settings.execution_cluster``)."""

    name: str
    alive: bool
    """Whether one of its hosts heartbeated within its lease time."""
    hosts: tuple[ClusterHost, ...] = ()
    capacity: ClusterCapacity = ClusterCapacity()
    """The sum over its live hosts."""
    running: int = 0
    """Attempts running on its live hosts."""
    queued: int = 0
    """QUEUED executions routed to it (its queue depth)."""
    heartbeat_at: float | None = None
    """The last heartbeat of any of its hosts (None: none ever)."""
    store_url: str = ""
    """The blob store its hosts last reported."""
    created_at: float = 0.0
