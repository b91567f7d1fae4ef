"""Reading a stored table as the type a reader asks for: through a registered decoder when one
fits, else natively (pandas, polars or pyarrow, Parquet or CSV).

Used by the DataFrame codec and by ``StructuredDataset.all()``, neither of which the reading needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from slipstream.errors import LiteralTypeError
from slipstream.model import Field

from ._contract import type_name
from ._frame_io import PANDAS, frame_kind, read_frame
from ._sd_handlers import DatasetHandlers, HandlerContext, protocol_of
from ._sd_models import (
    DatasetColumn,
    DatasetLiteral,
    StructuredDatasetMetadata,
    StructuredDatasetType,
)

if TYPE_CHECKING:
    from slipstream.storage import BlobStore

__all__ = ["dataset_type", "iterate", "read_dataset"]


def dataset_type(fields: tuple[Field, ...], fmt: str) -> StructuredDatasetType:
    return StructuredDatasetType([DatasetColumn(f.name, f.type) for f in fields], fmt)


def read_dataset(
    target: Any,
    store: BlobStore | None,
    uri: str,
    fmt: str,
    fields: tuple[Field, ...],
    handlers: DatasetHandlers,
) -> Any:
    """The table at ``uri`` as a ``target`` value: through a registered decoder when one fits,
    else natively (``target`` a pandas, polars or arrow frame type; pandas when ``None``)."""
    if handlers.decoders and target is not None:
        decoder = handlers.decoder(target, protocol_of(uri), fmt)
        if decoder is not None:
            sdt = dataset_type(fields, fmt)
            meta = StructuredDatasetMetadata(sdt)
            return decoder.decode(HandlerContext(None), DatasetLiteral(uri, meta), meta)
    kind = PANDAS if target is None else frame_kind(target)
    if kind is None:
        raise LiteralTypeError(
            f"cannot open a dataset as {type_name(target)}: use pandas, polars or pyarrow, or "
            "register a StructuredDatasetDecoder for it"
        )
    return read_frame(store, uri, fmt or "parquet", fields, kind)


def iterate(value: Any) -> Iterator[Any]:
    """The frames of a decoded value: an iterator's items, or the value itself."""
    if isinstance(value, Iterator):
        yield from value
    else:
        yield value
