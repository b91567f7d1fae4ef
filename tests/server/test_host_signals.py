"""Gate values from the ``signals`` table."""

from __future__ import annotations

import time

from host_db import add_execution

from slipstream.engine import PENDING, REJECTED
from slipstream.model import ExecutionId, GateNode
from slipstream.server import Database
from slipstream.server._database import SignalRow
from slipstream.server._host import DbSignals


def _send(db: Database, pk: int, name: str, value: str) -> None:
    with db.session() as s:
        s.add(SignalRow(execution_id=pk, name=name, value=value, created_at=time.time()))


def test_values_of_gates(database: Database) -> None:
    pk, eid = add_execution(database)
    other, _ = add_execution(database)
    signals = DbSignals(database)
    size = GateNode(gate="wait_for_input", name="size")
    assert signals.get(eid, "n0", size, None) is PENDING
    _send(database, other, "size", "7")  # another execution's gate of the same name
    assert signals.get(eid, "n0", size, None) is PENDING
    _send(database, pk, "size", '{"rows": [1, 2]}')
    assert signals.get(eid, "n0", size, None) == {"rows": [1, 2]}
    assert signals.get(ExecutionId("proj", "development", "nope"), "n0", size, None) is PENDING


def test_approvals(database: Database) -> None:
    pk, eid = add_execution(database)
    signals = DbSignals(database)
    ok = GateNode(gate="approve", name="ok")
    no = GateNode(gate="approve", name="no")
    assert signals.get(eid, "n1", ok, None) is PENDING
    _send(database, pk, "ok", "true")
    _send(database, pk, "no", "false")
    assert signals.get(eid, "n1", ok, None) is True
    assert signals.get(eid, "n2", no, None) is REJECTED
    # for an input gate, false is a value like any other
    flag = GateNode(gate="wait_for_input", name="no")
    assert signals.get(eid, "n3", flag, None) is False
