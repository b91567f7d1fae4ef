"""flytekit's ``flytekit.core.dynamic_workflow_task`` module path, so that its imports move over with an import change."""

from slipstream.sdk import dynamic

__all__ = ["dynamic"]
