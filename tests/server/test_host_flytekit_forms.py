"""flytekit type forms across task boundaries in runs on a server, and decks served by the API
(issue 10): ``flows/flytekit_forms.py`` registered on a real server process, its workflows run
by the server's engine host and read back through ``Remote``."""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from engine_procs import FLOWS, cluster

from slipstream.errors import NotFoundError
from slipstream.types import File

pytestmark = pytest.mark.timeout(240)

IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))

RUNS: dict[str, dict[str, Any]] = {
    "tuples_wf": {"text": "a b c", "xs": [1, 2, 3]},
    "files_wf": {"text": "hello", "n": 2},
    "values_wf": {
        "d": datetime.datetime(2024, 3, 1, 9, 0, tzinfo=IST),
        "n": 3,
        "names": {"a": 1, "b": 2},
    },
    "shell_wf": {"text": "abc", "n": 2},
    "squares": {"n": 3},
    "decks_wf": {"n": 1},
}


def _check(name: str, out: dict[str, Any]) -> None:
    if name == "tuples_wf":
        assert out == {"o0": {"words": ["a", "b", "c"]}, "o1": 3, "o2": 6}
    elif name == "files_wf":
        assert out["o0"] == ["hello", "report.csv", "images", "img0.png", "img1.png", "12"]
        f = out["o1"]
        assert isinstance(f, File)
        assert os.path.basename(f.remote_source or f.path) == "report.csv"
        with open(f) as fh:  # downloaded from the server's blob store
            assert fh.read() == "hello"
    elif name == "values_wf":
        when, xs, total, inv, looked = (out[f"o{i}"] for i in range(5))
        assert when == datetime.datetime(2024, 3, 1, 11, 0, tzinfo=IST)
        assert when.utcoffset() == datetime.timedelta(hours=5, minutes=30)
        assert xs == [3, 2, 1]
        assert total == 6
        assert {int(k): v for k, v in inv.items()} == {1: "a", 2: "b"}
        assert looked == "b"
    elif name == "shell_wf":
        assert out["o0"] == ["ABC", "img0.png", "img1.png", "3", "size.txt", "results"]
    elif name == "squares":
        assert out["o0"] == [0, 1, 4, -1]
    elif name == "decks_wf":
        assert out["o0"] == 2
    else:  # pragma: no cover - a name added to RUNS without a check
        raise AssertionError(name)


def test_flytekit_forms_cross_task_boundaries_on_the_server(tmp_path: Path) -> None:
    from slipstream.remote import Remote

    with cluster("sqlite", tmp_path) as c:
        c.server().start()
        c.wait_ready()
        with Remote(c.url, project="proj", domain="development") as r:
            r.create_project("proj")
            r.register(FLOWS / "flytekit_forms.py")
            started = {
                name: r.execute(f"flytekit_forms.{name}", inputs) for name, inputs in RUNS.items()
            }
            for name, rec in started.items():
                done = r.wait(rec, timeout=120, poll_interval=0.2)
                assert done.phase.value == "SUCCEEDED", (name, done.error)
                _check(name, r.outputs(done))

            # the eager workflow's calls are recorded nodes, the failing one FAILED
            eager = started["squares"]
            calls = {n.path: n.phase.value for n in r.node_executions(eager, parent="n0")}
            assert calls.get("n0/e3") == "FAILED", calls

            # the deck of the attempt that made one, served as HTML
            decked = started["decks_wf"]
            page = r.deck(decked, "n0")
            assert "n is 1" in page and "details of the run" in page
            with httpx.Client(base_url=f"{c.url}/api/v1") as api:
                resp = api.get(f"/executions/proj/development/{decked.id.name}/nodes/n0/deck")
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/html")
            assert "sandbox" in resp.headers["content-security-policy"]
            # an attempt without decks, and an attempt that does not exist, say so
            with pytest.raises(NotFoundError, match="has no deck"):
                r.deck(started["tuples_wf"], "n0")
            with pytest.raises(NotFoundError, match="attempt 7"):
                r.deck(decked, "n0", attempt=7)
