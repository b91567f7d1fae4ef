"""flytekit's ``flytekit.core.gate`` module path, so that its imports move over with an import change."""

from slipstream.sdk import approve, sleep, wait_for_input

__all__ = ["approve", "sleep", "wait_for_input"]
