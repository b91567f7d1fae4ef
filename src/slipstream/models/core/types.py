"""flytekit's ``flytekit.models.core.types``: ``BlobType``."""

from slipstream.sdk import BlobType

__all__ = ["BlobType"]
