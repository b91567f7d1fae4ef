"""JSON encoding of the model and of literals; the canonical hash of literals.

One encoder and decoders cached per type: encoding and decoding are on the hot path of every task.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

import msgspec

__all__ = ["decode", "encode", "hash_literals", "to_builtins"]

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_sorted_encoder = msgspec.json.Encoder(order="sorted")


def encode(obj: Any) -> bytes:
    """Encode a model struct or a literal tree as JSON bytes."""
    return _encoder.encode(obj)


@lru_cache(maxsize=256)
def _decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(tp)


def decode(data: bytes | str, tp: type[T]) -> T:
    """Decode JSON into ``tp`` (a model struct or ``Any`` for literals), validating it."""
    decoder: msgspec.json.Decoder[T] = _decoder(tp)  # type: ignore[arg-type]
    return decoder.decode(data)


def to_builtins(obj: Any) -> Any:
    """A struct as plain dicts and lists (for the API and the console)."""
    return msgspec.to_builtins(obj)


def hash_literals(literals: Any) -> str:
    """A stable content hash of a literal tree (keys sorted): the cache keys on it."""
    import hashlib

    return hashlib.sha256(_sorted_encoder.encode(literals)).hexdigest()
