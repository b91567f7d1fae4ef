"""flytekit's ``flytekit.models.literals``: the literals a custom type transformer returns."""

from slipstream.sdk import Blob, BlobMetadata, Literal, Primitive, Scalar

__all__ = ["Blob", "BlobMetadata", "Literal", "Primitive", "Scalar"]
