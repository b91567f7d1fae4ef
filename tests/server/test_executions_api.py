"""Executions through the REST API on a real server process (SQLite and PostgreSQL): creation from
a launch plan, a workflow and a task; input errors that store nothing; abort of a queued
execution; relaunch and recover; signals; pagination and the read endpoints.

These run on a server without an engine host, so that executions stay QUEUED while they are
checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
import specs
from live_server import BACKENDS, LiveServer, unique
from queued_server import auth_headers, queued_server

from slipstream.model import (
    Binding,
    CompiledWorkflow,
    GateNode,
    Interface,
    Kind,
    LaunchPlanSpec,
    LiteralType,
    Node,
    Ref,
    ResourceType,
    Variable,
)

INT = LiteralType(Kind.INT)
LIST_INT = LiteralType(Kind.LIST, args=(INT,))


@pytest.fixture(scope="module", params=BACKENDS)
def qserver(request: pytest.FixtureRequest) -> LiveServer:
    return queued_server(request.param)


@pytest.fixture
def api(qserver: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{qserver.url}/api/v1", timeout=30, headers=auth_headers(qserver)
    ) as client:
        yield client


def _b(obj: Any) -> Any:
    return msgspec.to_builtins(obj)


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()
    assert data["error"] == code, data
    return data


def _phase(record: dict[str, Any]) -> str:
    phase: str = record.get("phase", "QUEUED")  # the default is left out of the JSON
    return phase


def _target(rt: str, name: str, project: str, version: str = "") -> dict[str, str]:
    t = {"resource_type": rt, "name": name, "project": project, "domain": "development"}
    if version:
        t["version"] = version
    return t


def _gate_workflow(project: str) -> CompiledWorkflow:
    """x -> wait_for_input("answer": int) and approve("ok") of x."""
    wf = specs.workflow("gated", project)
    gate = Node(
        id="n0",
        kind=GateNode(gate="wait_for_input", name="answer", value_type=INT, timeout_s=600),
        interface=Interface(outputs=(Variable("o0", INT),)),
    )
    approve = Node(
        id="n1",
        kind=GateNode(gate="approve", name="ok", value_type=INT, timeout_s=600),
        interface=Interface(inputs=(Variable("value", INT),), outputs=(Variable("o0", INT),)),
        inputs=(Binding("value", Ref("start", "x")),),
    )
    spec = msgspec.structs.replace(
        wf.workflow, nodes=(gate, approve), outputs=(Binding("o0", Ref("n0", "o0")),)
    )
    return CompiledWorkflow(workflow=spec)


@pytest.fixture
def project(api: httpx.Client) -> str:
    """A project with a task, a chained workflow with its default launch plan, a launch plan with
    a default and a fixed input, and a workflow with gates."""
    name = unique("x")
    api.post("/projects", json={"name": name}).raise_for_status()
    t = specs.task("double", name)
    wf = specs.workflow("chain", name, tasks=(t,))
    two = msgspec.structs.replace(
        wf.workflow,
        id=msgspec.structs.replace(wf.workflow.id, name="two"),
        interface=Interface(
            inputs=(Variable("x", INT), Variable("ys", LIST_INT)),
            outputs=(Variable("o0", INT),),
        ),
    )
    wf2 = CompiledWorkflow(workflow=two, tasks=wf.tasks)
    default_lp = specs.launch_plan("chain", wf)
    nightly = specs.launch_plan("chain.nightly", wf, defaults={"x": 5})
    fixed = LaunchPlanSpec(
        id=specs.ident(ResourceType.LAUNCH_PLAN, "two.fixed", name, "development", "v1"),
        workflow=two.id,
        default_inputs={"x": 1},
        fixed_inputs={"ys": [1, 2]},
    )
    gated = _gate_workflow(name)
    body = {
        "tasks": [_b(t)],
        "workflows": [_b(wf), _b(wf2), _b(gated)],
        "launch_plans": [_b(default_lp), _b(nightly), _b(fixed)],
    }
    api.post("/registrations", json=body).raise_for_status()
    return name


def _create(api: httpx.Client, **body: Any) -> dict[str, Any]:
    r = api.post("/executions", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def _count(api: httpx.Client, project: str) -> int:
    return len(api.get(f"/executions/{project}/development", params={"limit": 500}).json()["items"])


def test_create_from_launch_plan_workflow_and_task(api: httpx.Client, project: str) -> None:
    lp = _create(
        api,
        target=_target("launch_plan", "chain.nightly", project),
        launched_by="alice",
        labels={"team": "ml"},
    )
    assert _phase(lp) == "QUEUED"
    spec = lp["spec"]
    assert spec["inputs"] == {"x": 5}  # the launch plan's default
    assert spec["target"]["resource_type"] == "workflow" and spec["target"]["name"] == "chain"
    assert spec["target"]["version"] == "v1"
    assert spec["launch_plan"]["name"] == "chain.nightly"
    me = api.get("/whoami").json()["name"]
    assert spec["launched_by"] == me != "alice"  # the authenticated caller, not the body's word
    assert spec["labels"] == {"team": "ml"}
    assert lp["id"]["project"] == project and lp["id"]["name"]

    wf = _create(api, target=_target("workflow", "chain", project, "latest"), inputs={"x": 7})
    assert wf["spec"]["launch_plan"]["name"] == "chain"  # the default launch plan
    assert wf["spec"]["inputs"] == {"x": 7}
    task = _create(api, target=_target("task", "double", project, "v1"), inputs={"x": 2})
    assert task["spec"]["target"]["resource_type"] == "task"
    assert "launch_plan" not in task["spec"]
    assert wf["id"]["name"] != task["id"]["name"]

    got = api.get(f"/executions/{project}/development/{lp['id']['name']}").json()
    assert got == lp
    names = [e["id"]["name"] for e in api.get(f"/executions/{project}/development").json()["items"]]
    assert names == [task["id"]["name"], wf["id"]["name"], lp["id"]["name"]]  # newest first
    only = api.get(f"/executions/{project}/development", params={"workflow": "double"}).json()
    assert [e["id"]["name"] for e in only["items"]] == [task["id"]["name"]]

    events = api.get(f"/executions/{project}/development/{lp['id']['name']}/events").json()
    assert [(e["kind"], e["actor"]) for e in events["items"]] == [("created", me)]
    inputs = api.get(f"/executions/{project}/development/{lp['id']['name']}/inputs").json()
    assert inputs == {"values": {"x": 5}, "types": {"x": {"kind": "int"}}}


def test_input_errors_name_the_input_and_store_nothing(api: httpx.Client, project: str) -> None:
    before = _count(api, project)
    chain = _target("workflow", "chain", project)
    two = _target("launch_plan", "two.fixed", project)
    cases: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = [
        (chain, {}, ["missing", "'x'", "int"]),
        (chain, {"x": 1, "z": 2}, ["unknown", "'z'", "x: int"]),
        (chain, {"x": "seven"}, ["'x'", "int", "seven"]),
        (chain, {"x": True}, ["'x'", "int"]),
        (two, {"ys": [3]}, ["'ys'", "fixed", "cannot be overridden"]),
        (_target("workflow", "two", project), {"x": 1, "ys": [1, "a"]}, ["'ys'", "list[int]"]),
    ]
    for target, inputs, words in cases:
        err = _error(
            api.post("/executions", json={"target": target, "inputs": inputs}), 400, "bad_input"
        )
        for word in words:
            assert word in err["message"], (word, err["message"])
    _error(
        api.post("/executions", json={"target": _target("workflow", "nope", project)}),
        404,
        "not_found",
    )
    _error(
        api.post("/executions", json={"target": _target("workflow", "chain", project, "v9")}),
        404,
        "not_found",
    )
    _error(
        api.post("/executions", json={"target": chain, "inputs": {"x": 1}, "max_parallelism": 0}),
        400,
        "invalid_request",
    )
    _error(api.post("/executions", json={"target": chain, "bogus": 1}), 400, "invalid_request")
    _error(
        api.post("/executions", json={"target": chain, "inputs": {"x": 1}, "name": "bad name"}),
        400,
        "invalid_request",
    )
    assert _count(api, project) == before
    ok = _create(api, target=two, inputs={"x": 4})
    assert ok["spec"]["inputs"] == {"x": 4, "ys": [1, 2]}


def test_names_are_unique_per_project_and_domain(api: httpx.Client, project: str) -> None:
    body = {"target": _target("task", "double", project), "inputs": {"x": 1}, "name": "nightly-1"}
    assert _create(api, **body)["id"]["name"] == "nightly-1"
    err = _error(api.post("/executions", json=body), 409, "conflict")
    assert "nightly-1" in err["message"]


def test_abort_of_a_queued_execution(api: httpx.Client, project: str) -> None:
    ex = _create(api, target=_target("task", "double", project), inputs={"x": 1})
    url = f"/executions/{project}/development/{ex['id']['name']}"
    r = api.post(f"{url}/abort", json={"cause": "wrong input", "aborted_by": "bob"})
    assert r.status_code == 200, r.text
    aborted = r.json()
    assert aborted["phase"] == "ABORTED" and aborted["ended_at"]
    assert aborted["error"]["message"] == "wrong input"
    assert api.get(url).json()["phase"] == "ABORTED"
    err = _error(api.post(f"{url}/abort"), 409, "conflict")
    assert "ABORTED" in err["message"]
    kinds = [(e["kind"], e["actor"]) for e in api.get(f"{url}/events").json()["items"]]
    me = api.get("/whoami").json()["name"]
    assert kinds == [("created", me), ("abort", me)]
    listed = api.get(f"/executions/{project}/development", params={"phase": "ABORTED"}).json()
    assert ex["id"]["name"] in [e["id"]["name"] for e in listed["items"]]
    _error(api.post(f"/executions/{project}/development/nope/abort"), 404, "not_found")


def test_relaunch_and_recover_link_to_the_source(api: httpx.Client, project: str) -> None:
    src = _create(api, target=_target("launch_plan", "chain.nightly", project), inputs={"x": 9})
    base = f"/executions/{project}/development"
    name = src["id"]["name"]
    r = api.post(f"{base}/{name}/relaunch", json={"launched_by": "carol"})
    assert r.status_code == 201, r.text
    again = r.json()
    assert again["id"]["name"] != name and _phase(again) == "QUEUED"
    assert again["spec"]["mode"] == "relaunch"
    assert again["spec"]["source_execution"]["name"] == name
    assert again["spec"]["inputs"] == {"x": 9}
    assert again["spec"]["launched_by"] == api.get("/whoami").json()["name"]
    err = _error(api.post(f"{base}/{name}/recover"), 400, "invalid_request")
    assert "QUEUED" in err["message"]
    api.post(f"{base}/{name}/abort").raise_for_status()
    r = api.post(f"{base}/{name}/recover", json={"name": f"{name}-r"})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["id"]["name"] == f"{name}-r" and rec["spec"]["mode"] == "recover"
    assert rec["spec"]["source_execution"]["name"] == name
    assert rec["spec"]["launch_plan"]["name"] == "chain.nightly"
    events = api.get(f"{base}/{rec['id']['name']}/events").json()["items"]
    assert events[0]["payload"] == {"phase": "QUEUED", "mode": "recover", "source": name}


def test_signals_are_checked_and_stored_once(api: httpx.Client, project: str) -> None:
    ex = _create(api, target=_target("workflow", "gated", project), inputs={"x": 3})
    url = f"/executions/{project}/development/{ex['id']['name']}/signals"
    gates = {g["name"]: g for g in api.get(url).json()}
    assert (
        gates["answer"]["type"] == {"kind": "int"} and gates["answer"]["gate"] == "wait_for_input"
    )
    assert gates["ok"]["type"] == {"kind": "bool"} and not gates["ok"].get("sent")
    err = _error(api.post(url, json={"name": "answer", "value": "x"}), 400, "bad_input")
    assert "'answer'" in err["message"] and "int" in err["message"]
    err = _error(api.post(url, json={"name": "other", "value": 1}), 404, "not_found")
    assert "answer" in err["message"] and "ok" in err["message"]
    r = api.post(url, json={"name": "answer", "value": 42, "sent_by": "dana"})
    assert r.status_code == 201, r.text
    assert r.json()["value"] == 42
    assert r.json()["sent_by"] == api.get("/whoami").json()["name"] != "dana"
    _error(api.post(url, json={"name": "answer", "value": 43}), 409, "conflict")
    api.post(url, json={"name": "ok", "value": False}).raise_for_status()
    gates = {g["name"]: g for g in api.get(url).json()}
    assert gates["answer"]["sent"] and gates["answer"]["value"] == 42
    assert gates["ok"]["value"] is False
    api.post(url.replace("/signals", "/abort")).raise_for_status()
    _error(api.post(url, json={"name": "answer", "value": 1}), 409, "conflict")


def test_pagination_and_reads_of_a_queued_execution(api: httpx.Client, project: str) -> None:
    made = [
        _create(api, target=_target("task", "double", project), inputs={"x": i})["id"]["name"]
        for i in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "phase": "QUEUED", "workflow": "double"}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"/executions/{project}/development", params=params).json()
        assert len(page["items"]) <= 2
        seen.extend(e["id"]["name"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
    url = f"/executions/{project}/development/{made[0]}"
    assert api.get(f"{url}/nodes").json() == {"items": [], "next_cursor": None}
    assert api.get(f"{url}/nodes", params={"parent": "n3", "deep": True}).json()["items"] == []
    _error(api.get(f"{url}/nodes/n0"), 404, "not_found")
    assert api.get(f"{url}/nodes/n0/attempts").json() == []
    _error(api.get(f"{url}/nodes/n0/logs"), 404, "not_found")
    err = _error(api.get(f"{url}/outputs"), 404, "not_found")
    assert "QUEUED" in err["message"]
    _error(api.get(f"{url}/events", params={"cursor": "garbage"}), 400, "invalid_request")
    _error(
        api.get(f"/executions/{project}/development", params={"phase": "DONE"}),
        400,
        "invalid_request",
    )


def test_openapi_documents_the_execution_routes(api: httpx.Client) -> None:
    doc = api.get("/openapi.json").json()
    paths = doc["paths"]
    one = "/api/v1/executions/{project}/{domain}/{name}"
    assert "post" in paths["/api/v1/executions"]
    for suffix in ("/abort", "/relaunch", "/recover", "/signals"):
        assert "post" in paths[one + suffix], suffix
    for suffix in ("/nodes", "/events", "/inputs", "/outputs", "/signals"):
        assert "get" in paths[one + suffix], suffix
    assert "ExecutionCreate" in doc["components"]["schemas"]
