"""flytekit's ``flytekit.core.reference_entity`` module path, so that its imports move over with an import change."""

from slipstream.sdk import reference_launch_plan, reference_task, reference_workflow

__all__ = ["reference_launch_plan", "reference_task", "reference_workflow"]
