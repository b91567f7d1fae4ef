"""flytekit's ``flytekit.core.condition`` module path, so that its imports move over with an import change."""

from slipstream.sdk import conditional

__all__ = ["conditional"]
