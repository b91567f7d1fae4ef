"""``conditional``: branch a workflow on values known only when it runs.

    x = (
        conditional("size")
        .if_(n < 10).then(small(n=n))
        .elif_((n >= 10) & (n < 100)).then(medium(n=n))
        .else_().then(large(n=n))
    )

Each ``then(...)`` receives the call made inside it; the builder sets that call's node aside as the
case's node instead of adding it to the workflow. When the chain ends (``else_().then`` or
``else_().fail``), one branch node is added whose outputs are the cases' outputs, which must agree.
"""

from __future__ import annotations

import datetime
from typing import Any

from slipstream.errors import CompileError
from slipstream.model import (
    BranchCase,
    BranchNode,
    Comparison,
    Conjunction,
    Interface,
    Operand,
)
from slipstream.model import (
    Condition as ModelCondition,
)

from ._compiler import NodeDraft, WorkflowBuilder, current_builder
from ._location import caller_location
from ._promise import Comparison as PromiseComparison
from ._promise import Condition, NodeOutput, Promise
from ._promise import Conjunction as PromiseConjunction
from ._signature import PyInterface

__all__ = ["ConditionalSection", "conditional"]


class ConditionalSection:
    """A conditional being built. Returned by :func:`conditional`."""

    def __init__(self, name: str) -> None:
        builder = current_builder()
        self.location = caller_location()
        if builder is None:
            raise CompileError(
                f"conditional {name!r} can only be used inside a workflow or dynamic body",
                location=self.location,
            )
        self.name = name
        self.builder: WorkflowBuilder = builder
        self.cases: list[tuple[Condition | None, NodeDraft | None, str | None]] = []
        self._condition: Condition | None = None
        self._expect: str = "if_"
        self._mark = 0
        self._else = False
        builder.open_sections.append(self)

    def _need(self, step: str) -> None:
        if step not in self._expect.split("|"):
            raise CompileError(
                f"conditional {self.name!r}: {step}() cannot follow here (expected "
                f"{' or '.join(s + '()' for s in self._expect.split('|'))})",
                location=caller_location(),
            )

    def if_(self, condition: Condition) -> ConditionalSection:
        """The first case."""
        self._need("if_")
        return self._open(condition)

    def elif_(self, condition: Condition) -> ConditionalSection:
        """Another case, tried when the ones before did not hold."""
        self._need("elif_")
        return self._open(condition)

    def else_(self) -> ConditionalSection:
        """The case taken when no condition held."""
        self._need("else_")
        self._condition = None
        self._else = True
        self._expect = "then|fail"
        self._mark = len(self.builder.nodes)
        return self

    def _open(self, condition: Any) -> ConditionalSection:
        if isinstance(condition, Promise):
            raise CompileError(
                f"conditional {self.name!r}: a bare promise is not a condition; use "
                "promise.is_true(), is_false(), is_none() or a comparison",
                location=caller_location(),
            )
        if not isinstance(condition, Condition):
            raise CompileError(
                f"conditional {self.name!r}: expected a comparison of promises, got "
                f"{type(condition).__name__} ({condition!r:.40})",
                location=caller_location(),
            )
        self._condition = condition
        self._expect = "then"
        self._mark = len(self.builder.nodes)
        return self

    def then(self, result: Any) -> Any:
        """The call to make when this case is taken."""
        self._need("then")
        added = self.builder.nodes[self._mark :]
        if len(added) != 1:
            raise CompileError(
                f"conditional {self.name!r}: then() takes exactly one task, workflow or "
                f"launch plan call, made inside the parentheses; got {len(added)} calls",
                location=caller_location(),
            )
        node = added[0]
        del self.builder.nodes[self._mark :]
        if not isinstance(result, (Promise, NodeOutput, tuple)):
            raise CompileError(
                f"conditional {self.name!r}: then() expects the result of a call",
                location=caller_location(),
            )
        self.cases.append((self._condition, node, None))
        if self._else:
            return self._finish()
        self._expect = "elif_|else_"
        return self

    def fail(self, message: str) -> Any:
        """End the workflow with ``message`` when this (else) case is taken."""
        self._need("fail")
        self.cases.append((None, None, message))
        return self._finish()

    def _finish(self) -> Any:
        b = self.builder
        b.open_sections.remove(self)
        with_nodes = [n for _, n, _ in self.cases if n is not None]
        first = with_nodes[0]
        assert first.py_interface is not None
        types = [v.type for v in first.interface.outputs]
        for other in with_nodes[1:]:
            # outputs match by position and type (names may differ: flytekit's Echo in a branch
            # returns its input's name)
            if [v.type for v in other.interface.outputs] != types:
                raise CompileError(
                    f"conditional {self.name!r}: the branches must produce the same outputs; "
                    f"{first.entity_name} gives {_outs(first.interface)} but "
                    f"{other.entity_name} gives {_outs(other.interface)}",
                    location=self.location,
                )
        cases = []
        upstream: list[str] = []
        for cond, node, fail in self.cases:
            mc = self._condition_model(cond, upstream) if cond is not None else None
            if node is not None:
                for u in node.upstream:
                    if u not in upstream:
                        upstream.append(u)
            cases.append(BranchCase(condition=mc, then=node.freeze() if node else None, fail=fail))
        iface = Interface(outputs=first.interface.outputs)
        branch = NodeDraft(
            b,
            b.new_node_id(),
            BranchNode(self.name, tuple(cases)),
            iface,
            self.name,
            self.location,
        )
        for u in upstream:
            branch.add_upstream(u)
        py = first.py_interface
        branch.py_interface = PyInterface((), py.outputs, iface, py.output_tuple)
        b.nodes.append(branch)
        return b.outputs_of(branch, branch.py_interface)

    def _condition_model(self, cond: Condition, upstream: list[str]) -> ModelCondition:
        if isinstance(cond, PromiseComparison):
            left = self._operand(cond.left, upstream)
            right = self._operand(cond.right, upstream) if cond.op not in _UNARY else None
            return Comparison(op=cond.op, left=left, right=right)
        assert isinstance(cond, PromiseConjunction)
        return Conjunction(
            op=cond.op,
            left=self._condition_model(cond.left, upstream),
            right=self._condition_model(cond.right, upstream),
        )

    def _operand(self, value: Any, upstream: list[str]) -> Operand:
        from slipstream.model import Const

        if isinstance(value, Promise):
            if value.node_id != "$in" and value.node_id not in upstream:
                upstream.append(value.node_id)
            return Operand(value.ref())
        if isinstance(value, (int, float, str, bool)) or value is None:
            return Operand(Const(value))
        if isinstance(value, (datetime.datetime, datetime.date, datetime.timedelta)):
            from slipstream.types import default_engine

            codec = default_engine().codec(type(value))
            return Operand(Const(codec.to_literal(value, None)))
        raise CompileError(
            f"conditional {self.name!r}: cannot compare with {type(value).__name__}; use "
            "promises or int, float, str, bool, None, datetime, date or timedelta constants",
            location=self.location,
        )


_UNARY = frozenset({"is_true", "is_false", "is_none"})


def _outs(iface: Interface) -> str:
    return "(" + ", ".join(f"{v.name}: {v.type}" for v in iface.outputs) + ")"


def conditional(name: str) -> ConditionalSection:
    """Start a conditional named ``name`` (inside a workflow or dynamic body)."""
    return ConditionalSection(name)
