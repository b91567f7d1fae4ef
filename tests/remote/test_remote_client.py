"""``Remote`` against a real server: registration of a project from disk, version defaults,
fetches and lists, settings, promotion, and errors."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer, unique
from projects import write_project

from slipstream.errors import ConflictError, NotFoundError, RemoteError, ValidationError
from slipstream.model import CompiledWorkflow, LaunchPlanSpec, ResourceSpec, TaskTemplate
from slipstream.model._admin import Settings
from slipstream.remote import Remote, build_bundle


@pytest.fixture
def remote(server: LiveServer) -> Iterator[Remote]:
    with Remote(server.url, unique("rp"), "development") as r:
        assert r.default_project
        r.create_project(r.default_project)
        yield r


def test_register_fetch_list(remote: Remote, tmp_path: Path) -> None:
    pkg, name = write_project(tmp_path, modules=2)
    done = remote.register(pkg)
    digest = build_bundle(tmp_path).digest
    assert done.bundle == digest and done.version == digest[:24] and done.uploaded
    kinds = sorted(i.resource_type.value for i in done.created)
    # per module: 2 tasks, 1 workflow, the named and the default launch plan
    assert kinds == ["launch_plan"] * 4 + ["task"] * 4 + ["workflow"] * 2
    again = remote.register(pkg)
    assert not again.uploaded and again.created == () and len(again.unchanged) == 10

    wf = remote.fetch_workflow(f"{name}.mod0.pipeline")
    assert isinstance(wf, CompiledWorkflow)
    assert wf.workflow.id.version == done.version
    assert all(t.id.version == done.version for t in wf.tasks.values())
    task = remote.fetch_task(f"{name}.mod0.double", done.version)
    assert isinstance(task, TaskTemplate) and task.requests.cpu == "1"
    lp = remote.fetch_launch_plan(f"{name}.mod1.nightly")
    assert isinstance(lp, LaunchPlanSpec) and lp.workflow.name == f"{name}.mod1.pipeline"
    assert lp.default_inputs
    names = {r.id.name for r in remote.list_tasks()}
    assert f"{name}.mod1.add" in names
    assert len(remote.list_tasks(limit=3)) == 3

    (pkg / "mod0.py").write_text((pkg / "mod0.py").read_text().replace("2 * x", "3 * x"))
    changed = remote.register(pkg)
    assert changed.version != done.version and changed.uploaded
    assert remote.fetch_workflow(f"{name}.mod0.pipeline").workflow.id.version == changed.version
    with pytest.raises(ConflictError, match="bundle"):
        remote.register(pkg, version=done.version)


def test_version_is_the_git_commit_when_clean(remote: Remote, tmp_path: Path) -> None:
    pkg, _ = write_project(tmp_path)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    (tmp_path / ".gitignore").write_text("__pycache__/\n")
    git("add", ".")
    git("commit", "-q", "-m", "init")
    head = git("rev-parse", "HEAD")
    assert remote.register(pkg).version == head
    (pkg / "extra.py").write_text("X = 1\n")
    dirty = remote.register(pkg)
    assert dirty.version == build_bundle(tmp_path).digest[:24]


def test_settings_and_promotion(remote: Remote, tmp_path: Path) -> None:
    pkg, name = write_project(tmp_path)
    done = remote.register(pkg, version="1.0")
    remote.set_settings(Settings(max_resources=ResourceSpec(cpu="500m")), domain="production")
    remote.set_settings(Settings(labels={"team": "ml"}))
    assert remote.get_settings().labels == {"team": "ml"}
    assert remote.resolved_settings(domain="production").labels == {"team": "ml"}
    record = remote.promote(
        "workflow",
        f"{name}.mod0.pipeline",
        done.version,
        from_domain="development",
        to_domain="staging",
    )
    assert record.promoted_by and len(record.entities) == 5
    assert remote.fetch_launch_plan(f"{name}.mod0.nightly", "1.0", domain="staging")
    with pytest.raises(ValidationError, match="above the maximum"):
        remote.promote(
            "workflow",
            f"{name}.mod0.pipeline",
            "1.0",
            from_domain="staging",
            to_domain="production",
        )
    assert [p.to_domain for p in remote.list_promotions()] == ["staging"]


def test_errors(remote: Remote) -> None:
    with pytest.raises(NotFoundError, match="not registered"):
        remote.fetch_task("nope.task")
    with pytest.raises(ConflictError):
        remote.create_project(remote.default_project or "")
    with Remote("http://127.0.0.1:9", "p") as unreachable, pytest.raises(RemoteError):
        unreachable.list_projects()
