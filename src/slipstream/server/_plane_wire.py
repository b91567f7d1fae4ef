"""What crosses the network between a data plane's engine host and the control plane.

A data plane (``slipstream engine --cluster NAME --endpoint URL``) holds no database URL: it asks
the control plane's API for everything an engine host reads (executions to claim, their records,
programs, code bundles, cache entries, signal values) and sends it everything it writes (node and
attempt records in one batch per turn, fenced by its leases). Records travel as the JSON the
database keeps, so the control plane writes them as they came, once it has checked that each
belongs to an execution routed to the cluster.
"""

from __future__ import annotations

import msgspec

from slipstream.model import ExecutionId, Identifier, OomRetry

__all__ = [
    "Batch",
    "CacheEntry",
    "CacheLookup",
    "Cached",
    "ChildPoll",
    "ChildStart",
    "ClaimReply",
    "ClaimRequest",
    "Claimed",
    "FailRequest",
    "FlushReply",
    "FlushRequest",
    "HostInfo",
    "LeaseRequest",
    "Maybe",
    "Program",
    "RenewReply",
    "Reservation",
    "Stored",
]


class _Wire(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class HostInfo(_Wire, frozen=True, forbid_unknown_fields=True):
    """One engine host as it reports itself with each renewal (its cluster's heartbeat)."""

    hostname: str
    runner: str
    """``pool`` or ``ray://ADDRESS``."""
    capacity: dict[str, float]
    """``cpus``, ``memory`` (bytes), ``gpus``, ``slots`` (attempts it runs at once)."""
    running: int
    executions: int
    lease_s: float
    store_url: str
    started_at: float


class ClaimRequest(_Wire, frozen=True, forbid_unknown_fields=True):
    owner: str
    lease_s: float
    limit: int


class Claimed(_Wire, frozen=True, forbid_unknown_fields=True):
    """A claimed execution: its row id, record JSON and the growth of memory on retry of its
    project/domain."""

    pk: int
    record: str
    oom: OomRetry | None = None


class ClaimReply(_Wire, frozen=True, forbid_unknown_fields=True):
    executions: list[Claimed]


class LeaseRequest(_Wire, frozen=True, forbid_unknown_fields=True):
    """Renew, release or ask which were aborted, for ``pks`` held by ``owner``."""

    owner: str
    pks: list[int]
    lease_s: float = 0.0
    host: HostInfo | None = None


class RenewReply(_Wire, frozen=True, forbid_unknown_fields=True):
    lost: list[int]
    """Executions whose lease another host took (or that are gone)."""
    aborting: list[int]
    """Executions someone asked to abort."""


class Stored(_Wire, frozen=True, forbid_unknown_fields=True):
    """The stored node and attempt records of one execution (resuming it)."""

    pk: int
    nodes: list[tuple[str, str]]
    """(path, record JSON)."""
    attempts: list[tuple[str, int, str]]
    """(node, number, record JSON)."""


class Program(_Wire, frozen=True, forbid_unknown_fields=True):
    """What an execution runs: a registered task or workflow (spec JSON) and its bundle."""

    kind: str
    spec: str
    bundle: str = ""


class Batch(_Wire, frozen=True, forbid_unknown_fields=True):
    """One execution's records written since the last flush (see ``Pending``)."""

    pk: int
    execution: tuple[str, str, bool] | None = None
    nodes: dict[str, tuple[str, str]] = {}
    attempts: list[tuple[str, int, str, str]] = []
    """(node, number, phase, record JSON)."""
    events: list[tuple[float, str, str, str]] = []


class CacheEntry(_Wire, frozen=True, forbid_unknown_fields=True):
    key: str
    project: str
    domain: str
    task: str
    outputs: str
    outputs_uri: str
    source: str
    created_at: float
    expires_at: float | None = None


class FlushRequest(_Wire, frozen=True, forbid_unknown_fields=True):
    owner: str
    batches: list[Batch]
    entries: list[CacheEntry] = []


class FlushReply(_Wire, frozen=True, forbid_unknown_fields=True):
    lost: list[int]


class FailRequest(_Wire, frozen=True, forbid_unknown_fields=True):
    owner: str
    pk: int
    code: str
    message: str


class CacheLookup(_Wire, frozen=True, forbid_unknown_fields=True):
    key: str


class Cached(_Wire, frozen=True, forbid_unknown_fields=True):
    """A cache lookup's answer: ``found`` and the entry's outputs (JSON, or the URI of the
    blob holding them)."""

    found: bool = False
    outputs: str = ""
    outputs_uri: str = ""


class Maybe(_Wire, frozen=True, forbid_unknown_fields=True):
    """A JSON text, or None (a signal not sent yet, a child not ended yet)."""

    value: str | None = None


class Reservation(_Wire, frozen=True, forbid_unknown_fields=True):
    key: str = ""
    owner: str = ""
    ttl_s: float = 0.0


class ChildStart(_Wire, frozen=True, forbid_unknown_fields=True):
    parent: ExecutionId
    node: str
    launch_plan: Identifier
    inputs: dict[str, object]


class ChildPoll(_Wire, frozen=True, forbid_unknown_fields=True):
    child: ExecutionId
    cause: str = ""
