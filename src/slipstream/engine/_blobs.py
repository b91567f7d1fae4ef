"""The engine's use of blobs: hash inputs before keying the cache, check cached outputs exist,
read outputs a worker offloaded to the blob store."""

from __future__ import annotations

from typing import Any

from slipstream.model import Interface, decode
from slipstream.storage import open_store, store_for_uri
from slipstream.types import fill_hashes as _fill
from slipstream.types import has_blobs, iter_blobs

__all__ = ["blobs_exist", "fill_hashes", "read_outputs"]


def fill_hashes(literals: dict[str, Any], iface: Interface, store_url: str) -> None:
    """Give every blob among ``literals`` (inputs of ``iface``) its content hash, in place."""
    store = None
    for var in iface.inputs:
        if var.name in literals and has_blobs(var.type):
            store = store or open_store(store_url)
            _fill(literals[var.name], var.type, store)


def blobs_exist(outputs: dict[str, Any], iface: Interface) -> bool:
    """Whether every blob that cached ``outputs`` reference is still there."""
    for var in iface.outputs:
        if var.name in outputs and has_blobs(var.type):
            for blob in iter_blobs(outputs[var.name], var.type):
                uri = blob["uri"]
                if not store_for_uri(uri).exists(uri):
                    return False
    return True


def read_outputs(uri: str) -> dict[str, Any]:
    """The outputs offloaded to the blob store at ``uri`` (a result or record's ``outputs_uri``:
    too large to travel inline)."""
    return decode(store_for_uri(uri).get_bytes(uri), dict[str, Any])
