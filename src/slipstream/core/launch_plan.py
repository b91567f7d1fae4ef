"""flytekit's ``flytekit.core.launch_plan`` module path, so that its imports move over with an import change."""

from slipstream.sdk import LaunchPlan, reference_launch_plan

__all__ = ["LaunchPlan", "reference_launch_plan"]
