"""Finding the blobs (files, directories, DataFrames, arrays, pickles) inside literal maps.

The cache keys on blob contents, so blobs without a content hash get one before a key is made; a
cached output whose blobs are gone is a miss.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slipstream.model import Interface, Kind, LiteralType

__all__ = ["blobs", "blobs_exist", "fill_hashes"]

_BLOB_KINDS = frozenset({Kind.FILE, Kind.DIR, Kind.DATASET, Kind.NDARRAY, Kind.PICKLE})


def _has_blobs(t: LiteralType) -> bool:
    if t.kind in _BLOB_KINDS:
        return True
    return any(_has_blobs(a) for a in t.args) or any(_has_blobs(f.type) for f in t.fields)


def blobs(value: Any, t: LiteralType) -> Iterator[dict[str, Any]]:
    """Every blob literal (a dict with ``uri``) in ``value`` of type ``t``."""
    if value is None:
        return
    k = t.kind
    if k in _BLOB_KINDS:
        if isinstance(value, dict) and value.get("uri"):
            yield value
    elif k is Kind.LIST:
        for v in value:
            yield from blobs(v, t.args[0])
    elif k is Kind.DICT:
        for v in value.values():
            yield from blobs(v, t.args[1])
    elif k is Kind.UNION:
        tag = value.get("$u") if isinstance(value, dict) else None
        for a in t.args:
            if a.tag == tag:
                yield from blobs(value.get("v"), a)
    elif k is Kind.STRUCT:
        for f in t.fields:
            if isinstance(value, dict) and f.name in value:
                yield from blobs(value[f.name], f.type)


def fill_hashes(literals: dict[str, Any], iface: Interface, store_url: str) -> None:
    """Give every blob among ``literals`` (the inputs of ``iface``) its content hash, in place."""
    for var in iface.inputs:
        if var.name not in literals or not _has_blobs(var.type):
            continue
        for blob in blobs(literals[var.name], var.type):
            if not blob.get("hash"):
                from slipstream.storage import hash_uri, open_store

                uri = blob["uri"]
                blob["hash"] = hash_uri(open_store(uri), uri)


def blobs_exist(outputs: dict[str, Any], iface: Interface) -> bool:
    """Whether every blob that ``outputs`` references is still there."""
    for var in iface.outputs:
        if var.name not in outputs or not _has_blobs(var.type):
            continue
        for blob in blobs(outputs[var.name], var.type):
            from slipstream.storage import open_store

            uri = blob["uri"]
            if not open_store(uri).exists(uri):
                return False
    return True
