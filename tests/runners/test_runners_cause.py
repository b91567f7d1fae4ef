"""A failure records the root of its exception chain, and the chained traceback."""

from __future__ import annotations

import pytest

from slipstream import task, workflow
from slipstream.runners import execute_local


@task
def parse(text: str) -> int:
    try:
        return int(text)
    except ValueError as e:
        raise RuntimeError(f"bad record {text!r}") from e


@workflow
def load(text: str) -> int:
    return parse(text=text)


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_failure_names_its_root_cause_and_keeps_the_chain(runner: str) -> None:
    run = execute_local(load, {"text": "x1"}, runner=runner, workers=1)
    err = run.executor.error
    assert err is not None
    assert err.type == "RuntimeError" and err.node == "n0" and err.kind == "USER"
    assert err.cause == "ValueError: invalid literal for int() with base 10: 'x1'"
    assert "ValueError" in err.traceback and "RuntimeError" in err.traceback
    assert "direct cause" in err.traceback
    with pytest.raises(RuntimeError, match="bad record"):
        run.python_outputs()
