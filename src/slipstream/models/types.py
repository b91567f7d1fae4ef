"""flytekit's ``flytekit.models.types``: ``LiteralType`` and ``SimpleType``."""

from slipstream.sdk import FlyteLiteralType, SimpleType

__all__ = ["LiteralType", "SimpleType"]

LiteralType = FlyteLiteralType
