"""Data planes: engine hosts of named clusters that reach the control plane only through its API.

The control plane runs with ``--no-engine``; each data plane has its own home and blob store and
no database URL, and holds a cluster token that reaches its own cluster's plane routes alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from data_planes import platform

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_executions_run_on_the_data_plane_of_their_cluster(backend: str, tmp_path: Path) -> None:
    with platform(backend, tmp_path) as p:
        p.start_control()
        east = p.data_plane("east", "east", p.cluster_token("east"))
        west = p.data_plane("west", "west", p.cluster_token("west"))
        east.start()
        west.start()
        east.wait_output("running executions of cluster east")
        west.wait_output("running executions of cluster west")
        p.register()
        on_east = p.launch("durable", {"n": 5, "delay": 0.0}, cluster="east")
        on_west = p.launch("durable", {"n": 5, "delay": 0.0}, cluster="west")
        for name, where in ((on_east, "east"), (on_west, "west")):
            rec = p.wait_phase(name, {"SUCCEEDED", "FAILED", "ABORTED"})
            assert rec["phase"] == "SUCCEEDED", rec
            assert rec["outputs"] == {"o0": sum(2 * (2 + k) for k in range(5)) + 1}
            assert rec["cluster"] == where
            with p.api() as api:
                r = api.get(f"/executions/proj/development/{name}/nodes/n0/attempts")
            assert r.status_code == 200, r.text
            assert {a.get("cluster") for a in r.json()} == {where}, r.json()
