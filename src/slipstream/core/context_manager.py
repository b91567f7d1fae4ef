"""flytekit's ``flytekit.core.context_manager`` module path, so that its imports move over with an import change."""

from slipstream.sdk import (
    ExecutionParameters,
    FileAccessProvider,
    FlyteContext,
    FlyteContextManager,
)

__all__ = ["ExecutionParameters", "FileAccessProvider", "FlyteContext", "FlyteContextManager"]
