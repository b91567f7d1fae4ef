"""flytekit's ``flytekit.models.types``: ``LiteralType``, ``SimpleType`` and
``StructuredDatasetType`` (a dataset's columns and format)."""

from slipstream.sdk import FlyteLiteralType, SimpleType
from slipstream.types import StructuredDatasetType

__all__ = ["LiteralType", "SimpleType", "StructuredDatasetType"]

LiteralType = FlyteLiteralType
