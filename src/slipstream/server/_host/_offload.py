"""Large outputs and inputs go to the blob store; records keep their URI.

A row must not grow with the size of a run: the outputs of a 100,000-item map are one list of
100,000 literals, which belongs in the blob store, not in ``node_executions.record``; so do the
map's inputs and the workflow a ``@dynamic`` node generated with 10,000 nodes. Blobs are
named by the hash of their content, so a record saved again with the same outputs writes nothing
and nothing written is ever overwritten.
"""

from __future__ import annotations

import hashlib
from typing import Any

from slipstream.model import ExecutionId, ExecutionRecord, NodeRecord, decode, encode
from slipstream.storage import BlobStore, DataLayout, node_segment, open_store, store_for_uri

__all__ = ["Offloader", "load_inputs", "load_outputs", "load_spec"]


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


def load_spec(record: NodeRecord) -> bytes:
    """The workflow spec a ``@dynamic`` node generated (JSON), read from the blob store when
    offloaded; empty when none was recorded."""
    if record.spec or not record.spec_uri:
        return record.spec
    return store_for_uri(record.spec_uri).get_bytes(record.spec_uri)


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
        """``data`` (the encoded ``record``), or a smaller encoding with its large parts (outputs,
        inputs, a generated workflow spec) in the blob store."""
        if len(data) <= self.limit:
            return data
        changes: dict[str, Any] = {}
        parts: dict[str, bytes] = {}
        if record.outputs is not None:
            if record.outputs_uri:  # already in the blob store (the runner's file): just drop them
                changes["outputs"] = None
            else:
                parts["outputs"] = encode(record.outputs)
        if record.inputs is not None:
            parts["inputs"] = encode(record.inputs)
        if record.spec:
            if record.spec_uri:
                changes["spec"] = b""
            else:
                parts["spec"] = record.spec
        big = [f for f, b in parts.items() if len(b) > self.limit // 4]
        if not big and parts and not changes:
            big = [max(parts, key=lambda f: len(parts[f]))]
        for f in big:
            changes[f] = b"" if f == "spec" else None
            changes[f"{f}_uri"] = self._put(record.path, f, parts[f])
        if not changes:
            return data
        import msgspec

        return encode(msgspec.structs.replace(record, **changes))

    def execution(self, record: ExecutionRecord, data: bytes) -> tuple[ExecutionRecord, bytes]:
        """``record`` and its encoding, with its outputs offloaded when it is too large."""
        if len(data) <= self.limit or record.outputs is None:
            return record, data
        import msgspec

        uri = record.outputs_uri or self._put("", "outputs", encode(record.outputs))
        record = msgspec.structs.replace(record, outputs=None, outputs_uri=uri)
        return record, encode(record)

    def _put(self, path: str, what: str, data: bytes) -> str:
        store = self._blob_store()
        digest = hashlib.sha256(data).hexdigest()[:32]
        name = f"{what}-{digest}.json"
        uri = (
            store.join_uri(self._prefix, node_segment(path), name)
            if path
            else store.join_uri(self._prefix, name)
        )
        if uri not in self._written:
            store.put_bytes(uri, data)
            self._written.add(uri)
        return uri
