"""The engine host's database state store: buffering, flush, offload of big literals, fencing."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from host_db import add_execution
from sqlalchemy import func, select, text, update

from slipstream.model import (
    AttemptPhase,
    AttemptRecord,
    ErrorInfo,
    ExecutionPhase,
    ExecutionRecord,
    NodePhase,
    NodeRecord,
    decode,
)
from slipstream.server import Database
from slipstream.server._database import (
    AttemptRow,
    CacheEntryRow,
    EventRow,
    ExecutionRow,
    NodeExecutionRow,
)
from slipstream.server._host import (
    DbCatalog,
    DbStateStore,
    claim,
    flush,
    load_inputs,
    load_outputs,
    load_spec,
)

OWNER = "host-a"


def _owned(db: Database, tmp_path: Path, **kw: int) -> DbStateStore:
    pk, eid = add_execution(db)
    assert claim(db, OWNER, 60, 1) == [pk]
    return DbStateStore(db, pk, eid, (tmp_path / "blobs").as_uri(), **kw)


def _execution(db: Database, store: DbStateStore) -> ExecutionRecord:
    with db.session() as s:
        row = s.get(ExecutionRow, store.execution_pk)
        assert row is not None
        return decode(row.record, ExecutionRecord)


def _count(db: Database, table: type, pk: int) -> int:
    with db.engine.connect() as conn:
        col = table.execution_id  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).where(col == pk)).scalar_one())


def test_saves_are_buffered_until_flush(database: Database, tmp_path: Path) -> None:
    store = _owned(database, tmp_path)
    eid = store.execution
    rec = NodeRecord(path="n0", task="t")
    store.save_node(eid, rec)
    rec.phase = NodePhase.RUNNING
    store.save_node(eid, rec)
    store.save_attempt(eid, AttemptRecord(node="n0", number=1, phase=AttemptPhase.RUNNING))
    store.save_attempt(eid, AttemptRecord(node="n0", number=1, phase=AttemptPhase.SUCCEEDED))
    rec.phase = NodePhase.SUCCEEDED
    rec.outputs = {"o0": 3}
    store.save_node(eid, rec)
    rec.outputs = {"o0": "changed after the save"}  # the engine keeps its record: copies were kept
    assert _count(database, NodeExecutionRow, store.execution_pk) == 0

    assert flush(database, OWNER, [store]) == set()
    assert not store.dirty
    fresh = DbStateStore(database, store.execution_pk, eid, (tmp_path / "blobs").as_uri())
    [node] = fresh.nodes(eid)
    assert (node.phase, node.outputs, node.task) == (NodePhase.SUCCEEDED, {"o0": 3}, "t")
    [attempt] = fresh.attempts(eid)
    assert attempt.phase is AttemptPhase.SUCCEEDED
    with database.session() as s:
        row = s.scalars(select(NodeExecutionRow)).one()
        assert row.phase == "SUCCEEDED"
        assert s.scalars(select(AttemptRow.phase)).all() == ["SUCCEEDED"]
    # a second flush upserts the same rows instead of adding new ones
    store.save_attempt(eid, AttemptRecord(node="n0", number=2, phase=AttemptPhase.FAILED))
    store.save_node(eid, rec)
    assert flush(database, OWNER, [store]) == set()
    assert _count(database, NodeExecutionRow, store.execution_pk) == 1
    assert [a.number for a in fresh.attempts(eid)] == [1, 2]
    assert [n.outputs for n in fresh.nodes(eid)] == [{"o0": "changed after the save"}]


def test_execution_record_and_events(database: Database, tmp_path: Path) -> None:
    store = _owned(database, tmp_path)
    eid = store.execution
    base = _execution(database, store)
    store.save_execution(msgspec.structs.replace(base, phase=ExecutionPhase.RUNNING))
    for path in ("n0", "n1[0]", "n1[1]"):
        rec = NodeRecord(path=path)
        store.save_node(eid, rec)
        rec.phase = NodePhase.RUNNING
        store.save_node(eid, rec)
        store.save_node(eid, rec)  # no change of phase: no event
        rec.phase = NodePhase.FAILED
        rec.error = ErrorInfo(code="boom", message="x")
        store.save_node(eid, rec)
    done = msgspec.structs.replace(base, phase=ExecutionPhase.SUCCEEDED, outputs={"o0": 1})
    store.save_execution(done)
    assert flush(database, OWNER, [store]) == set()

    assert _execution(database, store) == done
    with database.session() as s:
        row = s.get(ExecutionRow, store.execution_pk)
        assert row is not None and row.phase == "SUCCEEDED"
        events = s.scalars(select(EventRow).order_by(EventRow.id)).all()
    got = [(e.kind, e.node, json.loads(e.payload)) for e in events]
    assert got == [
        ("execution_phase", "", {"phase": "RUNNING", "from": ""}),
        ("node_phase", "n0", {"phase": "QUEUED", "from": ""}),
        ("node_phase", "n0", {"phase": "RUNNING", "from": "QUEUED"}),
        ("node_phase", "n0", {"phase": "FAILED", "from": "RUNNING", "error": "boom"}),
        ("execution_phase", "", {"phase": "SUCCEEDED", "from": "RUNNING"}),
    ]
    assert all(len(e.payload) < 100 for e in events)
    assert all(e.execution_id == store.execution_pk for e in events)


def test_abort_requested_is_not_overwritten_by_a_running_record(
    database: Database, tmp_path: Path
) -> None:
    store = _owned(database, tmp_path)
    base = _execution(database, store)
    with database.engine.begin() as conn:  # the API asks for an abort
        conn.execute(update(ExecutionRow).values(phase="ABORTING"))
    store.save_execution(msgspec.structs.replace(base, phase=ExecutionPhase.RUNNING))
    flush(database, OWNER, [store])
    with database.session() as s:
        assert s.scalars(select(ExecutionRow.phase)).one() == "ABORTING"
    store.save_execution(msgspec.structs.replace(base, phase=ExecutionPhase.ABORTED))
    flush(database, OWNER, [store])
    with database.session() as s:
        assert s.scalars(select(ExecutionRow.phase)).one() == "ABORTED"


def _max_row_bytes(db: Database) -> int:
    sizes = []
    with db.engine.connect() as conn:
        for table, col in (
            ("executions", "record"),
            ("node_executions", "record"),
            ("attempts", "record"),
            ("events", "payload"),
            ("cache_entries", "outputs"),
        ):
            sizes.append(conn.execute(text(f"SELECT max(length({col})) FROM {table}")).scalar())
    return max(s or 0 for s in sizes)


def test_big_outputs_and_inputs_go_to_the_blob_store(database: Database, tmp_path: Path) -> None:
    store = _owned(database, tmp_path)
    eid = store.execution
    items = [f"item-{i:06d}" for i in range(100_000)]  # about 1.4 MB as JSON
    rec = NodeRecord(path="n1", task="map", item_count=len(items), inputs={"xs": items})
    rec.phase = NodePhase.SUCCEEDED
    rec.outputs = {"o0": items}
    store.save_node(eid, rec)
    store.save_node(eid, rec)  # saved again: the same blobs, not written twice
    small = NodeRecord(path="n2", outputs={"o0": 1}, inputs={"x": 2})
    store.save_node(eid, small)
    base = _execution(database, store)
    store.save_execution(
        msgspec.structs.replace(base, phase=ExecutionPhase.SUCCEEDED, outputs={"o0": items})
    )
    catalog = DbCatalog(database, (tmp_path / "blobs").as_uri())
    catalog.put("k" * 64, "map", {"o0": items}, str(eid))
    assert flush(database, OWNER, [store], catalog) == set()

    assert _max_row_bytes(database) < 2_000
    nodes = {n.path: n for n in store.nodes(eid)}
    big = nodes["n1"]
    assert big.outputs is None and big.inputs is None
    assert big.outputs_uri.startswith((tmp_path / "blobs").as_uri())
    assert "/proj/development/" in big.outputs_uri and "/n1/" in big.outputs_uri
    assert load_outputs(big) == {"o0": items}
    assert load_inputs(big) == {"xs": items}
    assert (load_outputs(nodes["n2"]), load_inputs(nodes["n2"])) == ({"o0": 1}, {"x": 2})
    assert nodes["n2"].outputs_uri == ""
    record = _execution(database, store)
    assert record.outputs is None and load_outputs(record) == {"o0": items}
    assert catalog.get("k" * 64) == {"o0": items}
    blobs = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 4  # node outputs, node inputs, execution outputs, cache entry


def test_outputs_the_runner_offloaded_are_not_copied(database: Database, tmp_path: Path) -> None:
    store = _owned(database, tmp_path, offload_bytes=100)
    uri = (tmp_path / "blobs" / "runner-outputs").as_uri()
    rec = NodeRecord(path="n0", outputs={"o0": "x" * 200}, outputs_uri=uri)
    store.save_node(store.execution, rec)
    flush(database, OWNER, [store])
    [got] = store.nodes(store.execution)
    assert (got.outputs, got.outputs_uri) == (None, uri)
    assert not (tmp_path / "blobs").exists()


def test_a_store_whose_lease_was_taken_writes_nothing(database: Database, tmp_path: Path) -> None:
    ours = _owned(database, tmp_path)
    theirs = _owned(database, tmp_path)
    with database.engine.begin() as conn:  # another host took the lease over
        conn.execute(
            update(ExecutionRow)
            .where(ExecutionRow.id == theirs.execution_pk)
            .values(lease_owner="host-b")
        )
    for store in (ours, theirs):
        rec = NodeRecord(path="n0", phase=NodePhase.RUNNING)
        store.save_node(store.execution, rec)
        store.save_attempt(
            store.execution, AttemptRecord(node="n0", number=1, phase=AttemptPhase.RUNNING)
        )
        store.save_execution(
            msgspec.structs.replace(_execution(database, store), phase=ExecutionPhase.RUNNING)
        )

    assert flush(database, OWNER, [ours, theirs]) == {theirs.execution_pk}
    assert theirs.lost and not ours.lost
    for table in (NodeExecutionRow, AttemptRow, EventRow):
        assert _count(database, table, theirs.execution_pk) == 0
        assert _count(database, table, ours.execution_pk) > 0
    assert _execution(database, theirs).phase is ExecutionPhase.QUEUED
    assert _execution(database, ours).phase is ExecutionPhase.RUNNING
    # later saves of the lost store are dropped; it is reported lost again
    theirs.save_node(theirs.execution, NodeRecord(path="n1"))
    assert not theirs.dirty
    assert flush(database, OWNER, [ours, theirs]) == {theirs.execution_pk}


def test_a_failed_flush_keeps_the_buffers(database: Database, tmp_path: Path) -> None:
    store = _owned(database, tmp_path)
    catalog = DbCatalog(database)
    store.save_node(store.execution, NodeRecord(path="n0"))
    catalog.put("c" * 64, "t", {"o0": 1}, str(store.execution))
    with database.engine.begin() as conn:  # the events insert, last in the transaction, fails
        conn.execute(text("DROP TABLE events"))
    with pytest.raises(Exception, match="events"):
        flush(database, OWNER, [store], catalog)
    assert _count(database, NodeExecutionRow, store.execution_pk) == 0  # rolled back
    store.save_node(store.execution, NodeRecord(path="n1"))
    EventRow.__table__.create(database.engine)
    assert flush(database, OWNER, [store], catalog) == set()
    assert sorted(n.path for n in store.nodes(store.execution)) == ["n0", "n1"]
    with database.session() as s:
        assert s.scalars(select(CacheEntryRow.key)).all() == ["c" * 64]


def test_records_of_another_execution_are_refused(database: Database, tmp_path: Path) -> None:
    a = _owned(database, tmp_path)
    b = _owned(database, tmp_path)
    with pytest.raises(ValueError, match=str(b.execution)):
        a.save_node(b.execution, NodeRecord(path="n0"))


def test_a_host_whose_lease_expired_and_was_claimed_loses_its_writes(
    database: Database, tmp_path: Path
) -> None:
    slow = _owned(database, tmp_path)
    with database.engine.begin() as conn:  # the slow host missed its renewals
        conn.execute(update(ExecutionRow).values(lease_expires=0.0))
    assert claim(database, "host-b", 60, 10) == [slow.execution_pk]
    slow.save_node(slow.execution, NodeRecord(path="n0", phase=NodePhase.RUNNING))
    assert flush(database, OWNER, [slow]) == {slow.execution_pk}
    assert _count(database, NodeExecutionRow, slow.execution_pk) == 0
    # the new owner's store writes
    pk, eid = slow.execution_pk, slow.execution
    taker = DbStateStore(database, pk, eid, (tmp_path / "blobs").as_uri())
    taker.save_node(eid, NodeRecord(path="n0", phase=NodePhase.RUNNING))
    assert flush(database, "host-b", [taker]) == set()
    assert _count(database, NodeExecutionRow, pk) == 1


def test_a_big_generated_workflow_goes_to_the_blob_store(
    database: Database, tmp_path: Path
) -> None:
    store = _owned(database, tmp_path, offload_bytes=10_000)
    spec = json.dumps({"nodes": [{"id": f"n{i}", "task": "t"} for i in range(2_000)]}).encode()
    rec = NodeRecord(path="n3", phase=NodePhase.WAITING, spec=spec, inputs={"n": 2_000})
    store.save_node(store.execution, rec)
    flush(database, OWNER, [store])
    assert _max_row_bytes(database) < 1_000
    with database.session() as s:
        stored = decode(s.scalars(select(NodeExecutionRow.record)).one(), NodeRecord)
    assert stored.spec == b"" and stored.spec_uri and stored.inputs == {"n": 2_000}
    assert load_spec(stored) == spec
    [resumed] = store.nodes(store.execution)  # resuming gets the spec back
    assert resumed.spec == spec
    store.save_node(store.execution, resumed)  # saved again: the same blob, nothing new
    flush(database, OWNER, [store])
    assert _max_row_bytes(database) < 1_000
    assert len([p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]) == 1
