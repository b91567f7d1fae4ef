"""Gate nodes: sleep (a timer) and signals (``wait_for_input``, ``approve``).

Signals come from a :class:`~._signals.SignalSource`: the terminal for local runs, the API on the
server. A source answers at once (a value, a rejection, or "not yet"); "not yet" is asked again
every ``POLL_S`` until the gate's timeout.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from slipstream.errors import ErrorKind, FailureCode
from slipstream.model import CacheStatus, ErrorInfo, GateNode, NodePhase

from ._signals import PENDING, REJECTED

if TYPE_CHECKING:
    from ._ops import Engine
    from ._scope import NodeRun

__all__ = ["POLL_S", "start_gate"]

POLL_S = 1.0


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
