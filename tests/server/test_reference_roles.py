"""A reference to another project runs as the user who launched the workflow, on a real server
with its engine: a launcher of the calling project who holds no role in the referenced one gets
a failed node saying which role is missing, and no execution is started in that project; given
the role, the same launch runs the child, recorded as launched by that user."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
from engine_procs import FLOWS
from live_server import LiveServer, unique

pytestmark = pytest.mark.timeout(240)

CONSUMER = """
from slipstream import reference_launch_plan, workflow


@reference_launch_plan("{lib}", "development", "scaled", "v1")
def scaled(a: int) -> int: ...


@workflow
def calls_lib(x: int) -> int:
    return scaled(a=x)
"""


def test_a_child_in_another_project_needs_the_launching_users_role_there(
    server: LiveServer, tmp_path: Path
) -> None:
    from slipstream.remote import Remote

    lib, proj, user = unique("lib"), unique("proj"), unique("dave")
    folder = tmp_path / f"consumer_{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    consumer = folder / f"calls_{uuid.uuid4().hex[:8]}.py"
    consumer.write_text(textwrap.dedent(CONSUMER.replace("{lib}", lib)))
    url = server.url
    with Remote(url, project=proj, domain="development", token=server.token) as admin:
        admin.create_project(lib)
        admin.create_project(proj)
        admin.register(FLOWS / "ref_provider.py", version="v1", project=lib)
        admin.register(consumer, version="c1")  # the admin may launch in lib
        admin.access.create_user(user)
        admin.access.grant(user, "launcher", proj)
        token = admin.access.create_token(user).token
        with Remote(url, project=proj, domain="development", token=token) as dave:
            rec = dave.execute(f"{consumer.stem}.calls_lib", {"x": 3}, wait=True, timeout=120)
        assert rec.phase.value == "FAILED", rec.spec.launched_by
        assert rec.error is not None
        message = rec.error.message
        assert f"launcher role on project {lib!r}" in message and repr(user) in message, message
        assert rec.spec.launched_by == user
        assert admin.recent_executions(project=lib) == []
        admin.access.grant(user, "launcher", lib)
        with Remote(url, project=proj, domain="development", token=token) as dave:
            ok = dave.execute(f"{consumer.stem}.calls_lib", {"x": 3}, wait=True, timeout=120)
            assert ok.phase.value == "SUCCEEDED", ok.error
            assert dave.outputs(ok) == {"o0": 106}
            (node,) = dave.node_executions(ok)
            assert node.child is not None and node.child.project == lib
            assert dave.fetch_execution(node.child).spec.launched_by == user
