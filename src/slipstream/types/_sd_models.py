"""flytekit's structured dataset model classes, as custom encoders and decoders see them.

A handler receives and returns these rather than slipstream's JSON literals: a
:class:`DatasetLiteral` (flytekit's ``models.literals.StructuredDataset``) says where the table is
and, through its :class:`StructuredDatasetMetadata`, in which format and with which columns; a
:class:`StructuredDatasetType` is the declared type (``columns`` and ``format``). The dataset
codec converts between them and ``{"uri": ..., "format": ...}`` literals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DatasetColumn", "DatasetLiteral", "StructuredDatasetMetadata", "StructuredDatasetType"]


@dataclass(frozen=True)
class DatasetColumn:
    """One declared column: its name and literal type."""

    name: str
    literal_type: Any = None


@dataclass(frozen=True)
class StructuredDatasetType:
    """A dataset's declared type: the columns a task reads or writes (empty: all) and the storage
    format (``""``: the default of the Python type, Parquet for DataFrames)."""

    columns: list[DatasetColumn] = field(default_factory=list)
    format: str = ""
    external_schema_type: str | None = None
    external_schema_bytes: bytes | None = None

    DatasetColumn = DatasetColumn

    @property
    def column_names(self) -> list[str]:
        """The declared column names, in order."""
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class StructuredDatasetMetadata:
    """What a dataset literal says about its table (its type: format and columns)."""

    structured_dataset_type: StructuredDatasetType | None = None


@dataclass(frozen=True)
class DatasetLiteral:
    """A stored table as an encoder returns it and a decoder receives it: ``uri`` and metadata
    (flytekit's ``models.literals.StructuredDataset``)."""

    uri: str
    metadata: StructuredDatasetMetadata | None = None

    @property
    def format(self) -> str:
        """The storage format the metadata names (``""`` when it names none)."""
        sdt = self.metadata.structured_dataset_type if self.metadata is not None else None
        return sdt.format if sdt is not None else ""
