"""The built-in transformers, in the order they are asked, and the process-wide engine made of them.

Transformers for pydantic, DataFrames (Spark's too) and numpy are registered lazily: their modules are imported
the first time no eager transformer handles a type, and even then they only recognise classes of
libraries the user already imported, so ``import slipstream.types`` imports no heavy library.
"""

from __future__ import annotations

import threading

from ._annotated import AnnotatedTransformer
from ._collections import CollectionTransformer
from ._contract import TypeTransformer
from ._enum import EnumTransformer
from ._paths import PathTransformer
from ._pickle import PickleTransformer
from ._primitives import PrimitiveTransformer
from ._registry import TypeEngine
from ._scalars import ScalarTransformer
from ._structs import DataclassTransformer, NamedTupleTransformer
from ._union import UnionTransformer

__all__ = ["builtin_engine", "default_engine"]


def _pydantic() -> TypeTransformer:
    from ._pydantic import PydanticTransformer

    return PydanticTransformer()


def _dataframe() -> TypeTransformer:
    from ._dataframe import DataFrameTransformer

    return DataFrameTransformer()


def _spark() -> TypeTransformer:
    from ._spark import SparkDataFrameTransformer

    return SparkDataFrameTransformer()


def _ndarray() -> TypeTransformer:
    from ._ndarray import NdarrayTransformer

    return NdarrayTransformer()


def builtin_engine() -> TypeEngine:
    """A new engine with every built-in transformer registered."""
    engine = TypeEngine(
        [
            PrimitiveTransformer(),
            ScalarTransformer(),
            UnionTransformer(),
            CollectionTransformer(),
            AnnotatedTransformer(),
            EnumTransformer(),
            PathTransformer(),
            DataclassTransformer(),
            NamedTupleTransformer(),
        ]
    )
    engine.register_lazy(_dataframe)
    engine.register_lazy(_pydantic)
    engine.register_lazy(_ndarray)
    engine.register_lazy(_spark)
    engine.set_fallback(PickleTransformer())
    return engine


_default: TypeEngine | None = None
_default_lock = threading.Lock()


def default_engine() -> TypeEngine:
    """The process-wide engine with the built-in transformers (built on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = builtin_engine()
    return _default
