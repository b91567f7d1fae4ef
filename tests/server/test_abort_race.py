"""An abort that races the engine host's claim of a just-created execution is never lost: each of
many executions aborted right after it was created ends ABORTED, whichever of the two came first
(the API ends an unclaimed QUEUED execution itself; one a host holds, it leaves ABORTING for that
host to stop), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from engine_procs import cluster, execution, launch, register_flows
from live_server import BACKENDS

pytestmark = pytest.mark.timeout(180)

N = 24


@pytest.mark.parametrize("backend", BACKENDS)
def test_aborts_racing_the_claim_are_never_lost(backend: str, tmp_path: Path) -> None:
    with cluster(backend, tmp_path) as c:
        c.server().start()
        c.wait_ready()
        register_flows(c)
        names = []
        first: dict[str, str] = {}
        with c.api() as api:
            for i in range(N):
                name = launch(c, "durable", {"n": 4, "delay": 5.0})
                if i % 3:  # most at once; some after a moment, when a host may hold them
                    time.sleep(0.01 * (i % 5))
                r = api.post(f"/executions/proj/development/{name}/abort", json={"cause": "race"})
                assert r.status_code == 200, r.text
                first[name] = r.json()["phase"]
                names.append(name)
        assert set(first.values()) <= {"ABORTED", "ABORTING"}
        deadline = time.monotonic() + 60
        phases: dict[str, str] = {}
        while time.monotonic() < deadline:
            phases = {n: execution(c, n)["phase"] for n in names}
            if all(p == "ABORTED" for p in phases.values()):
                break
            time.sleep(0.2)
        assert all(p == "ABORTED" for p in phases.values()), phases
        print(f"{backend}: first answers {sorted(first.values())}")
