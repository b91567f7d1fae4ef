"""A task's own exception surfaces from a local run, inline and in worker processes (issue 3, §3)."""

from __future__ import annotations

import traceback

import pytest

from slipstream import LiteralTypeError, task, workflow
from slipstream.model import NodePhase
from slipstream.runners import execute_local

RUNNERS = ["inline", "local"]


class PipelineError(Exception):
    """A user-defined exception class: it must come back as itself."""


def deep_helper(x: int) -> int:
    raise PipelineError(f"cannot handle {x}")


@task
def add(a: int) -> int:
    return a + 1


@task
def explode(x: int) -> int:
    return deep_helper(x)


@task
def wrong_output(a: int) -> int:
    return "oops"  # type: ignore[return-value]


@workflow
def wf(x: int) -> int:
    return explode(x=add(a=x))


@workflow
def wf_wrong(x: int) -> int:
    return wrong_output(a=add(a=x))


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_task_exception_keeps_class_message_and_node(runner: str) -> None:
    run = execute_local(wf, {"x": 1}, runner=runner, workers=1)
    with pytest.raises(PipelineError, match="cannot handle 2") as ei:
        run.python_outputs()
    notes = "\n".join(getattr(ei.value, "__notes__", []))
    assert "node n1" in notes
    rec = {r.path: r for r in run.executor.store.nodes(run.executor.id)}["n1"]
    assert rec.phase is NodePhase.FAILED
    assert rec.error is not None
    assert rec.error.node == "n1"
    assert rec.error.type.endswith("PipelineError")
    assert rec.error.message == "cannot handle 2"
    assert rec.error.kind == "USER"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_task_traceback_shows_user_frames_only(runner: str) -> None:
    run = execute_local(wf, {"x": 1}, runner=runner, workers=1)
    rec = {r.path: r for r in run.executor.store.nodes(run.executor.id)}["n1"]
    assert rec.error is not None
    tb = rec.error.traceback
    assert "in explode" in tb
    assert "in deep_helper" in tb
    assert __file__ in tb
    assert "slipstream/runners" not in tb
    assert "slipstream/sdk" not in tb
    assert "slipstream/engine" not in tb
    with pytest.raises(PipelineError) as ei:
        run.python_outputs()
    frames = traceback.extract_tb(ei.value.__traceback__)
    # below the frame that re-raises it, only the user's frames remain
    names = [f.name for f in frames]
    if runner == "inline":
        tail = names[names.index("raise_for_failure") + 1 :]
        assert tail == ["explode", "deep_helper"]
    else:  # the worker's traceback travels as text in a note
        assert any("in deep_helper" in n for n in ei.value.__notes__)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_workflow_call_raises_the_task_exception(
    runner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIPSTREAM_RUNNER", runner)
    with pytest.raises(PipelineError, match="cannot handle 6"):
        wf(x=5)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_wrong_output_type_names_task_output_and_types(runner: str) -> None:
    run = execute_local(wf_wrong, {"x": 1}, runner=runner, workers=1)
    with pytest.raises(LiteralTypeError) as ei:
        run.python_outputs()
    msg = str(ei.value)
    assert wrong_output.name in msg
    assert "output" in msg
    assert "int" in msg and "str" in msg
