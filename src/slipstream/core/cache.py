"""flytekit's ``flytekit.core.cache`` module path, so that its imports move over with an import change."""

from slipstream.sdk import Cache

__all__ = ["Cache"]
