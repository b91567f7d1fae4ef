"""Large outputs and inputs go to the blob store; records keep their URI.

A row must not grow with the size of a run: the outputs of a 100,000-item map are one list of
100,000 literals, which belongs in the blob store, not in ``node_executions.record``. Blobs are
named by the hash of their content, so a record saved again with the same outputs writes nothing
and nothing written is ever overwritten.
"""

from __future__ import annotations

import hashlib
from typing import Any

from slipstream.model import ExecutionId, ExecutionRecord, NodeRecord, decode, encode
from slipstream.storage import BlobStore, DataLayout, node_segment, open_store, store_for_uri

__all__ = ["Offloader", "load_inputs", "load_outputs"]


def load_outputs(record: NodeRecord | ExecutionRecord) -> dict[str, Any]:
    """The outputs of a node or execution record, read from the blob store when offloaded."""
    if record.outputs is not None:
        return record.outputs
    if record.outputs_uri:
        return _read(record.outputs_uri)
    return {}


def load_inputs(record: NodeRecord) -> dict[str, Any]:
    """The inputs of a node record, read from the blob store when offloaded."""
    if record.inputs is not None:
        return record.inputs
    if record.inputs_uri:
        return _read(record.inputs_uri)
    return {}


def _read(uri: str) -> dict[str, Any]:
    out: dict[str, Any] = decode(store_for_uri(uri).get_bytes(uri), dict[str, Any])
    return out


class Offloader:
    """Writes the literals of one execution's records to its prefix in the blob store."""

    def __init__(self, blob_store_url: str, execution: ExecutionId, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"offload_bytes must be >= 0, got {limit}")
        self.limit = limit
        self._url = blob_store_url
        self._execution = execution
        self._store: BlobStore | None = None
        self._prefix = ""
        self._written: set[str] = set()

    def _blob_store(self) -> BlobStore:
        if self._store is None:
            self._store = open_store(self._url)
            e = self._execution
            self._prefix = DataLayout(self._store).execution_prefix(e.project, e.domain, e.name)
        return self._store

    def node(self, record: NodeRecord, data: bytes) -> bytes:
        """``data`` (the encoded ``record``), or a smaller encoding with literals offloaded."""
        if len(data) <= self.limit:
            return data
        changes: dict[str, Any] = {}
        if record.outputs is not None:
            changes.update(outputs=None, outputs_uri=record.outputs_uri)
            if not record.outputs_uri:  # not already in the blob store (the runner's file)
                changes["outputs_uri"] = self._put(record.path, "outputs", record.outputs)
        if record.inputs is not None:
            small = encode(record.inputs)
            if len(small) > self.limit // 4 or not changes:
                changes.update(
                    inputs=None, inputs_uri=self._put(record.path, "inputs", record.inputs, small)
                )
        if not changes:
            return data
        import msgspec

        return encode(msgspec.structs.replace(record, **changes))

    def execution(self, record: ExecutionRecord, data: bytes) -> tuple[ExecutionRecord, bytes]:
        """``record`` and its encoding, with its outputs offloaded when it is too large."""
        if len(data) <= self.limit or record.outputs is None:
            return record, data
        import msgspec

        uri = record.outputs_uri or self._put("", "outputs", record.outputs)
        record = msgspec.structs.replace(record, outputs=None, outputs_uri=uri)
        return record, encode(record)

    def _put(self, path: str, what: str, literals: Any, data: bytes | None = None) -> str:
        store = self._blob_store()
        data = encode(literals) if data is None else data
        digest = hashlib.sha256(data).hexdigest()[:32]
        parts = (
            (node_segment(path), f"{what}-{digest}.json") if path else (f"{what}-{digest}.json",)
        )
        uri = store.join_uri(self._prefix, *parts)
        if uri not in self._written:
            store.put_bytes(uri, data)
            self._written.add(uri)
        return uri
