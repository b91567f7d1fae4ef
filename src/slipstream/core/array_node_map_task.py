"""flytekit's ``flytekit.core.array_node_map_task`` module path, so that its imports move over with an import change."""

from slipstream.sdk import MapTask, map_task

__all__ = ["MapTask", "map_task"]
