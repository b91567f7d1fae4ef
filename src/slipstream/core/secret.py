"""flytekit's ``flytekit.core.secret`` module path, so that its imports move over with an import change."""

from slipstream.sdk import Secret

__all__ = ["Secret"]
