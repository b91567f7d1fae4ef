"""Authoring API (issue 3, section 2): calls, outputs, promises, ordering, nesting, imperative."""

from __future__ import annotations

import dataclasses
import time
import typing
from pathlib import Path

import pytest

from slipstream import Workflow, task, workflow
from slipstream.runners import execute_local


@dataclasses.dataclass
class Stats:
    count: int
    label: str


class Pair(typing.NamedTuple):
    total: int
    product: int


@task
def add(a: int, b: int = 2) -> int:
    return a + b


@task
def pair(a: int, b: int) -> Pair:
    return Pair(a + b, a * b)


@task
def split(a: int) -> tuple[int, str]:
    return a * 10, f"s{a}"


@task
def stats(n: int) -> Stats:
    return Stats(count=n, label=f"n={n}")


@task
def mapping(n: int) -> dict[str, int]:
    return {"x": n, "y": n * 2}


@task
def listing(n: int) -> list[int]:
    return [n, n + 1, n + 2]


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def dsum(d: dict[str, int]) -> str:
    return ",".join(f"{k}={d[k]}" for k in sorted(d))


@task
def shout(s: str) -> str:
    return s.upper()


@task
def mark(path: str, tag: str, delay: float = 0.0) -> None:
    time.sleep(delay)
    with open(path, "a") as f:
        f.write(f"{tag} {time.time()!r}\n")


# -- workflows -------------------------------------------------------------------------------------


@workflow
def calls(x: int, y: int = 5) -> list[int]:
    positional = add(x, 10)
    keyword = add(a=x, b=y)
    defaulted = add(a=x)
    mixed = add(x, b=y)
    return [positional, keyword, defaulted, mixed]


@workflow
def named_out(x: int) -> Pair:
    p = pair(a=x, b=3)
    return p.total, p.product


@workflow
def plain_tuple(x: int) -> tuple[int, str]:
    n, s = split(a=x)
    return n, shout(s=s)


@workflow
def selections(n: int) -> tuple[int, str, int, int, int]:
    st = stats(n=n)
    p = pair(a=n, b=n)
    m = mapping(n=n)
    xs = listing(n=n)
    return add(a=st.count), shout(s=st.label), add(a=p.product, b=m["y"]), xs[2], add(a=m["x"])


@workflow
def literals(n: int) -> tuple[int, str]:
    a = add(a=n)
    b = add(a=n, b=100)
    return total(xs=[a, b, n, 1]), dsum(d={"a": a, "b": b, "n": n, "c": 7})


@workflow
def ordered(path: str) -> None:
    first = mark(path=path, tag="first")
    second = mark(path=path, tag="second", delay=0.3)
    second >> first


@workflow
def no_outputs(path: str) -> None:
    mark(path=path, tag="only")


@workflow
def level3(x: int) -> int:
    return add(a=x, b=1)


@workflow
def level2(x: int) -> int:
    return level3(x=add(a=x, b=10))


@workflow
def level1(x: int) -> Pair:
    y = level2(x=x)
    return pair(a=y, b=level3(x=y))


# -- tests -----------------------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_task_called_outside_a_workflow_returns_plain_values() -> None:
    assert add(1) == 3
    assert add(1, 4) == 5
    assert add(a=1, b=7) == 8
    assert pair(a=2, b=5) == Pair(7, 10)
    assert stats(n=3) == Stats(3, "n=3")


@pytest.mark.timeout(30)
def test_positional_keyword_and_default_arguments() -> None:
    assert calls(x=1) == [11, 6, 3, 6]
    assert calls(1, 2) == [11, 3, 3, 3]
    assert calls(x=1, y=0) == [11, 1, 3, 1]


@pytest.mark.timeout(30)
def test_namedtuple_outputs_keep_their_field_names() -> None:
    out = named_out(x=4)
    assert out == (7, 12)
    assert type(out).__name__ == "Pair"
    assert out.total == 7
    assert out.product == 12


@pytest.mark.timeout(30)
def test_plain_tuple_outputs_are_o0_o1() -> None:
    out = plain_tuple(x=2)
    assert out == (20, "S2")
    assert out._fields == ("o0", "o1")
    assert out.o0 == 20
    assert out.o1 == "S2"
    assert split(a=1) == (10, "s1")


@pytest.mark.timeout(30)
def test_attribute_access_and_indexing_on_promises() -> None:
    # dataclass field, NamedTuple field, dict key, list item
    assert selections(n=3) == (5, "N=3", 9 + 6, 5, 5)


@pytest.mark.timeout(30)
def test_promises_inside_list_and_dict_literals() -> None:
    assert literals(n=1) == (3 + 101 + 1 + 1, "a=3,b=101,c=7,n=1")


@pytest.mark.timeout(30)
def test_rshift_is_recorded_as_an_upstream_dependency() -> None:
    nodes = {n.id: n for n in ordered.compiled.workflow.nodes}
    assert nodes["n0"].upstream == ("n1",)
    assert nodes["n1"].upstream == ()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", ["inline", "local"])
def test_rshift_ordering_is_honoured_at_run_time(tmp_path: Path, runner: str) -> None:
    """``second`` sleeps before writing; ``second >> first`` must still make ``first`` wait."""
    path = tmp_path / "order.txt"
    run = execute_local(ordered, {"path": str(path)}, runner=runner, workers=2)
    assert run.python_outputs() is None
    lines = [line.split() for line in path.read_text().splitlines()]
    assert [tag for tag, _ in lines] == ["second", "first"]
    assert float(lines[0][1]) <= float(lines[1][1])
    recs = {r.path: r for r in run.executor.store.nodes(run.executor.id)}
    assert recs["n1"].ended_at is not None and recs["n0"].started_at is not None
    assert recs["n1"].ended_at <= recs["n0"].started_at


@pytest.mark.timeout(30)
def test_workflow_without_outputs_runs_and_returns_none(tmp_path: Path) -> None:
    path = tmp_path / "side.txt"
    assert no_outputs(path=str(path)) is None
    assert path.read_text().startswith("only ")
    assert no_outputs.compiled.workflow.interface.outputs == ()


@pytest.mark.timeout(30)
def test_nested_subworkflows_three_levels() -> None:
    # level2(1) = level3(add(1, 10)) = 12 ; level3(12) = 13 ; pair(12, 13)
    assert level1(x=1) == Pair(25, 156)
    closure = level1.compiled
    assert level2.name in closure.subworkflows
    assert level3.name in closure.subworkflows


@pytest.mark.timeout(30)
def test_nested_subworkflow_nodes_are_recorded_under_their_parent() -> None:
    run = execute_local(level1, {"x": 1})
    paths = {r.path for r in run.executor.store.nodes(run.executor.id)}
    # level1.n0 = level2 ; level2.n1 = level3 ; level3.n0 = add
    assert {"n0", "n0/n0", "n0/n1", "n0/n1/n0"} <= paths


@pytest.mark.timeout(30)
def test_imperative_workflow() -> None:
    wb = Workflow(name="tests.imperative")
    x = wb.add_workflow_input("x", int)
    assert wb.inputs["x"] is x
    n1 = wb.add_entity(add, a=wb.inputs["x"], b=1)
    n2 = wb.add_entity(split, a=n1.outputs["o0"])
    n3 = wb.add_entity(shout, s=n2.outputs["o1"])
    wb.add_workflow_output("num", n2.outputs["o0"])
    wb.add_workflow_output("text", n3.outputs["o0"])
    out = wb(x=2)
    assert out == (30, "S3")
    assert out.num == 30
    assert out.text == "S3"


@pytest.mark.timeout(30)
def test_imperative_workflow_as_a_subworkflow() -> None:
    wb = Workflow(name="tests.imperative_sub")
    wb.add_workflow_input("x", int)
    node = wb.add_entity(add, a=wb.inputs["x"], b=100)
    wb.add_workflow_output("o0", node.outputs["o0"])

    @workflow
    def outer(x: int) -> int:
        return add(a=wb(x=x))

    assert outer(x=1) == 103
