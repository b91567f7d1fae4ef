"""Filling in the content hashes of every blob a literal tree references.

Blob literals (files, directories, datasets, arrays, pickles) carry ``hash`` only when it was free
to compute. Before keying its cache on input literals the engine calls :func:`fill_hashes`, so the
cache keys on the contents of blobs and not on the paths where they happen to live.
"""

from __future__ import annotations

from typing import Any

from slipstream.model import Kind, LiteralType
from slipstream.storage import BlobStore, hash_uri, store_for_uri

from ._collections import PICKLE_MARKER

__all__ = ["fill_hashes"]

_BLOB_KINDS = frozenset({Kind.FILE, Kind.DIR, Kind.DATASET, Kind.NDARRAY, Kind.PICKLE})


def fill_hashes(literal: Any, literal_type: LiteralType, store: BlobStore) -> Any:
    """Set the missing ``hash`` of every blob literal in ``literal`` (in place); return it.

    ``store`` reads the blobs it owns; other URIs are read through a store for their scheme.
    """
    k = literal_type.kind
    if literal is None:
        return literal
    if k in _BLOB_KINDS:
        if type(literal) is dict and "hash" not in literal and type(literal.get("uri")) is str:
            uri = literal["uri"]
            literal["hash"] = hash_uri(store if store.owns(uri) else store_for_uri(uri), uri)
    elif k is Kind.LIST:
        if type(literal) is list:
            for item in literal:
                fill_hashes(item, literal_type.args[0], store)
    elif k is Kind.DICT:
        if type(literal) is dict:
            for v in literal.values():
                fill_hashes(v, literal_type.args[1], store)
    elif k is Kind.STRUCT:
        if type(literal) is dict:
            for f in literal_type.fields:
                if f.name in literal:
                    fill_hashes(literal[f.name], f.type, store)
    elif k is Kind.UNION:
        if type(literal) is dict:
            tag = literal.get("$u")
            for variant in literal_type.args:
                if variant.tag == tag:
                    fill_hashes(literal.get("v"), variant, store)
                    break
    elif k is Kind.ANY and type(literal) is dict and PICKLE_MARKER in literal:
        fill_hashes(literal[PICKLE_MARKER], LiteralType(Kind.PICKLE), store)
    return literal
