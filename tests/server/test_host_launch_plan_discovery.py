"""Launch plans registered with what uses them (flytesnacks' ``chain_entities.py`` and
``basics/launch_plan.py`` on a server): a launch plan made in a workflow's body and called there,
and a module-level launch plan of a workflow imported from a sibling module, are registered with
the file and run by the server's engine host as they run locally."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from engine_procs import cluster

pytestmark = pytest.mark.timeout(240)

FLOWS = """
from slipstream import LaunchPlan, task, workflow


@task
def double(x: int) -> int:
    return 2 * x


@workflow
def sub(x: int) -> int:
    return double(x=x)


@workflow
def calls_plans(x: int) -> int:
    first = LaunchPlan.get_or_create(sub, "{pkg}_inner", default_inputs={{"x": 1}})()
    second = LaunchPlan.get_or_create(sub, "{pkg}_inner_x")(x=x)
    first >> second
    return second
"""

PLANS = """
from slipstream import LaunchPlan

from .flows import sub

plan = LaunchPlan.create("{pkg}_plan", workflow=sub, default_inputs={{"x": 5}})
"""


def test_launch_plans_made_in_a_body_or_of_an_imported_workflow_are_registered(
    tmp_path: Path,
) -> None:
    from slipstream.remote import Remote

    pkg = f"lpd_{uuid.uuid4().hex[:10]}"
    code = tmp_path / "code" / pkg
    code.mkdir(parents=True)
    (code / "__init__.py").write_text("")
    (code / "flows.py").write_text(FLOWS.format(pkg=pkg))
    (code / "plans.py").write_text(PLANS.format(pkg=pkg))
    try:
        with cluster("sqlite", tmp_path) as c:
            c.server().start()
            c.wait_ready()
            with Remote(c.url, project="proj", domain="development") as r:
                r.create_project("proj")
                # only plans.py: its plan's workflow comes from flows.py, registered with it
                r.register(code / "plans.py")
                done = r.execute(f"{pkg}_plan", {}, wait=True, timeout=120, poll_interval=0.2)
                assert done.phase.value == "SUCCEEDED", done.error
                assert r.outputs(done) == {"o0": 10}
                # flows.py: the plans calls_plans makes in its body are registered with it
                r.register(code / "flows.py")
                done = r.execute(
                    f"{pkg}.flows.calls_plans", {"x": 4}, wait=True, timeout=120, poll_interval=0.2
                )
                assert done.phase.value == "SUCCEEDED", done.error
                assert r.outputs(done) == {"o0": 8}
    finally:
        for name in [m for m in sys.modules if m == pkg or m.startswith(pkg + ".")]:
            del sys.modules[name]
