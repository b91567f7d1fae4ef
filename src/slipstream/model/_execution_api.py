"""The executions API's bodies: what a client sends to launch, abort and signal executions, and
what it reads back besides the records themselves (events, signals, log chunks, values with their
types).

``*_by`` fields say who asks; the server records the caller its API edge authenticated instead
(as for promotions), so they only matter to services called without that edge.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ._identifier import Identifier
from ._literal_types import LiteralType

__all__ = [
    "AbortRequest",
    "ExecutionCreate",
    "ExecutionEvent",
    "ExecutionValues",
    "LogChunk",
    "RelaunchRequest",
    "SignalInfo",
    "SignalSend",
]


class ExecutionCreate(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/executions``.

    ``target`` names a launch plan, a workflow (meaning its default launch plan) or a task, with
    project and domain (where the execution lives) and a version (empty or ``latest``: the newest).
    ``inputs`` are literals; the launch plan's default inputs fill what is not given, and its fixed
    inputs may not be given at all. ``name`` is generated when empty. ``cluster`` routes this
    execution alone to one compute cluster (instead of the route of its settings).
    """

    target: Identifier
    inputs: dict[str, Any] = {}
    name: str = ""
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    max_parallelism: int | None = None
    launched_by: str = ""
    cluster: str = ""


class RelaunchRequest(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST .../relaunch`` and ``POST .../recover``: an optional name for the new
    execution, and who asks."""

    name: str = ""
    launched_by: str = ""


class AbortRequest(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST .../abort`` (may be empty): why, and who asks."""

    cause: str = ""
    aborted_by: str = ""


class SignalSend(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """The body of ``POST .../signals``: a literal ``value`` for the gate called ``name``.

    An approval gate takes ``true`` (approved) or ``false`` (rejected).
    """

    name: str
    value: Any
    sent_by: str = ""


class SignalInfo(msgspec.Struct, frozen=True, omit_defaults=True):
    """A gate of an execution's workflow that waits for a signal, and the value sent, if any."""

    name: str
    gate: str
    """``wait_for_input`` or ``approve``."""
    type: LiteralType
    node: str = ""
    sent: bool = False
    value: Any = None
    sent_by: str = ""
    sent_at: float | None = None


class ExecutionEvent(msgspec.Struct, frozen=True, omit_defaults=True):
    """One entry of an execution's append-only event log (phase changes and actions)."""

    id: int
    at: float
    kind: str
    node: str = ""
    actor: str = ""
    payload: dict[str, Any] = {}


class ExecutionValues(msgspec.Struct, frozen=True, omit_defaults=True):
    """An execution's inputs or outputs as literals, with their literal types (so that a client
    without the user's code can still turn them into Python values)."""

    values: dict[str, Any]
    types: dict[str, LiteralType] = {}


class LogChunk(msgspec.Struct, frozen=True, omit_defaults=True):
    """Bytes of an attempt's log from ``offset``; ask again from ``next_offset`` to follow it.

    ``complete`` is true once the attempt has ended and the chunk reaches the end of the log.
    """

    node: str
    attempt: int
    offset: int
    next_offset: int
    data: str = ""
    size: int = 0
    complete: bool = False
