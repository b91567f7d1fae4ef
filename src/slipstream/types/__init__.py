"""The type engine: Python types <-> literal types, Python values <-> literals.

Also the value classes tasks exchange through the blob store: :class:`File`, :class:`Directory` and
:class:`StructuredDataset` (with :func:`kwtypes` column schemas), and the encoders and decoders
that store other table types and formats (loaded on first use).
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._batch import BatchSize
from ._builtins import builtin_engine, default_engine
from ._columns import Columns, kwtypes
from ._contract import Codec, CodecSource, TypeContext, TypeTransformer
from ._directory import Directory
from ._error import WorkflowError
from ._file import File
from ._file_access import BoundFileAccess, FileAccessProvider
from ._guess import guess_python_type
from ._hash_method import HashMethod
from ._hashes import fill_hashes, has_blobs, iter_blobs, iter_typed_blobs
from ._pickle import PickleWarning
from ._registry import TypeEngine
from ._structured import StructuredDataset
from ._text import BadValue, describe_type, metavar_of, parse_duration, parse_text, parse_value

if TYPE_CHECKING:
    from ._sd_engine import StructuredDatasetTransformerEngine
    from ._sd_handlers import DatasetHandlers, StructuredDatasetDecoder, StructuredDatasetEncoder
    from ._sd_models import DatasetLiteral, StructuredDatasetMetadata, StructuredDatasetType

# custom dataset handlers: loaded on first use
_LAZY = {
    "DatasetHandlers": "._sd_handlers",
    "StructuredDatasetDecoder": "._sd_handlers",
    "StructuredDatasetEncoder": "._sd_handlers",
    "StructuredDatasetTransformerEngine": "._sd_engine",
    "DatasetLiteral": "._sd_models",
    "StructuredDatasetMetadata": "._sd_models",
    "StructuredDatasetType": "._sd_models",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BadValue",
    "BatchSize",
    "BoundFileAccess",
    "DatasetHandlers",
    "DatasetLiteral",
    "FileAccessProvider",
    "StructuredDatasetDecoder",
    "StructuredDatasetEncoder",
    "StructuredDatasetMetadata",
    "StructuredDatasetTransformerEngine",
    "StructuredDatasetType",
    "HashMethod",
    "Codec",
    "CodecSource",
    "Columns",
    "Directory",
    "File",
    "PickleWarning",
    "StructuredDataset",
    "TypeContext",
    "TypeEngine",
    "TypeTransformer",
    "WorkflowError",
    "builtin_engine",
    "default_engine",
    "describe_type",
    "fill_hashes",
    "has_blobs",
    "iter_blobs",
    "iter_typed_blobs",
    "guess_python_type",
    "kwtypes",
    "metavar_of",
    "parse_duration",
    "parse_text",
    "parse_value",
]
