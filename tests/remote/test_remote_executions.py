"""``Remote``'s execution methods against a real server (SQLite and PostgreSQL) whose executions
stay QUEUED: launching local objects, specs and names with Python inputs, input errors, waiting
with a timeout, terminate, relaunch, recover, lists, inputs as Python values, signals."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import BACKENDS, LiveServer, unique
from queued_server import auth_headers, queued_server

from slipstream.errors import ConflictError, InputError, NotFoundError, WaitTimeoutError
from slipstream.model import ExecutionPhase
from slipstream.remote import Remote

MODULE = """
from slipstream import approve, task, wait_for_input, workflow, LaunchPlan


@task
def double(x: int) -> int:
    return 2 * x


@task
def scale(values: list[float], by: float = 2.0) -> list[float]:
    return [v * by for v in values]


@workflow
def pipeline(x: int = 3) -> int:
    return double(x=double(x=x))


@workflow
def gated(x: int = 1) -> int:
    answer = wait_for_input("answer", timeout=600, expected_type=int)
    return approve(double(x=answer), "ok", timeout=600)


nightly = LaunchPlan.get_or_create(pipeline, name="{package}.nightly", default_inputs={{"x": 5}})
"""


@pytest.fixture(scope="module", params=BACKENDS)
def qserver(request: pytest.FixtureRequest) -> LiveServer:
    return queued_server(request.param)


def _remote(server: LiveServer, project: str) -> Remote:
    token = auth_headers(server).get("authorization", "").removeprefix("Bearer ")
    kw: dict[str, Any] = {"token": token} if token else {}
    return Remote(server.url, project, "development", **kw)


@pytest.fixture
def remote(qserver: LiveServer) -> Iterator[Remote]:
    with _remote(qserver, unique("rx")) as r:
        assert r.default_project
        r.create_project(r.default_project)
        yield r


@pytest.fixture
def module(remote: Remote, tmp_path: Path) -> Any:
    """A registered package; returns its imported module."""
    package = f"pkg_{unique('x').replace('-', '_')}"
    pkg = tmp_path / package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "flows.py").write_text(MODULE.format(package=f"{package}.flows"))
    remote.register(pkg, version="v1")
    return sys.modules[f"{package}.flows"]


def test_execute_local_objects_specs_and_names(remote: Remote, module: Any) -> None:
    ex = remote.execute(module.pipeline, {"x": 4})
    assert ex.phase is ExecutionPhase.QUEUED
    assert ex.spec.target.name == module.pipeline.name and ex.spec.target.version == "v1"
    assert ex.spec.inputs == {"x": 4} and ex.spec.launched_by
    assert remote.inputs(ex) == {"x": 4}
    assert remote.inputs(ex, module.pipeline) == {"x": 4}

    lp = remote.execute(module.nightly)
    assert remote.inputs(lp) == {"x": 5}  # the launch plan's default
    by_name = remote.execute(module.nightly.name, {"x": 6}, name="by-name")
    assert by_name.id.name == "by-name" and by_name.spec.launch_plan is not None
    task = remote.execute(module.scale, {"values": [1.0, 2.5]})
    assert remote.inputs(task) == {"values": [1.0, 2.5], "by": 2.0}
    spec = remote.fetch_task(module.scale.name)
    again = remote.execute(spec, {"values": [3.0]}, version="v1")
    assert again.spec.target.resource_type.value == "task"

    with pytest.raises(ConflictError, match="by-name"):
        remote.execute(module.pipeline, {"x": 1}, name="by-name")
    with pytest.raises(NotFoundError, match="no launch plan, workflow or task"):
        remote.execute("nope.nothing")
    with pytest.raises(NotFoundError, match="not registered"):
        remote.execute(module.pipeline, version="v9")


def test_input_errors_say_which_input(remote: Remote, module: Any) -> None:
    before = len(remote.recent_executions())
    with pytest.raises(InputError, match=r"'x'.*int"):
        remote.execute(module.pipeline, {"x": "four"})
    with pytest.raises(InputError, match="unknown input 'y'"):
        remote.execute(module.pipeline, {"y": 1})
    with pytest.raises(InputError, match=r"'x'.*int"):
        remote.execute(module.pipeline.name, {"x": 1.5})
    with pytest.raises(InputError, match=r"missing required input.*'values'"):
        remote.execute(module.scale)
    assert len(remote.recent_executions()) == before


def test_wait_terminate_relaunch_recover_and_lists(remote: Remote, module: Any) -> None:
    ex = remote.execute(module.pipeline, {"x": 1})
    with pytest.raises(WaitTimeoutError, match="still QUEUED"):
        remote.wait(ex, timeout=0.3, poll_interval=0.1)
    with pytest.raises(WaitTimeoutError):
        remote.execute(module.pipeline, {"x": 2}, wait=True, timeout=0.2, poll_interval=0.1)
    again = remote.relaunch(ex)
    assert again.spec.mode == "relaunch" and again.spec.source_execution == ex.id
    aborted = remote.terminate(ex, cause="not needed")
    assert aborted.phase is ExecutionPhase.ABORTED
    assert remote.wait(ex.id.name, timeout=5).phase is ExecutionPhase.ABORTED
    with pytest.raises(ConflictError, match="already ended"):
        remote.terminate(ex)
    rec = remote.recover(ex, name=f"{ex.id.name}-r")
    assert rec.spec.mode == "recover" and rec.id.name == f"{ex.id.name}-r"
    assert [e.kind for e in remote.events(ex)] == ["created", "abort"]
    assert remote.node_executions(ex) == []

    names = [e.id.name for e in remote.recent_executions(workflow=module.pipeline.name)]
    assert names[:3] == [rec.id.name, again.id.name, *names[2:3]] and ex.id.name in names
    assert [e.id.name for e in remote.recent_executions(phase="ABORTED")] == [ex.id.name]
    assert len(remote.recent_executions(limit=2)) == 2
    with pytest.raises(NotFoundError):
        list(remote.logs(ex, "n0"))
    with pytest.raises(NotFoundError, match="no outputs"):
        remote.outputs(ex)


def test_signals_take_typed_text_or_values(remote: Remote, module: Any) -> None:
    ex = remote.execute(module.gated, {"x": 2})
    gates = {g.name: g for g in remote.list_signals(ex)}
    assert set(gates) == {"answer", "ok"} and gates["answer"].type.kind.value == "int"
    with pytest.raises(InputError, match=r"'answer'.*int"):
        remote.signal(ex, "answer", "forty")
    with pytest.raises(NotFoundError, match="answer, ok"):
        remote.signal(ex, "other", 1)
    sent = remote.signal(ex, "answer", "41")  # text, parsed by the gate's type
    assert sent.value == 41 and sent.sent
    assert remote.signal(ex, "ok", True).value is True
    with pytest.raises(ConflictError, match="already sent"):
        remote.signal(ex, "answer", 1)
    assert all(g.sent for g in remote.list_signals(ex))


SLOW = """
import time

from slipstream import dynamic, map_task, task, workflow


@task
def chatty(n: int) -> int:
    for i in range(n):
        print(f"line {i}", flush=True)
        time.sleep(0.1)
    return n


@workflow
def talk(n: int = 5) -> int:
    return chatty(n=chatty(n=n))


@task
def sq(x: int) -> int:
    return x * x


@workflow
def inner(x: int) -> int:
    return sq(x=sq(x=x))


@dynamic
def fan(n: int) -> list[int]:
    return [sq(x=i) for i in range(n)]


@workflow
def nested(n: int = 3) -> list[int]:
    inner(x=n)
    return map_task(sq)(x=fan(n=n))
"""


@pytest.fixture
def running(server: LiveServer, tmp_path: Path) -> Iterator[tuple[Remote, Any]]:
    """A client of a server that runs executions, and a registered module of ``SLOW`` and
    ``MODULE``."""
    with _remote(server, unique("rr")) as r:
        assert r.default_project
        r.create_project(r.default_project)
        package = f"pkg_{unique('r').replace('-', '_')}"
        pkg = tmp_path / package
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        (pkg / "slow.py").write_text(SLOW)
        (pkg / "flows.py").write_text(MODULE.format(package=f"{package}.flows"))
        r.register(pkg, version="v1")
        yield r, (sys.modules[f"{package}.slow"], sys.modules[f"{package}.flows"])


def test_execute_and_wait_to_completion(running: tuple[Remote, Any]) -> None:
    remote, (slow, flows) = running
    done = remote.execute(flows.pipeline, {"x": 5}, wait=True, timeout=60, poll_interval=0.1)
    assert done.phase is ExecutionPhase.SUCCEEDED
    assert remote.outputs(done) == {"o0": 20}
    assert remote.outputs(done, flows.pipeline) == {"o0": 20}
    nodes = remote.node_executions(done)
    assert [n.path for n in nodes] == ["n0", "n1"] and all(n.attempts == 1 for n in nodes)
    assert [a.number for a in remote.attempts(done, "n0")] == [
        remote.attempts(done, "n0")[0].number
    ]
    by_name = remote.execute(flows.nightly.name, wait=True, timeout=60, poll_interval=0.1)
    assert remote.outputs(by_name) == {"o0": 20}  # the launch plan's default x=5

    talk = remote.execute(slow.talk, {"n": 8})
    followed = "".join(remote.logs(talk, "n0", follow=True, poll_interval=0.05))
    assert [line for line in followed.splitlines() if line.startswith("line")] == [
        f"line {i}" for i in range(8)
    ]
    assert remote.wait(talk, timeout=60, poll_interval=0.1).phase is ExecutionPhase.SUCCEEDED
    assert "line 7" in "".join(remote.logs(talk, "n1"))


def test_nested_nodes_and_abort_of_a_running_execution(running: tuple[Remote, Any]) -> None:
    remote, (slow, _) = running
    done = remote.execute(slow.nested, wait=True, timeout=60, poll_interval=0.1)
    assert done.phase is ExecutionPhase.SUCCEEDED, done.error
    assert remote.outputs(done) == {"o0": [0, 1, 16]}
    assert [n.path for n in remote.node_executions(done)] == ["n0", "n1", "n2"]
    assert [n.path for n in remote.node_executions(done, "n0")] == ["n0/n0", "n0/n1"]
    assert sorted(n.path for n in remote.node_executions(done, "n1")) == [
        "n1/dyn/n0",
        "n1/dyn/n1",
        "n1/dyn/n2",
    ]
    assert sorted(n.path for n in remote.node_executions(done, "n2")) == ["n2[0]", "n2[1]", "n2[2]"]
    assert len(remote.node_executions(done, deep=True)) == 11

    talk = remote.execute(slow.talk, {"n": 100})
    deadline = time.monotonic() + 30
    while remote.fetch_execution(talk).phase is ExecutionPhase.QUEUED:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    aborting = remote.terminate(talk, cause="enough")
    assert aborting.phase in (ExecutionPhase.ABORTING, ExecutionPhase.ABORTED)
    ended = remote.wait(talk, timeout=30, poll_interval=0.1)
    assert ended.phase is ExecutionPhase.ABORTED
    assert [e.kind for e in remote.events(talk)][:1] == ["created"]
    assert "abort" in [e.kind for e in remote.events(talk)]
