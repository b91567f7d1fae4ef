"""An execution that moved to another cluster: which of its recorded outputs this host can read.

A failover resumes an execution on the next cluster of its route from the recorded nodes. Outputs
the dead cluster kept in its own store are readable there only when the stores are shared (one
bucket, or buckets the hosts of the route may all read). A finished node whose outputs this host
cannot read is not adopted: it runs again, and an ``outputs_unreadable`` event of the execution
says which blob could not be read from which cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from slipstream.model import NodePhase, NodeRecord
from slipstream.storage import store_for_uri

__all__ = ["UNREADABLE_EVENT", "unreadable_outputs"]

log = logging.getLogger("slipstream.engine_host")

UNREADABLE_EVENT = "outputs_unreadable"
_SCHEMES = ("file://", "s3://", "gs://", "gcs://", "az://", "abfs://", "memory://")


def unreadable_outputs(nodes: Iterable[NodeRecord]) -> dict[str, str]:
    """Path -> the first blob URI this host cannot read, for each finished node whose outputs
    (offloaded, or blobs they name) are out of its reach."""
    out: dict[str, str] = {}
    seen: dict[str, bool] = {}
    for rec in nodes:
        if rec.phase is not NodePhase.SUCCEEDED:
            continue
        uris = [rec.outputs_uri] if rec.outputs_uri else []
        uris.extend(_blob_uris(rec.outputs))
        for uri in uris:
            ok = seen.get(uri)
            if ok is None:
                ok = seen[uri] = _readable(uri)
            if not ok:
                out[rec.path] = uri
                break
    return out


def _readable(uri: str) -> bool:
    try:
        return bool(store_for_uri(uri).exists(uri))
    except Exception as e:  # a store this host has no access to (no credentials, no such bucket)
        log.warning("cannot read %s from this cluster: %s", uri, e)
        return False


def _blob_uris(value: Any, depth: int = 0) -> Iterator[str]:
    """URIs of blob literals (``{"uri": "s3://..."}``) inside a literal."""
    if depth > 100:
        return
    if isinstance(value, dict):
        uri = value.get("uri")
        if isinstance(uri, str) and uri.startswith(_SCHEMES):
            yield uri
            return
        for v in value.values():
            yield from _blob_uris(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _blob_uris(v, depth + 1)
