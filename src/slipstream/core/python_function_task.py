"""flytekit's ``flytekit.core.python_function_task`` module path, so that its imports move over with an import change."""

from slipstream.sdk import PythonTask

__all__ = ["PythonFunctionTask"]

PythonFunctionTask = PythonTask
