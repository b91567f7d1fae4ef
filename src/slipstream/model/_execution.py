"""Execution, node and attempt records, and the error recorded with a failure."""

from __future__ import annotations

from typing import Any

import msgspec

from slipstream.errors import ErrorKind

from ._identifier import ExecutionId, Identifier
from ._phases import AttemptPhase, CacheStatus, ExecutionPhase, NodePhase

__all__ = [
    "AttemptRecord",
    "ErrorInfo",
    "ExecutionRecord",
    "ExecutionSpec",
    "NodeRecord",
]


class ErrorInfo(msgspec.Struct, frozen=True):
    """A failure as recorded: a stable code, the user's or the system's fault, and where.

    ``type`` is the qualified name of the original exception class; ``traceback`` holds user frames
    (with the chained exceptions); ``cause`` names the root of the chain (``Type: message``) when
    the exception was raised while handling, or from, another. Every field is written, defaults
    too: a reader of the JSON sees ``"kind": "USER"`` rather than no kind at all.
    """

    code: str
    """A :class:`~slipstream.errors.FailureCode` (a plain string: an extra may write its own)."""
    message: str
    kind: ErrorKind = ErrorKind.USER
    type: str = ""
    node: str = ""
    traceback: str = ""
    cause: str = ""


class ExecutionSpec(msgspec.Struct, frozen=True, omit_defaults=True):
    """What was asked for: which workflow or task, inputs, and how to run it."""

    target: Identifier
    inputs: dict[str, Any] = {}
    launch_plan: Identifier | None = None
    mode: str = "normal"
    """``normal``, ``relaunch`` or ``recover``."""
    source_execution: ExecutionId | None = None
    """The execution a relaunch or recover starts from."""
    parent_execution: ExecutionId | None = None
    """The execution whose launch plan node started this one."""
    parent_node: str = ""
    max_parallelism: int | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    runner: str = ""
    launched_by: str = ""
    cluster: str = ""
    """The compute cluster asked for this execution alone (overrides the route of settings)."""


class ExecutionRecord(msgspec.Struct, frozen=True, omit_defaults=True):
    """The state of an execution as stored."""

    id: ExecutionId
    spec: ExecutionSpec
    phase: ExecutionPhase = ExecutionPhase.QUEUED
    outputs: dict[str, Any] | None = None
    outputs_uri: str = ""
    """Set instead of ``outputs`` when they were too large for the record (in the blob store)."""
    error: ErrorInfo | None = None
    created_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    cluster: str = ""
    """The compute cluster it is on: the one it was routed to at launch (or moved to by
    failover), then the one whose engine host runs it; "" for a local run."""


class NodeRecord(msgspec.Struct, omit_defaults=True):
    """The state of one node execution, addressed by its path (``n2``, ``n3/n0``, ``n4[17]``).

    Mutable on purpose: the engine updates it in place and hands copies to its state store.
    ``outputs_uri`` (``inputs_uri``) replaces ``outputs`` (``inputs``) when they were offloaded to
    the blob store.
    ``spec`` holds a workflow spec generated at run time (a dynamic node's), as JSON.
    """

    path: str
    name: str = ""
    """A display name: the call site's ``with_overrides(name=...)``, else the entity's name."""
    phase: NodePhase = NodePhase.QUEUED
    attempts: int = 0
    cache: CacheStatus = CacheStatus.DISABLED
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    outputs_uri: str = ""
    error: ErrorInfo | None = None
    started_at: float | None = None
    ended_at: float | None = None
    spec: bytes = b""
    task: str = ""
    item_count: int | None = None
    """Map nodes: number of items."""
    child: ExecutionId | None = None
    """Launch plan nodes run on a server: the child execution that runs the launch plan."""
    inputs_uri: str = ""
    """Set instead of ``inputs`` when they were too large for the record (a big map's items)."""
    spec_uri: str = ""
    """Set instead of ``spec`` when the generated workflow was too large for the record."""


class AttemptRecord(msgspec.Struct, frozen=True, omit_defaults=True):
    """One attempt of a task node."""

    node: str
    number: int
    phase: AttemptPhase
    runner: str = ""
    worker: str = ""
    log_uri: str = ""
    error: ErrorInfo | None = None
    started_at: float | None = None
    ended_at: float | None = None
    deck_uri: str = ""
    """The attempt's decks (``render_decks``), one HTML page in the blob store; "" if none."""
    memory_limit: int = 0
    """The memory limit in bytes this attempt ran under (grown after one killed for memory); 0
    when its task has none."""
    memory_peak: int = 0
    """The most resident memory its worker was seen using, in bytes (0: not measured)."""
    cluster: str = ""
    """The compute cluster it ran on."""
