"""Errors when tasks and workflows are called directly (issue 3, section 3, run time)."""

from __future__ import annotations

import pytest

from slipstream import LiteralTypeError, SlipstreamError, task, workflow


@task
def add(a: int, b: int = 2) -> int:
    return a + b


@task
def wrong_output(a: int) -> int:
    return "not a number"  # type: ignore[return-value]


@workflow
def wf(x: int, y: int = 1) -> int:
    return add(a=x, b=y)


@workflow
def wf_wrong(x: int) -> int:
    return wrong_output(a=x)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("entity", [add, wf], ids=["task", "workflow"])
def test_missing_argument_is_a_type_error(entity: object) -> None:
    with pytest.raises(TypeError, match=r"missing 1 required argument: '(a|x)'"):
        entity()  # type: ignore[operator]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("entity", [add, wf], ids=["task", "workflow"])
def test_unknown_argument_is_a_type_error(entity: object) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'zzz'"):
        entity(1, zzz=2)  # type: ignore[operator]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("entity", [add, wf], ids=["task", "workflow"])
def test_too_many_positional_arguments_is_a_type_error(entity: object) -> None:
    with pytest.raises(TypeError, match="positional"):
        entity(1, 2, 3)  # type: ignore[operator]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("entity", [add, wf], ids=["task", "workflow"])
def test_argument_given_twice_is_a_type_error(entity: object) -> None:
    with pytest.raises(TypeError, match="multiple values"):
        entity(1, **{entity.python_interface.input_names[0]: 2})  # type: ignore[attr-defined,operator]


@pytest.mark.timeout(30)
def test_wrong_type_passed_to_a_workflow() -> None:
    with pytest.raises(LiteralTypeError) as ei:
        wf(x="seven")
    err = ei.value
    assert isinstance(err, TypeError) and isinstance(err, SlipstreamError)
    msg = str(err)
    assert wf.name in msg
    assert "'x'" in msg
    assert "int" in msg and "str" in msg


@pytest.mark.timeout(30)
def test_bool_is_not_an_int() -> None:
    with pytest.raises(LiteralTypeError, match="'x'"):
        wf(x=True)


@pytest.mark.timeout(30)
def test_wrong_type_passed_to_a_task() -> None:
    with pytest.raises(LiteralTypeError) as ei:
        add(a=1.5)
    msg = str(ei.value)
    assert "'a'" in msg
    assert "int" in msg and "float" in msg


@pytest.mark.timeout(30)
@pytest.mark.parametrize("entity", [wrong_output, wf_wrong], ids=["task", "workflow"])
def test_wrong_type_returned_by_a_task(entity: object) -> None:
    with pytest.raises(LiteralTypeError) as ei:
        entity(1)  # type: ignore[operator]
    msg = str(ei.value)
    assert isinstance(ei.value, TypeError)
    assert wrong_output.name in msg
    assert "output" in msg
    assert "int" in msg and "str" in msg
