"""Scopes: one running instance of a workflow spec inside an execution.

The root workflow is a scope; so is every subworkflow, the workflow a ``@dynamic`` task generated and
the taken case of a branch. A scope tracks, for each of its nodes, how many upstream nodes are still
unfinished; a node whose count drops to zero is ready. Node paths are the scope's prefix plus the
node id (``n3/n0``, ``n3/dyn/n0``), so that every node made at run time has a stable, recorded
address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slipstream.model import WORKFLOW_INPUTS, Node, NodeRecord, TaskTemplate, WorkflowSpec

from ._retry import Budget

__all__ = ["NodeRun", "Scope", "Watcher", "walk"]

Watcher = Callable[["NodeRun", "dict[str, Any] | None", Any, "BaseException | None"], None]
"""``watcher(node, outputs, error, exception)``: outputs on success, else the ErrorInfo and the
task's exception when known."""


class Scope:
    """A running workflow spec."""

    __slots__ = (
        "downstream",
        "failed",
        "inherit",
        "inputs",
        "nodes",
        "open",
        "owner",
        "parent",
        "pending",
        "prefix",
        "spec",
        "tasks",
        "watcher",
    )

    def __init__(
        self,
        prefix: str,
        spec: WorkflowSpec,
        inputs: dict[str, Any],
        owner: NodeRun | None,
        parent: Scope | None,
        tasks: dict[str, TaskTemplate],
        inherit: bool = False,
    ) -> None:
        self.prefix = prefix
        self.spec = spec
        self.inputs = inputs
        self.owner = owner
        self.parent = parent
        self.tasks = tasks
        self.inherit = inherit
        """Refs to nodes this scope does not have resolve in the parent (branch cases)."""
        self.nodes: dict[str, NodeRun] = {}
        self.pending: dict[str, int] = {}
        self.downstream: dict[str, list[str]] = {}
        self.open = len(spec.nodes)
        self.failed: list[NodeRun] = []
        self.watcher: Watcher | None = None
        """Told of each node's end instead of the DAG bookkeeping: the calls an eager body made
        (nodes added one by one while the body runs, none waiting on another)."""
        for node in spec.nodes:
            self.nodes[node.id] = NodeRun(self, node, prefix + node.id)
        for node in spec.nodes:
            ups = [u for u in node.upstream if u in self.nodes]
            self.pending[node.id] = len(ups)
            for u in ups:
                self.downstream.setdefault(u, []).append(node.id)

    def ready_roots(self) -> list[NodeRun]:
        """Nodes with nothing upstream."""
        return [self.nodes[n] for n, c in self.pending.items() if c == 0]

    def lookup(self, node: str, output: str) -> Any:
        """The literal of ``output`` of ``node`` (or of a scope input when node is ``$in``)."""
        if node == WORKFLOW_INPUTS:
            return self.inputs[output]
        nr = self.nodes.get(node)
        if nr is None:
            if self.inherit and self.parent is not None:
                return self.parent.lookup(node, output)
            raise KeyError(f"unknown node {node!r} in scope {self.prefix or '(root)'}")
        outs = nr.outputs
        if outs is None:
            raise KeyError(f"node {nr.path} has no outputs (phase {nr.record.phase})")
        return outs[output]


class NodeRun:
    """A node of a scope while the execution runs: its record plus what the engine tracks."""

    __slots__ = (
        "budget",
        "child",
        "inputs",
        "item_of",
        "node",
        "outputs",
        "path",
        "record",
        "scope",
        "state",
        "task",
    )

    def __init__(self, scope: Scope, node: Node, path: str) -> None:
        self.scope = scope
        self.node = node
        self.path = path
        self.record = NodeRecord(path=path, name=node.overrides.name or "")
        self.inputs: dict[str, Any] | None = None
        self.outputs: dict[str, Any] | None = None
        self.task: TaskTemplate | None = None
        self.child: Scope | None = None
        self.state: Any = None
        """Kind-specific run state (a map's progress, a cache key...)."""
        self.budget = Budget()
        """Failures spent so far, by kind (the retry policy reads and updates it)."""
        self.item_of: tuple[NodeRun, int] | None = None
        """For a map item that runs children (a mapped ``@dynamic``): its map node and index."""


def walk(scope: Scope | None) -> list[NodeRun]:
    """Every node of ``scope`` and of the child scopes below it, parents before children."""
    out: list[NodeRun] = []
    if scope is None:
        return out
    for nr in scope.nodes.values():
        out.append(nr)
        if nr.child is not None:
            out.extend(walk(nr.child))
    return out
