"""Malformed requests to every endpoint of the OpenAPI document, generated with hypothesis:
none may get a 500, every write must be refused with a JSON error, and no stored row may change.
"""

from __future__ import annotations

import hashlib
import json
import string
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import pytest
import specs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from live_server import LiveServer, unique
from sqlalchemy import MetaData, create_engine, select

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
WRITES = {"post", "put", "patch", "delete"}


def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    engine = create_engine(db_url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for name, t in sorted(meta.tables.items())
            }
    finally:
        engine.dispose()


def seed(api: httpx.Client) -> dict[str, str]:
    """A project with a registered workflow, so that valid-looking paths hit real rows."""
    project = unique("fz")
    api.post("/projects", json={"name": project}).raise_for_status()
    t = specs.task("fz.t", project)
    wf = specs.workflow("fz.wf", project, tasks=(t,))
    payload = {
        "workflows": [msgspec.to_builtins(wf)],
        "launch_plans": [msgspec.to_builtins(specs.launch_plan("fz.wf", wf))],
    }
    api.post("/registrations", json=payload).raise_for_status()
    return {
        "project": project,
        "domain": "development",
        "name": "fz.wf",
        "version": "v1",
        "digest": "0" * 64,
    }


def valid_bodies(values: dict[str, str]) -> dict[str, Any]:
    """A valid body per schema name: mutated below into invalid ones."""
    return {
        "ProjectCreate": {"name": unique("x")},
        "Settings": {"max_parallelism": 3},
        "RegisterRequest": {"tasks": [msgspec.to_builtins(specs.task("fz.t2", values["project"]))]},
        "PromoteRequest": {
            "resource_type": "workflow",
            "project": values["project"],
            "name": "fz.wf",
            "version": "v1",
            "from_domain": "development",
            "to_domain": "staging",
        },
    }


def body_strategy(schema_name: str | None, bodies: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Bodies that can never be valid: not JSON, not an object, or an object with an unknown
    field (every request struct forbids unknown fields)."""
    garbage = st.binary(max_size=64).filter(lambda b: not _is_object(b))
    non_object = JSON.filter(lambda v: not isinstance(v, dict)).map(
        lambda v: json.dumps(v).encode()
    )
    base = bodies.get(schema_name or "", {})
    unknown = st.tuples(st.dictionaries(TEXT, JSON, max_size=3), JSON).map(
        lambda kv: json.dumps({**base, **kv[0], "__unknown_field__": kv[1]}).encode()
    )
    missing = st.just(json.dumps({k: v for k, v in base.items() if k == "__none__"}).encode())
    options = [garbage, non_object, unknown]
    if schema_name not in ("Settings", "TokenCreate"):  # empty objects of these are valid
        options.append(missing)
    return st.one_of(*options)


def _is_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:
        return False


def path_value(name: str, values: dict[str, str], method: str, path: str) -> st.SearchStrategy[str]:
    """Real values (so that lookups find rows) or garbage; writes to real rows only get garbage
    where a valid value would make the request valid (archiving a project)."""
    garbage = TEXT | st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=10)
    if method == "post" and path.endswith("/archive"):
        return garbage.filter(lambda v: v != values["project"])
    return st.sampled_from([values.get(name, "x")]) | garbage


def query_strategy() -> st.SearchStrategy[dict[str, str]]:
    keys = st.sampled_from(
        ["limit", "cursor", "sort_by", "order", "name", "version", "state", "phase", "task"]
    )
    bad_numbers = st.sampled_from(["0", "-1", "501", "1e3", "99999999999999999999999", "x", ""])
    return st.dictionaries(keys, bad_numbers | TEXT, max_size=4)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("authenticated", [True, False], ids=["admin", "no-token"])
def test_malformed_requests_change_nothing(
    server: LiveServer, api: httpx.Client, authenticated: bool
) -> None:
    values = seed(api)
    bodies = valid_bodies(values)
    doc = api.get("/openapi.json").json()
    before = _without_upload_locations(snapshot(server.db_url))
    operations = [
        (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in {"get", "put", "post", "delete", "head", "patch"}
    ]
    assert len(operations) >= 18
    client = httpx.Client(timeout=30, headers=server.headers if authenticated else None)

    for method, path, op in operations:
        fuzz_operation(client, server.url, values, bodies, method, path, op)

    client.close()
    assert _without_upload_locations(snapshot(server.db_url)) == before


NO_BODY_WRITES = ("/uploads", "/login-links")
"""Writes that take no body, so that any request to them is valid: asking for an upload location
(a fresh prefix, audited) and a console login link (a one-time code of the caller's)."""


def _without_upload_locations(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[Any]]:
    """The snapshot less what the valid requests of ``NO_BODY_WRITES`` leave: their audit
    records and the login links handed out; and less the engine host's heartbeats, which its
    own loop writes every few seconds whatever the requests do."""
    out = {k: v for k, v in rows.items() if k not in ("login_links", "cluster_hosts")}
    if "audit_log" in rows:
        out["audit_log"] = [r for r in rows["audit_log"] if not str(r[3]).endswith(NO_BODY_WRITES)]
    return out


def fuzz_operation(
    client: httpx.Client,
    base: str,
    values: dict[str, str],
    bodies: dict[str, Any],
    method: str,
    path: str,
    op: dict[str, Any],
) -> None:
    """Send malformed requests to one operation; see the module docstring for what must hold."""
    names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
    content = op.get("requestBody", {}).get("content", {})
    schema_name = None
    if "application/json" in content:
        ref = content["application/json"]["schema"].get("$ref", "")
        schema_name = ref.rsplit("/", 1)[-1] or None
    raw = "application/octet-stream" in content
    if schema_name:
        payloads = body_strategy(schema_name, bodies)
    else:
        payloads = st.binary(max_size=128) if raw else st.none()

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        params=st.fixed_dictionaries({n: path_value(n, values, method, path) for n in names}),
        query=query_strategy(),
        payload=payloads,
    )
    def check(params: dict[str, str], query: dict[str, str], payload: bytes | None) -> None:
        url = base + path.format(**{k: quote(v, safe="") for k, v in params.items()})
        if raw and payload is not None and params.get("digest") == values["digest"]:
            # a well-formed digest that the bytes do not hash to
            assert hashlib.sha256(payload).hexdigest() != values["digest"]
        headers = {"content-type": "application/json"} if schema_name else None
        response = client.request(
            method.upper(), url, params=query, content=payload, headers=headers
        )
        assert response.status_code < 500, (method, url, query, payload, response.text)
        if method in WRITES and not path.endswith(NO_BODY_WRITES):
            assert response.status_code >= 400, (method, url, payload, response.text)
        if response.status_code >= 400 and method != "head":
            data = response.json()
            assert set(data) == {"error", "message", "details"}, data

    check()
