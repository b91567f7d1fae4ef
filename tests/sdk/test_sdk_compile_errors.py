"""Errors caught when a workflow is defined (issue 3, section 3; issue 4 conditionals).

Each error is a ``slipstream.CompileError`` naming the workflow, the node or input, the types and
the file and line of the offending call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
import pytest

from slipstream import CompileError, conditional, kwtypes, task, workflow


@task
def add(a: int, b: int = 2) -> int:
    return a + b


@task
def shout(s: str) -> str:
    return s.upper()


@task
def make_df(n: int) -> Annotated[pd.DataFrame, kwtypes(a=int)]:
    return pd.DataFrame({"a": list(range(n))})


@task
def use_df(df: Annotated[pd.DataFrame, kwtypes(a=int, b=str)]) -> int:
    return len(df)


@task
def use_a(df: Annotated[pd.DataFrame, kwtypes(a=int)]) -> int:
    return len(df)


def declared_but_never_returns(x: int) -> int:  # made a task inside the test
    print(x)


def location(fn: Callable[..., Any], marker: str = "# <-- here") -> str:
    """``file:line`` of the line of ``fn`` that carries ``marker``."""
    lines, first = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if marker in line:
            return f"{fn.__code__.co_filename}:{first + i}"
    raise AssertionError(f"no {marker!r} in {fn.__name__}")


def compile_error(body: Callable[..., Any], **options: Any) -> CompileError:
    with pytest.raises(CompileError) as ei:
        workflow(body, **options)
    assert isinstance(ei.value, TypeError)  # CompileError is also a TypeError
    return ei.value


@pytest.mark.timeout(30)
def test_output_type_does_not_fit_input_type() -> None:
    def wf_str_into_int(x: int) -> int:
        s = shout(s="hello")
        return add(a=s)  # <-- here

    err = str(compile_error(wf_str_into_int))
    assert "wf_str_into_int" in err
    assert "node n1" in err
    assert "'a'" in err
    assert "int" in err and "str" in err
    assert location(wf_str_into_int) in err


@pytest.mark.timeout(30)
def test_dataframe_columns_missing_one_the_consumer_declares() -> None:
    def wf_columns(n: int) -> int:
        df = make_df(n=n)
        return use_df(df=df)  # <-- here

    err = str(compile_error(wf_columns))
    assert "'df'" in err
    assert "b" in err
    assert location(wf_columns) in err


@pytest.mark.timeout(30)
def test_dataframe_with_matching_columns_compiles() -> None:
    def wf_columns_ok(n: int) -> int:
        return use_a(df=make_df(n=n))

    assert workflow(wf_columns_ok)(n=3) == 3


@pytest.mark.timeout(30)
def test_missing_required_input() -> None:
    def wf_missing(x: int) -> int:
        return add(b=x)  # <-- here

    err = str(compile_error(wf_missing))
    assert "missing required input 'a'" in err
    assert "wf_missing" in err
    assert location(wf_missing) in err


@pytest.mark.timeout(30)
def test_unknown_keyword() -> None:
    def wf_unknown(x: int) -> int:
        return add(a=x, c=1)  # <-- here

    err = str(compile_error(wf_unknown))
    assert "unknown input 'c'" in err
    assert location(wf_unknown) in err


@pytest.mark.timeout(30)
def test_constant_of_the_wrong_type() -> None:
    def wf_const(x: int) -> int:
        return add(a="three")  # <-- here

    err = str(compile_error(wf_const))
    assert "'a'" in err
    assert location(wf_const) in err


@pytest.mark.timeout(30)
def test_promise_in_python_if() -> None:
    def wf_if(x: int) -> int:
        y = add(a=x)
        if y:  # <-- here
            return y
        return x

    err = str(compile_error(wf_if))
    assert "promise" in err
    assert "conditional" in err
    assert location(wf_if) in err


@pytest.mark.timeout(30)
def test_comparison_of_promises_in_python_if() -> None:
    def wf_cmp(x: int) -> int:
        y = add(a=x)
        if y > 3:  # <-- here
            return y
        return x

    err = str(compile_error(wf_cmp))
    assert location(wf_cmp) in err


@pytest.mark.timeout(30)
def test_promise_in_bool() -> None:
    def wf_bool(x: int) -> int:
        y = add(a=x)
        flag = bool(y)  # <-- here
        return add(a=x, b=int(flag))

    err = str(compile_error(wf_bool))
    assert location(wf_bool) in err


def wf_plus(x: int) -> int:
    y = add(a=x)
    return add(a=y + 1)  # <-- here


def wf_times(x: int) -> int:
    y = add(a=x)
    return add(a=2 * y)  # <-- here


def wf_negate(x: int) -> int:
    y = add(a=x)
    return add(a=-y)  # <-- here


@pytest.mark.timeout(30)
@pytest.mark.parametrize("body", [wf_plus, wf_times, wf_negate], ids=["add", "rmul", "neg"])
def test_promise_in_arithmetic(body: Callable[..., Any]) -> None:
    err = str(compile_error(body))
    assert "promise" in err
    assert "inside a task" in err
    assert location(body) in err


@pytest.mark.timeout(30)
def test_workflow_output_left_unbound() -> None:
    def wf_unbound(x: int) -> int:
        add(a=x)

    err = str(compile_error(wf_unbound))
    assert "wf_unbound" in err
    assert "unbound" in err
    assert f"{wf_unbound.__code__.co_filename}:{wf_unbound.__code__.co_firstlineno}" in err


@pytest.mark.timeout(30)
def test_task_with_return_annotation_and_no_return() -> None:
    with pytest.raises(CompileError) as ei:
        task(declared_but_never_returns)
    err = str(ei.value)
    assert "no return" in err
    code = declared_but_never_returns.__code__
    assert f"{code.co_filename}:{code.co_firstlineno}" in err


@pytest.mark.timeout(30)
def test_task_on_a_nested_function() -> None:
    with pytest.raises(CompileError) as ei:

        @task
        def nested(x: int) -> int:
            return x

    err = str(ei.value)
    assert "nested" in err
    assert "module level" in err
    assert __file__ in err


@pytest.mark.timeout(30)
def test_conditional_without_else() -> None:
    def wf_no_else(x: int) -> int:
        y = add(a=x)
        conditional("c").if_(x > 1).then(add(a=y))  # <-- here
        return y

    err = str(compile_error(wf_no_else))
    assert "'c'" in err
    assert "else_" in err
    assert location(wf_no_else) in err


@pytest.mark.timeout(30)
def test_conditional_branches_with_different_output_types() -> None:
    def wf_branch_types(x: int) -> int:
        return (
            conditional("mixed")  # <-- here
            .if_(x > 1)
            .then(add(a=x))
            .else_()
            .then(shout(s="no"))
        )

    err = str(compile_error(wf_branch_types))
    assert "mixed" in err
    assert "same outputs" in err
    assert "int" in err and "str" in err
    assert location(wf_branch_types) in err


@pytest.mark.timeout(30)
def test_conditional_on_a_bare_promise() -> None:
    def wf_bare(x: int) -> int:
        return conditional("bare").if_(x).then(add(a=x)).else_().then(add(a=x, b=0))  # <-- here

    err = str(compile_error(wf_bare))
    assert "is_true" in err
    assert location(wf_bare) in err


@pytest.mark.timeout(30)
def test_unknown_failure_policy() -> None:
    def wf_policy(x: int) -> int:
        return add(a=x)

    err = str(compile_error(wf_policy, failure_policy="SOMETIMES"))
    assert "SOMETIMES" in err
