"""Where gate values come from: a :class:`SignalSource` answers at once with a value,
:data:`REJECTED`, or :data:`PENDING` ("not yet", asked again later by the gate).

The terminal answers local runs, the API answers on the server; a run that cannot be asked
anything fails its gates with the reason.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol

from slipstream.model import ExecutionId, GateNode, Kind, LiteralType

__all__ = ["PENDING", "REJECTED", "NoSignals", "SignalSource", "TerminalSignals"]

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
