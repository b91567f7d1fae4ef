"""flytekit's ``flytekit.core.base_task`` module path, so that its imports move over with an import change."""

from slipstream.sdk import CustomTask, Interface, TaskMetadata
from slipstream.types import kwtypes

__all__ = ["Interface", "PythonTask", "TaskMetadata", "kwtypes"]

PythonTask = CustomTask
