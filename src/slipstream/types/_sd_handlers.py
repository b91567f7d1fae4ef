"""Custom structured dataset handlers: encoders and decoders for any table type and format.

flytekit's extension point for tables: a :class:`StructuredDatasetEncoder` writes a Python value
(a numpy array, a custom frame class, a DataFrame in a format slipstream does not store natively)
as a blob of a given ``supported_format`` under a ``protocol`` (``file``, ``s3``...; ``None``: any),
and a :class:`StructuredDatasetDecoder` reads such a blob back as its Python type. Both are
registered on a :class:`DatasetHandlers` registry, through the
``StructuredDatasetTransformerEngine`` facade for flytekit programs (``_sd_engine``).

pandas, polars and pyarrow tables in Parquet or CSV are handled natively (no handler objects, no
lookups on the hot path); a user handler registered for one of those types and formats wins over
the native path. A registered type that no other transformer handles (a custom frame class)
becomes a dataset type: ``-> MyFrame`` and ``Annotated[MyFrame, kwtypes(...)]`` are datasets.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from slipstream.errors import ConflictError

from ._contract import TypeContext
from ._file_access import BoundFileAccess
from ._sd_models import DatasetLiteral, StructuredDatasetMetadata, StructuredDatasetType

__all__ = [
    "CSV",
    "GENERIC_FORMAT",
    "PARQUET",
    "DatasetHandlers",
    "HandlerContext",
    "StructuredDatasetDecoder",
    "StructuredDatasetEncoder",
    "default_handlers",
    "normalize_protocol",
    "protocol_of",
]

PARQUET = "parquet"
CSV = "csv"
GENERIC_FORMAT = ""

DF = TypeVar("DF")


def protocol_of(uri: str) -> str:
    """The storage protocol of a URI or path: ``file`` for local paths, else its scheme."""
    scheme, sep, _ = uri.partition("://")
    return scheme if sep and scheme != "file" else "file"


def normalize_protocol(protocol: str | None) -> str:
    return (protocol or "").removesuffix("://")


class HandlerContext:
    """What an encoder or decoder gets as ``ctx``: ``ctx.file_access`` moves data, and fresh
    remote locations are in the attempt's outputs (flytekit's ``FlyteContext`` for handlers)."""

    def __init__(self, tctx: TypeContext | None) -> None:
        self.file_access = BoundFileAccess(tctx)


class _Handler(abc.ABC, Generic[DF]):
    """What encoders and decoders share: the Python type, storage protocol and format they
    handle (``protocol=None``: every protocol; ``supported_format=None``: the generic format)."""

    def __init__(
        self,
        python_type: type[DF],
        protocol: str | None = None,
        supported_format: str | None = None,
        additional_protocols: list[str] | None = None,
    ) -> None:
        self._python_type = python_type
        self._protocol = normalize_protocol(protocol) or None
        self._supported_format = supported_format or GENERIC_FORMAT
        self._additional_protocols = [normalize_protocol(p) for p in additional_protocols or ()]

    @property
    def python_type(self) -> type[DF]:
        """The Python type handled."""
        return self._python_type

    @property
    def protocol(self) -> str | None:
        """The storage protocol (``None``: any)."""
        return self._protocol

    @property
    def supported_format(self) -> str:
        """The format (``""``: generic)."""
        return self._supported_format


class StructuredDatasetEncoder(_Handler[DF]):
    """Writes values of ``python_type`` as ``supported_format`` blobs under ``protocol``.

    Subclasses implement :meth:`encode`; ``protocol=None`` means every storage protocol and
    ``supported_format=None`` the generic format.
    """

    @abc.abstractmethod
    def encode(
        self,
        ctx: Any,
        structured_dataset: Any,
        structured_dataset_type: StructuredDatasetType,
    ) -> DatasetLiteral:
        """Write ``structured_dataset.dataframe``; the literal saying where it is."""


class StructuredDatasetDecoder(_Handler[DF]):
    """Reads ``supported_format`` blobs under ``protocol`` as values of ``python_type``.

    :meth:`decode` returns one value, or an iterator of values (read with ``sd.iter()``).
    ``current_task_metadata`` carries the columns the reading task declared: a decoder should
    read only those when any are given.
    """

    @abc.abstractmethod
    def decode(
        self,
        ctx: Any,
        flyte_value: DatasetLiteral,
        current_task_metadata: StructuredDatasetMetadata,
    ) -> DF | Iterator[DF]:
        """Read the table at ``flyte_value.uri``."""


Handler = StructuredDatasetEncoder[Any] | StructuredDatasetDecoder[Any]
_Key = tuple[type, str, str]


class DatasetHandlers:
    """The registry of encoders and decoders, keyed by (Python type, protocol, format).

    A protocol of ``""`` matches any; lookups walk the value type's MRO, so a handler for a class
    serves its subclasses. ``encoders``/``decoders`` are false while nothing is registered, which
    is all the native DataFrame path checks.
    """

    def __init__(self) -> None:
        self.encoders: dict[_Key, StructuredDatasetEncoder[Any]] = {}
        self.decoders: dict[_Key, StructuredDatasetDecoder[Any]] = {}
        self.default_formats: dict[type, str] = {}
        self.default_protocols: dict[type, str] = {}
        self.renderers: dict[type, Any] = {}
        self.dataset_types: set[type] = set()
        self._lock = threading.Lock()

    def register(
        self,
        handler: Handler,
        *,
        protocol: str | None = None,
        default_for_type: bool = False,
        override: bool = False,
        default_format_for_type: bool = False,
        default_storage_for_type: bool = False,
    ) -> None:
        """Add a handler; a second one for the same key needs ``override=True``."""
        if isinstance(handler, StructuredDatasetEncoder):
            table: dict[_Key, Any] = self.encoders
            protocols = [protocol or handler.protocol or ""]
            role = "an encoder"
        elif isinstance(handler, StructuredDatasetDecoder):
            table = self.decoders
            role = "a decoder"
            protocols = [protocol or handler.protocol or "", *handler._additional_protocols]
        else:
            raise TypeError(
                "register takes a StructuredDatasetEncoder or StructuredDatasetDecoder, "
                f"got {handler!r}"
            )
        tp, fmt = handler.python_type, handler.supported_format
        with self._lock:
            keys = [(tp, normalize_protocol(p), fmt) for p in protocols]
            for key in keys:
                have = table.get(key)
                if have is not None and have is not handler and not override:
                    raise ConflictError(
                        f"{role} for {tp.__name__} in format {fmt or 'generic'!r} under protocol "
                        f"{key[1] or 'any'!r} is already registered ({type(have).__name__}); "
                        "pass override=True to replace it"
                    )
            for key in keys:
                table[key] = handler
            if default_for_type or default_format_for_type or tp not in self.default_formats:
                self.default_formats[tp] = fmt
            if (default_for_type or default_storage_for_type) and protocols[0]:
                self.default_protocols[tp] = normalize_protocol(protocols[0])

    def _find(self, table: dict[_Key, Any], tp: type, protocol: str, fmt: str) -> Any:
        for t in getattr(tp, "__mro__", (tp,)):
            f = fmt or self.default_formats.get(t, GENERIC_FORMAT)
            for key in ((t, protocol, f), (t, "", f)):
                h = table.get(key)
                if h is not None:
                    return h
            if not fmt:  # the generic format: any handler of this type
                for (ht, hp, _), h in table.items():
                    if ht is t and hp in ("", protocol):
                        return h
        return None

    def encoder(self, tp: type, protocol: str, fmt: str) -> StructuredDatasetEncoder[Any] | None:
        """The encoder for ``tp`` under ``protocol`` in ``fmt`` (``""``: the type's default)."""
        if not self.encoders:
            return None
        found: StructuredDatasetEncoder[Any] | None = self._find(self.encoders, tp, protocol, fmt)
        return found

    def decoder(self, tp: Any, protocol: str, fmt: str) -> StructuredDatasetDecoder[Any] | None:
        """The decoder to ``tp`` from ``fmt`` blobs under ``protocol``."""
        if not self.decoders or not isinstance(tp, type):
            return None
        found: StructuredDatasetDecoder[Any] | None = self._find(self.decoders, tp, protocol, fmt)
        return found

    def claims(self, tp: Any) -> bool:
        """Whether ``tp`` (or a base class) was made a dataset type by registering a handler."""
        if not self.dataset_types or not isinstance(tp, type):
            return False
        return any(t in self.dataset_types for t in tp.__mro__)


_default = DatasetHandlers()


def default_handlers() -> DatasetHandlers:
    """The process-wide handler registry (the one the default type engine uses)."""
    return _default
