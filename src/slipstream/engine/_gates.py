"""Gate nodes: sleep (a timer) and signals (``wait_for_input``, ``approve``).

Signals come from a :class:`SignalSource`: the terminal for local runs, the API on the server. A
source answers at once (a value, a rejection, or "not yet"); "not yet" is asked again every
``POLL_S`` until the gate's timeout.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Protocol

from slipstream.errors import ErrorKind, FailureCode
from slipstream.model import (
    CacheStatus,
    ErrorInfo,
    ExecutionId,
    GateNode,
    Kind,
    LiteralType,
    NodePhase,
)

if TYPE_CHECKING:
    from ._ops import Engine
    from ._scope import NodeRun

__all__ = ["PENDING", "REJECTED", "SignalSource", "TerminalSignals", "start_gate"]

POLL_S = 1.0
PENDING: Any = object()
"""Returned by a signal source that has no answer yet."""
REJECTED: Any = object()
"""Returned by a signal source when an approval was rejected."""


class SignalSource(Protocol):
    """Where gate values come from."""

    def get(self, execution: ExecutionId, node: str, gate: GateNode, deadline: float | None) -> Any:
        """The literal given for ``gate``, :data:`PENDING` or :data:`REJECTED`."""


class NoSignals:
    """For runs that cannot be asked anything: every gate fails with the reason."""

    def get(self, execution: ExecutionId, node: str, gate: GateNode, deadline: float | None) -> Any:
        raise RuntimeError(
            f"{gate.gate} {gate.name!r} needs an answer, but this run has no terminal to ask: "
            "run it from a terminal, or on the server and send the signal through the API"
        )


class TerminalSignals:
    """Asks on the terminal (stdin must be a TTY); waits until the gate's deadline."""

    def __init__(self, stream_in: Any = None, stream_out: Any = None) -> None:
        self._in = stream_in or sys.stdin
        self._out = stream_out or sys.stderr

    def get(self, execution: ExecutionId, node: str, gate: GateNode, deadline: float | None) -> Any:
        if not (hasattr(self._in, "isatty") and self._in.isatty()):
            return NoSignals().get(execution, node, gate, deadline)
        t = gate.value_type or LiteralType(Kind.STR)
        if gate.gate == "approve":
            prompt = f"[{execution.name} {node}] approve {gate.name!r}? [y/N] "
        else:
            prompt = f"[{execution.name} {node}] value for {gate.name!r} ({t}): "
        self._out.write(prompt)
        self._out.flush()
        import select

        timeout = None if deadline is None else max(0.0, deadline - time.time())
        ready, _, _ = select.select([self._in], [], [], timeout)
        if not ready:
            raise TimeoutError(f"no answer for {gate.name!r} before its timeout")
        line = self._in.readline().strip()
        if gate.gate == "approve":
            return True if line.lower() in ("y", "yes") else REJECTED
        from slipstream.types import parse_text

        return parse_text(line, t)


def start_gate(ex: Engine, nr: NodeRun, gate: GateNode) -> None:
    """Start a gate node."""
    ex.transition(nr, NodePhase.WAITING)
    if gate.gate == "sleep":
        ex.add_timer(gate.duration_s or 0.0, lambda: _pass(ex, nr, {}))
        return
    deadline = time.time() + gate.timeout_s if gate.timeout_s else None
    _ask(ex, nr, gate, deadline)


def _pass(ex: Engine, nr: NodeRun, outputs: dict[str, Any]) -> None:
    if not nr.record.phase.terminal and not ex.finished:
        ex.node_succeeded(nr, outputs, CacheStatus.DISABLED)


def _ask(ex: Engine, nr: NodeRun, gate: GateNode, deadline: float | None) -> None:
    if nr.record.phase.terminal or ex.finished:
        return
    try:
        value = ex.signals.get(ex.id, nr.path, gate, deadline)
    except Exception as e:
        ex.node_failed(
            nr, ErrorInfo(code=FailureCode.GATE_FAILED, message=f"{e}", kind=ErrorKind.USER), None
        )
        return
    if value is PENDING:
        if deadline is not None and time.time() >= deadline:
            ex.node_failed(
                nr,
                ErrorInfo(
                    code=FailureCode.GATE_TIMEOUT, message=f"{gate.gate} {gate.name!r} timed out"
                ),
                None,
                NodePhase.TIMED_OUT,
            )
            return
        ex.add_timer(POLL_S, lambda: _ask(ex, nr, gate, deadline))
        return
    if value is REJECTED:
        ex.node_failed(
            nr,
            ErrorInfo(code=FailureCode.REJECTED, message=f"approval {gate.name!r} was rejected"),
            None,
        )
        return
    if gate.gate == "approve":
        _pass(ex, nr, {"o0": (nr.inputs or {}).get("value")})
    else:
        _pass(ex, nr, {"o0": value})
