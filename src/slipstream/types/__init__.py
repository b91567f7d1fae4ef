"""The type engine: Python types <-> literal types, Python values <-> literals.

Also the value classes tasks exchange through the blob store: :class:`File`, :class:`Directory` and
:class:`StructuredDataset` (with :func:`kwtypes` column schemas).
"""

from ._batch import BatchSize
from ._builtins import builtin_engine
from ._contract import Codec, TypeContext, TypeTransformer
from ._directory import Directory
from ._error import WorkflowError
from ._file import File
from ._guess import guess_python_type
from ._hash_method import HashMethod
from ._hashes import fill_hashes, has_blobs, iter_blobs
from ._pickle import PickleWarning
from ._registry import TypeEngine, default_engine
from ._structured import Columns, StructuredDataset, kwtypes
from ._text import BadValue, describe_type, metavar_of, parse_duration, parse_text, parse_value

__all__ = [
    "BadValue",
    "BatchSize",
    "HashMethod",
    "Codec",
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
    "guess_python_type",
    "kwtypes",
    "metavar_of",
    "parse_duration",
    "parse_text",
    "parse_value",
]
