"""Gates (issue 4): ``sleep`` orders nodes; ``wait_for_input``/``approve`` need a terminal."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import pytest

from slipstream import CompileError, approve, sleep, task, wait_for_input, workflow
from slipstream.model import NodePhase
from slipstream.runners import execute_local


@task
def mark(path: str, tag: str) -> str:
    with open(path, "a") as f:
        f.write(f"{tag} {time.time()!r}\n")
    return tag


@task
def ident(x: int) -> int:
    return x


@workflow
def wf_sleep(path: str) -> None:
    pause = sleep(0.4)
    after = mark(path=path, tag="after")
    pause >> after
    mark(path=path, tag="independent")


@workflow
def wf_input() -> int:
    value = wait_for_input("num", timeout=5, expected_type=int)
    return ident(x=value)


@workflow
def wf_approve(x: int) -> int:
    return ident(x=approve(ident(x=x), "ok-to-go", timeout=5))


def _nodes(run: Any) -> dict[str, Any]:
    return {r.path: r for r in run.executor.store.nodes(run.executor.id)}


@pytest.mark.timeout(30)
def test_sleep_holds_back_what_follows_it(tmp_path: Path) -> None:
    path = tmp_path / "log"
    run = execute_local(wf_sleep, {"path": str(path)})
    run.python_outputs()
    lines = dict(line.split() for line in path.read_text().splitlines())
    assert list(lines) == ["independent", "after"]
    start = run.record.started_at
    assert start is not None
    assert float(lines["after"]) - start >= 0.4
    assert float(lines["independent"]) - start < 0.4
    assert _nodes(run)["n0"].phase is NodePhase.SUCCEEDED


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("wf", "inputs", "gate"), [(wf_input, {}, "num"), (wf_approve, {"x": 1}, "ok-to-go")]
)
def test_signal_gates_fail_clearly_without_a_terminal(
    monkeypatch: pytest.MonkeyPatch, wf: Any, inputs: dict[str, Any], gate: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal, even under ``pytest -s``
    t0 = time.monotonic()
    run = execute_local(wf, inputs)
    with pytest.raises(Exception, match="terminal") as ei:
        run.python_outputs()
    assert gate in str(ei.value)
    assert time.monotonic() - t0 < 4  # fails at once, does not wait for the timeout


class _FakeTty:
    """A pipe that says it is a terminal."""

    def __init__(self, text: str) -> None:
        r, w = os.pipe()
        os.write(w, text.encode())
        os.close(w)
        self._f = os.fdopen(r)

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._f.fileno()

    def readline(self) -> str:
        return self._f.readline()

    def close(self) -> None:
        self._f.close()


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("wf", "inputs", "typed", "expected"),
    [(wf_input, {}, "42\n", 42), (wf_approve, {"x": 7}, "y\n", 7)],
)
def test_signal_gates_ask_on_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    wf: Any,
    inputs: dict[str, Any],
    typed: str,
    expected: int,
) -> None:
    tty = _FakeTty(typed)
    monkeypatch.setattr("sys.stdin", tty)
    try:
        assert execute_local(wf, inputs).python_outputs() == expected
    finally:
        tty.close()


@pytest.mark.timeout(30)
def test_rejected_approval_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    tty = _FakeTty("n\n")
    monkeypatch.setattr("sys.stdin", tty)
    try:
        run = execute_local(wf_approve, {"x": 1})
        with pytest.raises(Exception, match="rejected"):
            run.python_outputs()
    finally:
        tty.close()


@pytest.mark.timeout(30)
def test_gates_only_inside_a_workflow() -> None:
    with pytest.raises(CompileError):
        sleep(1)
    with pytest.raises(CompileError):
        wait_for_input("x", timeout=1, expected_type=int)
