"""flytekit's ``flytekit.extend.context_manager`` module path."""

from slipstream.sdk import ExecutionParameters, FlyteContext, FlyteContextManager

__all__ = ["ExecutionParameters", "FlyteContext", "FlyteContextManager"]
