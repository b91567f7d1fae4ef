"""flytekit's ``FlyteRemote`` on a real server (SQLite and PostgreSQL): a notebook-style script
written against flytekit's API with only the import changed."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from live_server import LiveServer, unique

from slipstream.configuration import Config
from slipstream.models.core.execution import WorkflowExecutionPhase
from slipstream.remote import FlyteRemote
from slipstream.remote.executions import FlyteWorkflowExecution

MODULE = """
import time

from slipstream import task, workflow


@task
def greet(name: str) -> str:
    return f"hello {name}"


@task
def count(text: str) -> int:
    return len(text)


@workflow
def hello(name: str = "ada") -> tuple[str, int]:
    g = greet(name=name)
    return g, count(text=g)


@task
def nap(s: float) -> float:
    time.sleep(s)
    return s


@workflow
def sleepy(s: float = 120.0) -> float:
    return nap(s=s)
"""


@pytest.mark.timeout(300)
def test_a_flytekit_notebook_runs_with_the_import_changed(
    server: LiveServer, tmp_path: Path, slipstream_home: Path
) -> None:
    project = unique("flyte")
    package = f"fr_{unique('p').replace('-', '_')}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "flows.py").write_text(MODULE)
    remote = FlyteRemote(
        Config.for_endpoint(server.url, insecure=True),
        default_project=project,
        default_domain="development",
    )
    remote.client.create_project(project)
    sys.path.insert(0, str(tmp_path))
    try:
        flows: Any = __import__(f"{package}.flows", fromlist=["hello"])
    finally:
        sys.path.remove(str(tmp_path))

    # a local workflow that is not registered yet: execute registers its code first
    first = remote.execute(flows.hello, {"name": "lin"}, version="v0", wait=True)
    assert first.outputs["o0"] == "hello lin"
    assert remote.fetch_workflow(name=flows.hello.name, version="v0").id.version == "v0"

    registered = remote.register_script(flows.hello, version="v1")
    assert registered.id.version == "v1" and registered.id.project == project
    assert remote.register_workflow(flows.sleepy, version="v1").name == flows.sleepy.name

    wf = remote.fetch_workflow(name=flows.hello.name, version="v1")
    assert (wf.id.project, wf.id.domain, wf.id.name) == (project, "development", flows.hello.name)
    ex = remote.execute(wf, inputs={"name": "grace"}, execution_name="nb-1", wait=True)
    assert isinstance(ex, FlyteWorkflowExecution)
    assert ex.is_done and ex.closure.phase == WorkflowExecutionPhase.SUCCEEDED, ex.error
    assert ex.error is None
    assert ex.outputs["o0"] == "hello grace"
    assert ex.outputs.get("o1", as_type=int) == 11
    assert dict(ex.outputs) == {"o0": "hello grace", "o1": 11}
    assert ex.inputs["name"] == "grace"

    local = remote.execute(flows.hello, {"name": "bo"}, version="v1", tags=["nb"])
    local = remote.wait(local, timeout=timedelta(minutes=2), poll_interval=0.2)
    assert local.outputs["o1"] == len("hello bo") and local.spec.labels == {"nb": "true"}

    fetched = remote.fetch_execution(name="nb-1")
    assert fetched.id.name == "nb-1" and fetched.outputs["o0"] == "hello grace"
    synced = remote.sync(fetched, sync_nodes=True)
    assert set(synced.node_executions) >= {"n0", "n1"}
    names = [e.id.name for e in remote.recent_executions(limit=10)]
    assert "nb-1" in names and local.id.name in names

    running = remote.execute(remote.fetch_workflow(name=flows.sleepy.name), {})
    deadline = time.monotonic() + 60
    while running.closure.phase != WorkflowExecutionPhase.RUNNING:
        assert time.monotonic() < deadline, running
        time.sleep(0.2)
        running = remote.sync(running)
    remote.terminate(running, "no time")
    ended = remote.wait(running, timeout=60, poll_interval=0.2)
    assert ended.closure.phase == WorkflowExecutionPhase.ABORTED

    queued = remote.execute(remote.fetch_workflow(name=flows.sleepy.name), {})
    remote.terminate(queued, "at once")  # while the engine host may be claiming it
    ended = remote.wait(queued, timeout=60, poll_interval=0.2)
    assert ended.closure.phase == WorkflowExecutionPhase.ABORTED

    again = remote.relaunch_execution(ex, name="nb-2")
    again = remote.wait(again, timeout=120, poll_interval=0.2)
    assert again.id.name == "nb-2" and again.outputs["o0"] == "hello grace"

    url = remote.generate_console_url(ex)
    assert url == f"{server.url}/console/executions/{project}/development/nb-1"
    remote.client.close()
