"""``@dynamic`` (issue 4): real values, loops, nesting, recursion, maps and conditionals inside."""

from __future__ import annotations

from typing import Any

import pytest

from slipstream import CompileError, conditional, dynamic, map_task, task, workflow
from slipstream.model import CompiledWorkflow, NodePhase, decode
from slipstream.runners import execute_local

RUNNERS = ["inline", "local"]


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def label(x: int, tag: str) -> str:
    return f"{tag}:{x}"


@dynamic
def squares(n: int) -> int:
    # n is a real int here: a Python loop over it builds the graph
    assert isinstance(n, int)
    parts = [square(x=i) for i in range(n)]
    return total(xs=parts)


@dynamic
def outer(n: int) -> list[int]:
    return [squares(n=i) for i in range(1, n + 1)]


@task
def half(n: int) -> int:
    return n // 2


@dynamic
def countdown(n: int) -> int:
    """Recursion: the dynamic calls itself until n reaches 0."""
    if n <= 0:
        return square(x=0)
    return total(xs=[square(x=n), countdown(n=n - 1)])


@dynamic
def mapped(n: int) -> list[int]:
    return map_task(square)(x=list(range(n)))


@dynamic
def branching(n: int) -> str:
    s = square(x=n)
    return (
        conditional("size")
        .if_(s > 10)
        .then(label(x=s, tag="big"))
        .else_()
        .then(label(x=s, tag="small"))
    )


@dynamic
def wires_wrong(n: int) -> int:
    return square(x=label(x=n, tag="t"))


@workflow
def wf_squares(n: int) -> int:
    return square(x=squares(n=n))


@workflow
def wf_outer(n: int) -> list[int]:
    return outer(n=n)


@workflow
def wf_countdown(n: int) -> int:
    return countdown(n=n)


@workflow
def wf_mapped(n: int) -> int:
    return total(xs=mapped(n=n))


@workflow
def wf_branching(n: int) -> str:
    return branching(n=n)


@workflow
def wf_wires_wrong(n: int) -> int:
    return wires_wrong(n=n)


def _nodes(run: Any) -> dict[str, Any]:
    return {r.path: r for r in run.executor.store.nodes(run.executor.id)}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_dynamic_builds_a_graph_from_real_values(runner: str) -> None:
    run = execute_local(wf_squares, {"n": 4}, runner=runner, workers=2)
    assert run.python_outputs() == (0 + 1 + 4 + 9) ** 2
    nodes = _nodes(run)
    assert {"n0/dyn/n0", "n0/dyn/n3", "n0/dyn/n4"} <= set(nodes)
    assert nodes["n0"].phase is NodePhase.SUCCEEDED


@pytest.mark.timeout(30)
def test_dynamic_spec_is_recorded_on_the_node() -> None:
    run = execute_local(wf_squares, {"n": 3}, runner="inline")
    rec = _nodes(run)["n0"]
    assert rec.spec
    closure = decode(rec.spec, CompiledWorkflow)
    assert len(closure.workflow.nodes) == 4  # three squares and a total
    assert square.name in closure.tasks


@pytest.mark.timeout(30)
def test_dynamic_called_directly() -> None:
    assert squares(n=3) == 5


@pytest.mark.timeout(60)
def test_nested_dynamic() -> None:
    assert wf_outer(n=3) == [0, 1, 5]  # sum of i*i for i < 1, 2, 3


@pytest.mark.timeout(60)
def test_recursive_dynamic() -> None:
    assert wf_countdown(n=3) == 9 + 4 + 1 + 0
    run = execute_local(wf_countdown, {"n": 2})
    assert "n0/dyn/n1/dyn/n1/dyn/n0" in _nodes(run)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_map_inside_dynamic(runner: str) -> None:
    run = execute_local(wf_mapped, {"n": 4}, runner=runner, workers=2)
    assert run.python_outputs() == 0 + 1 + 4 + 9


@pytest.mark.timeout(60)
def test_conditional_inside_dynamic() -> None:
    assert wf_branching(n=2) == "small:4"
    assert wf_branching(n=5) == "big:25"


@pytest.mark.timeout(30)
def test_dynamic_is_compiled_with_the_same_checks() -> None:
    run = execute_local(wf_wires_wrong, {"n": 1})
    with pytest.raises(CompileError, match="'x'"):
        run.python_outputs()
