"""flytekit's ``flytekit.core.resources`` module path, so that its imports move over with an import change."""

from slipstream.sdk import Resources

__all__ = ["Resources"]
