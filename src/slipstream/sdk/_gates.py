"""Gates: ``sleep``, ``wait_for_input`` and ``approve``.

Locally the engine asks on the terminal (and fails clearly without one); on the server a gate waits
for a signal sent through the API.
"""

from __future__ import annotations

import datetime
from typing import Any

from slipstream.errors import CompileError
from slipstream.model import GateNode, Interface, Variable
from slipstream.types import default_engine

from ._compiler import current_builder
from ._location import caller_location
from ._promise import Promise
from ._signature import PyInterface, PyVar

__all__ = ["approve", "sleep", "wait_for_input"]


def _seconds(d: datetime.timedelta | float | int, what: str) -> float:
    s = d.total_seconds() if isinstance(d, datetime.timedelta) else float(d)
    if s < 0:
        raise CompileError(f"{what}: duration must not be negative", location=caller_location())
    return s


def _builder(what: str) -> Any:
    b = current_builder()
    if b is None:
        raise CompileError(f"{what} can only be used inside a workflow", location=caller_location())
    return b


def sleep(duration: datetime.timedelta | float) -> Any:
    """Pause the workflow for ``duration`` (order other nodes after it with ``>>``)."""
    b = _builder("sleep")
    kind = GateNode(gate="sleep", duration_s=_seconds(duration, "sleep"))
    iface = PyInterface((), (), Interface())
    return b.add_node(
        kind=kind,
        entity_name="sleep",
        iface=iface,
        args=(),
        kwargs={},
        location=caller_location(),
    )


def wait_for_input(name: str, timeout: datetime.timedelta | float, expected_type: Any) -> Any:
    """Wait for a value called ``name`` of ``expected_type`` to be given (a signal)."""
    b = _builder("wait_for_input")
    codec = default_engine().codec(expected_type)
    out = PyVar("o0", expected_type, codec)
    iface = PyInterface((), (out,), Interface(outputs=(Variable("o0", codec.literal_type),)))
    kind = GateNode(
        gate="wait_for_input",
        name=name,
        timeout_s=_seconds(timeout, "wait_for_input"),
        value_type=codec.literal_type,
    )
    return b.add_node(
        kind=kind,
        entity_name=f"wait_for_input {name}",
        iface=iface,
        args=(),
        kwargs={},
        location=caller_location(),
    )


def approve(upstream_item: Any, name: str, timeout: datetime.timedelta | float) -> Any:
    """Pass ``upstream_item`` on once someone approves ``name``; reject fails the workflow."""
    b = _builder("approve")
    if not isinstance(upstream_item, Promise):
        raise CompileError(
            "approve needs a promise (the output of a node) to pass on", location=caller_location()
        )
    tp = upstream_item.python_type
    codec = default_engine().codec(tp)
    var = PyVar("value", tp, codec)
    out = PyVar("o0", tp, codec)
    iface = PyInterface(
        (var,),
        (out,),
        Interface(
            inputs=(Variable("value", codec.literal_type),),
            outputs=(Variable("o0", codec.literal_type),),
        ),
    )
    kind = GateNode(
        gate="approve",
        name=name,
        timeout_s=_seconds(timeout, "approve"),
        value_type=codec.literal_type,
    )
    return b.add_node(
        kind=kind,
        entity_name=f"approve {name}",
        iface=iface,
        args=(),
        kwargs={"value": upstream_item},
        location=caller_location(),
    )
