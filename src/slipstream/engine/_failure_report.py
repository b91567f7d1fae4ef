"""How a failed execution is raised to whoever ran it: the task's own exception when known.

The task's exception keeps its class; as flytekit does locally, its message is prefixed with the
task and the node (when the exception's message is its one string argument), and a note names the
node and the execution either way. Without one, the error becomes an
:class:`~slipstream.errors.ExecutionFailedError` (a conditional's ``else_().fail()`` a
:class:`~slipstream.errors.BranchFailedError`, which is also a ``ValueError``).
"""

from __future__ import annotations

from slipstream.errors import BranchFailedError, ExecutionFailedError, FailureCode
from slipstream.model import ErrorInfo, ExecutionId

from ._scope import Scope, walk

__all__ = ["failure_exception"]


def failure_exception(
    execution: ExecutionId,
    err: ErrorInfo | None,
    exc: BaseException | None,
    root: Scope | None,
) -> BaseException:
    """The exception to raise for a failed execution: ``exc`` (the failed task's exception) with
    its message and note, or else an error made of ``err``; ``root`` is the execution's root
    scope, where the failed node's task is looked up.

    It is returned, not raised, so that the caller's ``raise`` is the one frame above the task's.
    """
    if exc is not None:
        node = err.node if err else ""
        where = _where(node, _task_of(root, node))
        _prefix_message(exc, where)
        note = f"in node {node or '?'} of execution {execution}"
        if note not in getattr(exc, "__notes__", ()):
            exc.add_note(note)
        return exc
    cls = BranchFailedError if err is not None and err.code == FailureCode.BRANCH_FAILED else None
    return (cls or ExecutionFailedError)(
        f"execution {execution} failed"
        + (f" at node {err.node}" if err and err.node else "")
        + (f": {err.message}" if err else ""),
        node=err.node if err else None,
        error=err,
    )


def _task_of(root: Scope | None, path: str) -> str:
    """The task name recorded for the node at ``path`` ("" when none)."""
    if not path:
        return ""
    for nr in walk(root):
        if nr.path == path:
            return nr.record.task
    return ""


def _where(node: str, task: str) -> str:
    if task and node:
        return f"task {task} (node {node})"
    return f"task {task}" if task else (f"node {node}" if node else "")


def _prefix_message(exc: BaseException, where: str) -> None:
    """Prefix ``exc``'s message with ``where`` when its message is its one string argument."""
    args = exc.args
    if (
        not where
        or type(exc).__str__ is not BaseException.__str__
        or len(args) != 1
        or not isinstance(args[0], str)
        or args[0].startswith(f"{where}: ")
    ):
        return
    exc.args = (f"{where}: {args[0]}",)
