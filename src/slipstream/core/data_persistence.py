"""flytekit's ``flytekit.core.data_persistence`` module path, so that its imports move over with an import change."""

from slipstream.sdk import FileAccessProvider

__all__ = ["FileAccessProvider"]
