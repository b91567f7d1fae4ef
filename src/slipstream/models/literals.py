"""flytekit's ``flytekit.models.literals``: the literals a custom type transformer returns, and
the dataset literal (``StructuredDataset``, ``StructuredDatasetMetadata``) a dataset encoder
returns."""

from slipstream.sdk import Blob, BlobMetadata, Literal, Primitive, Scalar
from slipstream.types import DatasetLiteral, StructuredDatasetMetadata

__all__ = [
    "Blob",
    "BlobMetadata",
    "Literal",
    "Primitive",
    "Scalar",
    "StructuredDataset",
    "StructuredDatasetMetadata",
]

StructuredDataset = DatasetLiteral
