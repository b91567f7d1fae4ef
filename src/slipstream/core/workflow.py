"""flytekit's ``flytekit.core.workflow`` module path, so that its imports move over with an import change."""

from slipstream.sdk import (
    PythonWorkflow,
    Workflow,
    WorkflowFailurePolicy,
    reference_workflow,
    workflow,
)

__all__ = [
    "ImperativeWorkflow",
    "PythonFunctionWorkflow",
    "WorkflowFailurePolicy",
    "reference_workflow",
    "workflow",
]

PythonFunctionWorkflow = PythonWorkflow
ImperativeWorkflow = Workflow
