"""flytekit's ``flytekit.core.hash`` module path, so that its imports move over with an import change."""

from slipstream.types import HashMethod

__all__ = ["HashMethod"]
