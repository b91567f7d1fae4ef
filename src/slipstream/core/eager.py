"""flytekit's ``flytekit.core.eager`` module path, so that its imports move over with an import change."""

from slipstream.sdk import eager

__all__ = ["eager"]
