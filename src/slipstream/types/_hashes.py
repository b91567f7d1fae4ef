"""Finding the blobs a literal tree references, and filling in their content hashes.

Blob literals (files, directories, datasets, arrays, pickles) carry ``hash`` only when it was free
to compute. Before keying its cache on input literals the engine calls :func:`fill_hashes`, so the
cache keys on the contents of blobs and not on the paths where they happen to live; before trusting
a cached output it checks with :func:`iter_blobs` that every blob is still there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slipstream.model import Kind, LiteralType
from slipstream.storage import BlobStore, hash_uri, store_for_uri

from ._collections import PICKLE_MARKER

__all__ = ["fill_hashes", "has_blobs", "iter_blobs", "iter_typed_blobs"]

_BLOB_KINDS = frozenset({Kind.FILE, Kind.DIR, Kind.DATASET, Kind.NDARRAY, Kind.PICKLE})
_PICKLE = LiteralType(Kind.PICKLE)


def has_blobs(literal_type: LiteralType) -> bool:
    """Whether values of ``literal_type`` may reference blobs (cheap pre-check)."""
    k = literal_type.kind
    if k in _BLOB_KINDS or k is Kind.ANY:
        return True
    return any(has_blobs(a) for a in literal_type.args) or any(
        has_blobs(f.type) for f in literal_type.fields
    )


def iter_blobs(literal: Any, literal_type: LiteralType) -> Iterator[dict[str, Any]]:
    """Every blob literal (a dict with a ``uri``) inside ``literal`` of type ``literal_type``."""
    for blob, _ in iter_typed_blobs(literal, literal_type):
        yield blob


def iter_typed_blobs(
    literal: Any, literal_type: LiteralType
) -> Iterator[tuple[dict[str, Any], LiteralType]]:
    """Every blob literal inside ``literal``, with its literal type there (the ``$pickle`` of a
    bare ``list``/``dict`` has kind pickle): what a reader needs to know how it will be loaded."""
    if literal is None:
        return
    k = literal_type.kind
    if k in _BLOB_KINDS:
        if type(literal) is dict and type(literal.get("uri")) is str:
            yield literal, literal_type
    elif k is Kind.LIST:
        if type(literal) is list:
            for item in literal:
                yield from iter_typed_blobs(item, literal_type.args[0])
    elif k is Kind.DICT:
        if type(literal) is dict:
            for v in literal.values():
                yield from iter_typed_blobs(v, literal_type.args[1])
    elif k is Kind.STRUCT:
        if type(literal) is dict:
            for f in literal_type.fields:
                if f.name in literal:
                    yield from iter_typed_blobs(literal[f.name], f.type)
    elif k is Kind.UNION:
        if type(literal) is dict:
            tag = literal.get("$u")
            for variant in literal_type.args:
                if variant.tag == tag:
                    yield from iter_typed_blobs(literal.get("v"), variant)
                    break
    elif k is Kind.ANY and type(literal) is dict and PICKLE_MARKER in literal:
        yield from iter_typed_blobs(literal[PICKLE_MARKER], _PICKLE)


def fill_hashes(literal: Any, literal_type: LiteralType, store: BlobStore) -> Any:
    """Set the missing ``hash`` of every blob literal in ``literal`` (in place); return it.

    ``store`` reads the blobs it owns; other URIs are read through a store for their scheme.
    """
    for blob in iter_blobs(literal, literal_type):
        if "hash" not in blob:
            uri = blob["uri"]
            blob["hash"] = hash_uri(store if store.owns(uri) else store_for_uri(uri), uri)
    return literal
