"""Schemathesis fuzzes every operation of the server's OpenAPI document, with requests that fit the
schema (positive) and requests that break it (negative), with the admin's token and with none:
no request may get a 5xx, and a refusal is always the API's JSON error.

The server is the test's own (not the shared one): positive requests with the admin's token may
create, archive and revoke for real, which other tests must not see.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from live_server import BACKENDS, LiveServer, pg_database, start_server
from schemathesis.generation import GenerationMode

# examples per operation; a negative strategy costs ~0.7 s per operation to build (schemas negated)
EXAMPLES = int(os.environ.get("SLIPSTREAM_FUZZ_EXAMPLES", "8"))
NEGATIVE_EXAMPLES = int(os.environ.get("SLIPSTREAM_FUZZ_NEGATIVE_EXAMPLES", "3"))


@pytest.fixture(scope="module", params=BACKENDS)
def own_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    home = Path(tempfile.mkdtemp(prefix="slipstream-schemathesis-"))
    db_url = f"sqlite:///{home / 'slipstream.db'}" if request.param == "sqlite" else pg_database()
    server = start_server(request.param, db_url, home)
    try:
        yield server
    finally:
        server.stop()


def _operations(server: LiveServer) -> list[Any]:
    doc = httpx.get(f"{server.url}/api/v1/openapi.json", headers=server.headers).json()
    schema = schemathesis.openapi.from_dict(doc)
    ops = [result.ok() for result in schema.get_all_operations()]
    assert len(ops) >= 40, f"only {len(ops)} operations in the document"
    return ops


@pytest.mark.timeout(420)
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_every_operation_holds_under_schemathesis(own_server: LiveServer, mode: Any) -> None:
    """Each generated request is sent without a token, then with the admin's."""
    seen: dict[int, int] = {}
    for op in _operations(own_server):

        @settings(
            max_examples=EXAMPLES if mode is GenerationMode.POSITIVE else NEGATIVE_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(generation_mode=mode) | st.nothing())
        def check(case: Any) -> None:
            where = f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:200]}"
            for headers in ({}, own_server.headers):
                response = case.call(base_url=own_server.url, headers=headers, timeout=30)
                seen[response.status_code] = seen.get(response.status_code, 0) + 1
                assert response.status_code < 500, (
                    f"{where}: {response.status_code} {response.text}"
                )
                if response.status_code >= 400 and case.method.upper() != "HEAD":
                    body = response.json()
                    assert set(body) == {"error", "message", "details"}, f"{where}: {body}"
                if not headers:  # malformed requests may be refused before the token is asked
                    assert response.status_code >= 400, f"{where}: served without a token"

        try:
            check()
        except Unsatisfiable:  # an operation with nothing to break (no parameters, no body)
            assert mode is GenerationMode.NEGATIVE, op.label
    assert sum(seen.values()) > 0
    assert all(code < 500 for code in seen)
