"""flytekit's ``flytekit.core.promise`` module path, so that its imports move over with an import change."""

from slipstream.sdk import Promise

__all__ = ["Promise"]
