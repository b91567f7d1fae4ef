"""The lineage index's rows from flushed records: which URIs count, in which form, and that a
record it cannot read never fails a flush."""

from __future__ import annotations

import msgspec

from slipstream.model import (
    CacheStatus,
    ExecutionId,
    ExecutionRecord,
    ExecutionSpec,
    Identifier,
    NodePhase,
    NodeRecord,
    ResourceType,
)
from slipstream.server._lineage import index_rows, uri_key
from slipstream.server._lineage._index import MAX_URIS_PER_RECORD


def _node(phase: NodePhase, **fields: object) -> tuple[str, str]:
    record = NodeRecord(path="n1", phase=phase, attempts=2, **fields)  # type: ignore[arg-type]
    return phase.value, msgspec.json.encode(record).decode()


def test_inputs_once_ended_outputs_once_succeeded() -> None:
    f = {"uri": "s3://bucket/p/d/e0/n0/1/outputs/a.txt", "format": ""}
    g = {"uri": "s3://bucket/p/d/e1/n1/2/outputs/b/", "format": ""}
    running = _node(NodePhase.RUNNING, inputs={"f": f})
    assert index_rows(7, None, [running], 1.0) == []
    failed = _node(NodePhase.FAILED, inputs={"f": f})
    [row] = index_rows(7, None, [failed], 1.0)
    assert (row["role"], row["node"], row["attempt"], row["execution_id"]) == ("input", "n1", 2, 7)
    done = _node(NodePhase.SUCCEEDED, inputs={"f": f}, outputs={"o0": g}, cache=CacheStatus.HIT)
    rows = index_rows(7, None, [done], 1.0)
    assert [(r["role"], r["uri"], r["cache"]) for r in rows] == [
        ("input", f["uri"], "HIT"),
        ("output", "s3://bucket/p/d/e1/n1/2/outputs/b", "HIT"),  # in normal form
    ]
    assert rows[1]["uri_key"] == uri_key("s3://bucket/p/d/e1/n1/2/outputs/b")


def test_nested_blobs_count_and_what_is_not_a_blob_does_not() -> None:
    values = {
        "files": [{"uri": "file:///data/a"}, {"uri": "file:///data/b"}],
        "job": {"f": {"uri": "gs://b/c/d"}, "n": 1},
        "pickled": {"$pickle": {"uri": "s3://b/p.pkl"}},
        "bad": [{"uri": "../../etc/passwd"}, {"uri": "s3://b/%2e%2e/x"}, {"uri": 3}],
        "text": "uri",
    }
    rows = index_rows(1, None, [_node(NodePhase.SUCCEEDED, outputs=values)], 0.0)
    assert {r["uri"] for r in rows} == {
        "file:///data/a",
        "file:///data/b",
        "gs://b/c/d",
        "s3://b/p.pkl",
    }


def test_an_executions_own_inputs_and_bounds() -> None:
    spec = ExecutionSpec(
        target=Identifier(ResourceType.WORKFLOW, "p", "d", "wf", "v1"),
        inputs={"f": {"uri": "s3://b/up/x"}},
    )
    record = ExecutionRecord(id=ExecutionId("p", "d", "e"), spec=spec)
    [row] = index_rows(3, msgspec.json.encode(record).decode(), [], 0.0)
    assert (row["node"], row["role"], row["uri"]) == ("", "input", "s3://b/up/x")
    many = [{"uri": f"s3://b/x/{i}"} for i in range(MAX_URIS_PER_RECORD + 50)]
    rows = index_rows(3, None, [_node(NodePhase.SUCCEEDED, outputs={"o0": many})], 0.0)
    assert len(rows) == MAX_URIS_PER_RECORD
    deep: dict[str, object] = {"uri": "s3://b/deep"}
    for _ in range(100):
        deep = {"x": deep}
    assert index_rows(3, None, [_node(NodePhase.SUCCEEDED, outputs={"o0": deep})], 0.0) == []


def test_a_record_it_cannot_read_is_passed_over() -> None:
    broken = [("SUCCEEDED", '{"path": "n1", "uri": '), ("SUCCEEDED", '{"uri": 1}')]
    assert index_rows(1, '{"id": "uri"', broken, 0.0) == []
