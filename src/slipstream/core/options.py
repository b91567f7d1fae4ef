"""flytekit's ``flytekit.core.options`` module path, so that its imports move over with an import change."""

from slipstream.sdk import Annotations, Labels

__all__ = ["Annotations", "Labels"]
