"""Reference entities on a server (issue 10): a workflow registered in one project calls a task, a
workflow and a launch plan registered in another by their typed stubs; each reference node runs as
a child execution of the entity it names; registration checks the stubs against the registered
interfaces and never registers a stub in place of the entity."""

from __future__ import annotations

import re
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from engine_procs import FLOWS, cluster

from slipstream.errors import NotFoundError, ValidationError
from slipstream.model import ResourceType

pytestmark = pytest.mark.timeout(240)

CONSUMER = """
from slipstream import reference_launch_plan, reference_task, reference_workflow, workflow


@reference_task("lib", "development", "ref_provider.double", "v1")
def double(x: int) -> int: ...


@reference_workflow("lib", "development", "ref_provider.add_wf", "{wf_version}")
def add_wf(a: int, b: int = 1) -> int: ...


@reference_launch_plan("lib", "development", "scaled", "v1")
def scaled(a: int{scaled_extra}) -> int: ...


@workflow
def uses_refs(x: int) -> tuple[int, int, int]:
    d = double(x=x)
    return d, add_wf(a=d, b=5), scaled(a=x)
"""


def _consumer(tmp_path: Path, wf_version: str = "v1", scaled_extra: str = "") -> Path:
    folder = tmp_path / f"consumer_{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    path = folder / f"refs_{uuid.uuid4().hex[:10]}.py"
    path.write_text(
        textwrap.dedent(CONSUMER.format(wf_version=wf_version, scaled_extra=scaled_extra))
    )
    return path


def _versions(r: Any, rt: ResourceType, name: str, project: str) -> list[str]:
    return sorted(e.id.version for e in r.list_entities(rt, name, project=project))


def test_references_run_as_child_executions_on_the_server(tmp_path: Path) -> None:
    from slipstream.remote import Remote

    with cluster("sqlite", tmp_path) as c:
        c.server().start()
        c.wait_ready()
        with Remote(c.url, project="proj", domain="development") as r:
            r.create_project("lib")
            r.create_project("proj")
            r.register(FLOWS / "ref_provider.py", version="v1", project="lib")
            consumer = _consumer(tmp_path)
            reg = r.register(consumer, version="c1")
            created = {(i.resource_type, i.project, i.name) for i in reg.created}
            # the stubs are not registered: neither in lib nor in proj
            assert not any(p == "lib" for _, p, _ in created), created
            assert not any(n.endswith((".double", ".add_wf", "scaled")) for _, _, n in created)
            assert _versions(r, ResourceType.TASK, "ref_provider.double", "lib") == ["v1"]

            rec = r.execute(f"{consumer.stem}.uses_refs", {"x": 3}, wait=True, timeout=120)
            assert rec.phase.value == "SUCCEEDED", rec.error
            assert r.outputs(rec) == {"o0": 6, "o1": 17, "o2": 106}

            nodes = {n.path: n for n in r.node_executions(rec)}
            assert len(nodes) == 3
            children = []
            for n in nodes.values():
                assert n.phase.value == "SUCCEEDED"
                assert n.child is not None and n.child.project == "lib", n
                children.append(r.fetch_execution(n.child))
            targets = sorted(ch.spec.target.name for ch in children)
            assert targets == ["ref_provider.add_wf", "ref_provider.add_wf", "ref_provider.double"]
            assert all(ch.spec.parent_execution == rec.id for ch in children)

            # a failing referenced entity fails the node, with the child's error
            bad = r.execute(f"{consumer.stem}.uses_refs", {"x": -1}, wait=True, timeout=120)
            assert bad.phase.value == "FAILED"
            assert bad.error is not None
            assert re.search(r"negative: -[24]", bad.error.message), bad.error.message


def test_registration_checks_stubs_against_the_registered_interfaces(tmp_path: Path) -> None:
    from slipstream.remote import Remote

    with cluster("sqlite", tmp_path) as c:
        c.server().start()
        c.wait_ready()
        with Remote(c.url, project="proj", domain="development") as r:
            r.create_project("lib")
            r.create_project("proj")
            r.register(FLOWS / "ref_provider.py", version="v1", project="lib")
            # the launch plan fixes b: a stub that passes it does not match
            with pytest.raises(ValidationError, match=r"input 'b' of the stub is not an input"):
                r.register(_consumer(tmp_path, scaled_extra=", b: int = 0"), version="c2")
            with pytest.raises(NotFoundError, match=r"ref_provider.add_wf@v9: no such entity"):
                r.register(_consumer(tmp_path, wf_version="v9"), version="c3")
            # an empty version is the newest one, both when checked and when run
            newest = _consumer(tmp_path, wf_version="")
            r.register(newest, version="c4")
            rec = r.execute(f"{newest.stem}.uses_refs", {"x": 1}, wait=True, timeout=120)
            assert rec.phase.value == "SUCCEEDED", rec.error
            assert r.outputs(rec) == {"o0": 2, "o1": 9, "o2": 102}
