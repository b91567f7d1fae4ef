"""The REST API against a real server process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib

import httpx
import msgspec
import specs
from live_server import unique

from slipstream.model import ResourceType


def body(**kw: object) -> dict[str, object]:
    """A registration body: the specs as their JSON."""
    return {k: msgspec.to_builtins(v) for k, v in kw.items()}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    data = response.json()
    assert set(data) == {"error", "message", "details"}
    assert data["error"] == code
    assert data["message"]
    return data


def test_health_and_openapi(server, api: httpx.Client) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    doc = api.get("/openapi.json").json()
    assert "/api/v1/registrations" in doc["paths"]
    assert "RegisterRequest" in doc["components"]["schemas"]
    assert api.get("/domains").json() == {"items": ["development", "staging", "production"]}


def test_projects(api: httpx.Client) -> None:
    name = unique("proj")
    created = api.post("/projects", json={"name": name, "description": "d", "labels": {"a": "b"}})
    assert created.status_code == 201
    assert created.json()["domains"] == ["development", "staging", "production"]
    assert_error(api.post("/projects", json={"name": name}), 409, "conflict")
    assert_error(api.post("/projects", json={"name": "Bad Name"}), 400, "invalid_request")
    assert_error(api.post("/projects", json={"nme": "x"}), 400, "invalid_request")
    assert_error(api.get("/projects/does-not-exist"), 404, "not_found")
    assert api.get(f"/projects/{name}").json()["labels"] == {"a": "b"}
    archived = api.post(f"/projects/{name}/archive").json()
    assert archived["state"] == "archived"
    names = [p["name"] for p in api.get("/projects", params={"state": "archived"}).json()["items"]]
    assert name in names


def test_register_idempotent_and_conflict_with_diff(api: httpx.Client, project: str) -> None:
    t = specs.task("pkg.mod.double", project)
    wf = specs.workflow("pkg.mod.wf", project, tasks=(t,))
    lp = specs.launch_plan("pkg.mod.wf", wf)
    first = api.post("/registrations", json=body(workflows=[wf], launch_plans=[lp]))
    assert first.status_code == 200, first.text
    assert len(first.json()["created"]) == 3  # workflow, its task, the launch plan
    again = api.post("/registrations", json=body(workflows=[wf], launch_plans=[lp])).json()
    assert again["created"] == [] and len(again["unchanged"]) == 3

    changed = specs.task("pkg.mod.double", project, retries=3)
    other = specs.task("pkg.mod.other", project)
    err = assert_error(
        api.post("/registrations", json=body(tasks=[other, changed])), 409, "conflict"
    )
    assert "metadata.retries" in str(err["message"]) and "-> 3" in str(err["message"])
    conflict = err["details"]["conflicts"][0]  # type: ignore[index]
    assert conflict["changes"][0]["path"] == "spec.metadata.retries"
    # the batch is atomic: the task that did not conflict was not registered either
    assert_error(api.get(f"/tasks/{project}/development/pkg.mod.other/v1"), 404, "not_found")

    got = api.get(f"/workflows/{project}/development/pkg.mod.wf/latest").json()
    assert got["id"]["version"] == "v1"
    assert got["spec"]["workflow"]["id"]["name"] == "pkg.mod.wf"
    assert "pkg.mod.double" in got["spec"]["tasks"]
    assert len(got["digest"]) == 64
    # a list page shows each workflow without its closure (its tasks can be large)
    listed = api.get(f"/workflows/{project}/development").json()["items"]
    assert [i["id"]["name"] for i in listed] == ["pkg.mod.wf"]
    assert listed[0]["spec"] == {"workflow": got["spec"]["workflow"]}
    assert listed[0]["digest"] == got["digest"]


def test_registration_checks(api: httpx.Client, project: str) -> None:
    unversioned = specs.task("a.t", project, version="")
    assert_error(api.post("/registrations", json=body(tasks=[unversioned])), 400, "invalid_request")
    wrong_domain = specs.task("a.t", project, domain="qa")
    assert_error(
        api.post("/registrations", json=body(tasks=[wrong_domain])), 400, "invalid_request"
    )
    missing = specs.task("a.t", "no-such-project")
    assert_error(api.post("/registrations", json=body(tasks=[missing])), 404, "not_found")
    orphan = specs.launch_plan("lp", specs.workflow("a.missing", project))
    assert_error(api.post("/registrations", json=body(launch_plans=[orphan])), 404, "not_found")
    assert_error(api.post("/registrations", json={}), 400, "invalid_request")
    nobundle = {**body(tasks=[specs.task("a.t", project)]), "bundle": "0" * 64}
    assert_error(api.post("/registrations", json=nobundle), 404, "not_found")
    archived = unique("arch")
    api.post("/projects", json={"name": archived})
    api.post(f"/projects/{archived}/archive")
    t = specs.task("a.t", archived)
    assert_error(api.post("/registrations", json=body(tasks=[t])), 409, "conflict")


def test_bundles(api: httpx.Client) -> None:
    data = b"not really a tarball " + unique("b").encode()
    digest = hashlib.sha256(data).hexdigest()
    assert api.head(f"/bundles/{digest}").status_code == 404
    assert_error(api.put(f"/bundles/{'1' * 64}", content=data), 400, "invalid_request")
    assert_error(api.put("/bundles/xyz", content=data), 400, "invalid_request")
    assert api.put(f"/bundles/{digest}", content=data).status_code == 201
    assert api.put(f"/bundles/{digest}", content=data).json() == {
        "digest": digest,
        "created": False,
    }
    assert api.head(f"/bundles/{digest}").status_code == 200
    assert api.get(f"/bundles/{digest}").content == data


def test_pagination_filter_sort(api: httpx.Client, project: str) -> None:
    tasks = [specs.task(f"t.n{i:02d}", project, version=f"v{i % 3}") for i in range(25)]
    api.post("/registrations", json=body(tasks=tasks)).raise_for_status()
    url = f"/tasks/{project}/development"
    seen: list[str] = []
    cursor = None
    while True:
        page = api.get(
            url, params={"limit": 10, "sort_by": "name", "order": "asc", "cursor": cursor}
        )
        data = page.json()
        seen += [item["id"]["name"] for item in data["items"]]
        cursor = data["next_cursor"]
        if cursor is None:
            break
        assert len(data["items"]) == 10
    assert seen == sorted(t.id.name for t in tasks)
    newest = api.get(url, params={"limit": 3}).json()["items"]
    assert [i["id"]["name"] for i in newest] == ["t.n24", "t.n23", "t.n22"]
    only = api.get(url, params={"version": "v1"}).json()["items"]
    assert len(only) == 8 and {i["id"]["version"] for i in only} == {"v1"}
    assert len(api.get(url, params={"name": "t.n03"}).json()["items"]) == 1
    first = api.get(url, params={"limit": 5}).json()
    assert_error(api.get(url, params={"cursor": "garbage!"}), 400, "invalid_request")
    wrong_sort = {"cursor": first["next_cursor"], "sort_by": "name"}
    assert_error(api.get(url, params=wrong_sort), 400, "invalid_request")
    assert_error(api.get(url, params={"sort_by": "size"}), 400, "invalid_request")
    assert_error(api.get(url, params={"limit": 501}), 400, "invalid_request")
    assert_error(api.get(url, params={"limit": "ten"}), 400, "invalid_request")


def test_settings_resolution_and_ceiling(api: httpx.Client, project: str) -> None:
    base = f"/projects/{project}"
    put = api.put(
        f"{base}/settings",
        json={
            "default_resources": {"cpu": "1", "mem": "1Gi"},
            "max_resources": {"cpu": "4"},
            "labels": {"team": "a", "tier": "p"},
            "runner": "local",
        },
    )
    assert put.status_code == 200, put.text
    api.put(
        f"{base}/domains/production/settings",
        json={"max_resources": {"cpu": "2"}, "labels": {"tier": "prod"}, "max_parallelism": 5},
    ).raise_for_status()
    resolved = api.get(f"{base}/domains/production/settings/resolved").json()
    assert resolved["max_resources"] == {"cpu": "2"}
    assert resolved["labels"] == {"team": "a", "tier": "prod"}
    assert resolved["runner"] == "local" and resolved["max_parallelism"] == 5
    assert api.get(f"{base}/domains/staging/settings/resolved").json()["max_resources"] == {
        "cpu": "4"
    }

    big = specs.task("s.big", project, domain="production", cpu="3")
    err = assert_error(api.post("/registrations", json=body(tasks=[big])), 400, "invalid_request")
    assert "cpu=3 is above the maximum 2" in str(err["message"])
    ok = specs.task("s.big", project, domain="staging", cpu="3")
    api.post("/registrations", json=body(tasks=[ok])).raise_for_status()
    # the task's own request survives project defaults; unset quantities come from them
    task_view = api.get(
        f"{base}/domains/staging/settings/resolved", params={"task": "s.big"}
    ).json()
    assert task_view["default_resources"] == {"cpu": "3", "mem": "1Gi"}

    bad = {"default_resources": {"cpu": "8"}, "max_resources": {"cpu": "2"}}
    assert_error(api.put(f"{base}/settings", json=bad), 400, "invalid_request")
    assert_error(
        api.put(f"{base}/settings", json={"max_resources": {"cpu": "lots"}}), 400, "invalid_request"
    )
    assert_error(api.put(f"{base}/domains/qa/settings", json={}), 400, "invalid_request")
    assert api.get(f"{base}/settings").json()["runner"] == "local"  # unchanged by the failures


def test_promotion(api: httpx.Client, project: str) -> None:
    t = specs.task("pr.t", project, cpu="3")
    wf = specs.workflow("pr.wf", project, tasks=(t,))
    lp = specs.launch_plan("pr.wf", wf, defaults={"x": 1})
    api.post("/registrations", json=body(workflows=[wf], launch_plans=[lp])).raise_for_status()
    request = {
        "resource_type": "workflow",
        "project": project,
        "name": "pr.wf",
        "version": "v1",
        "from_domain": "development",
        "to_domain": "staging",
        "promoted_by": "alice",
    }
    done = api.post("/promotions", json=request)
    assert done.status_code == 201, done.text
    record = done.json()
    # the caller (the token's user), not what the body claims
    assert record["promoted_by"] == "admin" and record["to_domain"] == "staging"
    assert {e["resource_type"] for e in record["entities"]} == {"workflow", "task", "launch_plan"}
    promoted = api.get(f"/launch_plans/{project}/staging/pr.wf/v1").json()["spec"]
    assert promoted["workflow"]["domain"] == "staging"
    wf_staging = api.get(f"/workflows/{project}/staging/pr.wf/v1").json()["spec"]
    assert wf_staging["tasks"]["pr.t"]["id"]["domain"] == "staging"
    # the target domain's settings apply: a ceiling below the task's request rejects it
    api.put(
        f"/projects/{project}/domains/production/settings", json={"max_resources": {"cpu": "1"}}
    ).raise_for_status()
    to_prod = {**request, "from_domain": "staging", "to_domain": "production"}
    assert_error(api.post("/promotions", json=to_prod), 400, "invalid_request")
    assert_error(api.get(f"/workflows/{project}/production/pr.wf/v1"), 404, "not_found")
    log = api.get(f"/projects/{project}/promotions").json()["items"]
    assert len(log) == 1 and log[0]["name"] == "pr.wf"
    same = {**request, "to_domain": "development"}
    assert_error(api.post("/promotions", json=same), 400, "invalid_request")
    missing = {**request, "version": "v9"}
    assert_error(api.post("/promotions", json=missing), 404, "not_found")


def test_unknown_routes_and_methods(api: httpx.Client, project: str) -> None:
    assert_error(api.get("/nothing"), 404, "not_found")
    assert_error(api.delete("/projects"), 405, "method_not_allowed")
    assert_error(api.get(f"/tasks/{project}/development/x/latest"), 404, "not_found")
    assert_error(api.get(f"/tasks/{project}/nodomain"), 400, "invalid_request")
    assert api.get(f"/executions/{project}/development").json() == {
        "items": [],
        "next_cursor": None,
    }
    assert_error(
        api.get(f"/executions/{project}/development", params={"phase": "NOPE"}),
        400,
        "invalid_request",
    )
    assert ResourceType.TASK.value == "task"
