"""flytekit's ``flytekit.core.interface`` module path, so that its imports move over with an import change."""

from slipstream.sdk import Interface

__all__ = ["Interface"]
