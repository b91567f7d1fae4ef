"""``conditional`` (issue 4): every comparison, & and |, unary tests, outputs, else_().fail."""

from __future__ import annotations

from typing import Any

import pytest

from slipstream import conditional, task, workflow
from slipstream.model import NodePhase
from slipstream.runners import execute_local


@task
def tag(s: str) -> str:
    return s


@task
def ident(x: int) -> int:
    return x


@task
def maybe(x: int) -> int | None:
    return None if x < 0 else x


@task
def flag(x: int) -> bool:
    return x > 0


@task
def shout(s: str) -> str:
    return s.upper()


@workflow
def ops(x: int, y: int) -> list[str]:
    a = ident(x=x)
    return [
        conditional("lt").if_(a < y).then(tag(s="T")).else_().then(tag(s="F")),
        conditional("le").if_(a <= 5).then(tag(s="T")).else_().then(tag(s="F")),
        conditional("gt").if_(a > y).then(tag(s="T")).else_().then(tag(s="F")),
        conditional("ge").if_(a >= 5).then(tag(s="T")).else_().then(tag(s="F")),
        conditional("eq").if_(a == y).then(tag(s="T")).else_().then(tag(s="F")),
        conditional("ne").if_(a != 5).then(tag(s="T")).else_().then(tag(s="F")),
    ]


@workflow
def logic(x: int) -> list[str]:
    return [
        conditional("and").if_((x > 1) & (x < 10)).then(tag(s="in")).else_().then(tag(s="out")),
        conditional("or").if_((x < 0) | (x > 100)).then(tag(s="far")).else_().then(tag(s="near")),
    ]


@workflow
def chain(x: int) -> str:
    label = (
        conditional("size")
        .if_(x < 10)
        .then(tag(s="small"))
        .elif_((x >= 10) & (x < 100))
        .then(tag(s="medium"))
        .else_()
        .then(tag(s="large"))
    )
    return shout(s=label)  # a branch's output used downstream


@workflow
def unary(x: int) -> list[str]:
    f = flag(x=x)
    m = maybe(x=x)
    return [
        conditional("true").if_(f.is_true()).then(tag(s="T")).else_().then(tag(s="F")),
        conditional("false").if_(f.is_false()).then(tag(s="T")).else_().then(tag(s="F")),
        conditional("none").if_(m.is_none()).then(tag(s="T")).else_().then(tag(s="F")),
    ]


@workflow
def guarded(x: int) -> int:
    return conditional("guard").if_(x > 0).then(ident(x=x)).else_().fail("x must be positive")


@workflow
def strings(s: str) -> str:
    return conditional("str").if_(s == "go").then(tag(s="went")).else_().then(tag(s="stayed"))


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        (3, 5, ["T", "T", "F", "F", "F", "T"]),
        (5, 5, ["F", "T", "F", "T", "T", "F"]),
        (7, 5, ["F", "F", "T", "T", "F", "T"]),
    ],
)
def test_every_comparison(x: int, y: int, expected: list[str]) -> None:
    assert ops(x=x, y=y) == expected


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("x", "expected"),
    [(5, ["in", "near"]), (1, ["out", "near"]), (-3, ["out", "far"]), (200, ["out", "far"])],
)
def test_and_or(x: int, expected: list[str]) -> None:
    assert logic(x=x) == expected


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("x", "expected"), [(1, "SMALL"), (50, "MEDIUM"), (500, "LARGE")])
def test_elif_and_output_used_downstream(x: int, expected: str) -> None:
    assert chain(x=x) == expected


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("x", "expected"), [(1, ["T", "F", "F"]), (-1, ["F", "T", "T"])])
def test_is_true_is_false_is_none(x: int, expected: list[str]) -> None:
    assert unary(x=x) == expected


@pytest.mark.timeout(30)
def test_string_comparison() -> None:
    assert strings(s="go") == "went"
    assert strings(s="no") == "stayed"


@pytest.mark.timeout(30)
def test_only_the_taken_branch_runs() -> None:
    run = execute_local(chain, {"x": 50})
    nodes = {r.path: r for r in run.executor.store.nodes(run.executor.id)}
    assert run.python_outputs() == "MEDIUM"
    branch = chain.compiled.workflow.nodes[0].id
    branch_children = [p for p in nodes if p.startswith(f"{branch}/")]
    assert len(branch_children) == 1
    child = nodes[branch_children[0]]
    assert child.outputs is not None and "medium" in str(child.outputs)


@pytest.mark.timeout(30)
def test_else_fail() -> None:
    assert guarded(x=3) == 3
    run = execute_local(guarded, {"x": -1})
    with pytest.raises(Exception, match="x must be positive") as ei:
        run.python_outputs()
    assert "guard" in str(ei.value)
    branch = guarded.compiled.workflow.nodes[0].id
    node: Any = {r.path: r for r in run.executor.store.nodes(run.executor.id)}[branch]
    assert node.phase is NodePhase.FAILED
