"""ImageSpec environments on the local pool: built once with uv, reused, one per spec.

These build real environments with a small pure-Python package from the package index
(``inflection``, two versions).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import env_flows as flows
import pytest

from slipstream.model import EnvironmentSpec
from slipstream.runners import execute_local
from slipstream.runners._envs import build_env, env_key, list_envs, prune_envs

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SLIPSTREAM_HOME", str(home))
    return home


def test_each_task_sees_its_own_environment_and_the_next_run_reuses_them(_home: Path) -> None:
    run = execute_local(flows.versions, {}, runner="local", workers=1)
    assert run.python_outputs() == ("0.5.0", "0.5.1", "cannot import inflection")
    envs = {e.key: e for e in list_envs()}
    assert set(envs) == {
        env_key(flows.old.template.environment_spec),
        env_key(  # type: ignore[arg-type]
            flows.new.template.environment_spec  # type: ignore[arg-type]
        ),
    }
    made = {k: e.created_at for k, e in envs.items()}
    again = execute_local(flows.versions, {}, runner="local", workers=1)
    assert again.python_outputs() == ("0.5.0", "0.5.1", "cannot import inflection")
    assert {e.key: e.created_at for e in list_envs()} == made  # not built again


def test_reuse_is_a_lookup_without_the_resolver() -> None:
    spec = EnvironmentSpec(packages=("inflection==0.5.1",))
    first = build_env(spec)
    assert first.built and first.python.exists()
    second = build_env(spec)
    assert not second.built and second.path == first.path
    assert second.seconds < 0.5  # a lookup: no resolver, no install


def test_the_key_ignores_the_name_and_follows_the_packages() -> None:
    a = EnvironmentSpec(name="a", packages=("inflection==0.5.1",))
    b = EnvironmentSpec(name="b", packages=("inflection==0.5.1",))
    c = EnvironmentSpec(packages=("inflection==0.5.0",))
    assert env_key(a) == env_key(b) != env_key(c)


def test_apt_packages_are_refused_with_a_message_that_says_so() -> None:
    run = execute_local(flows.with_apt, {}, runner="local", workers=1)
    err = run.executor.record.error
    assert err is not None and err.code == "environment_build_failed"
    assert "apt_packages (git) need an image build" in err.message


def test_an_unresolvable_spec_fails_with_the_resolvers_message() -> None:
    run = execute_local(flows.unresolvable, {}, runner="local", workers=1)
    err = run.executor.record.error
    assert err is not None and err.code == "environment_build_failed"
    assert "uv could not build the environment" in err.message
    assert "slipstream-test-no-such-package-zz" in err.message  # uv's own words name it
    assert list_envs() == []  # nothing half-built is left as an environment


_GOOD = """
from slipstream import ImageSpec, task

@task(container_image=ImageSpec(packages=["inflection==0.5.0"]))
def old() -> str:
    return "x"

@task(container_image=ImageSpec(packages=["inflection==0.5.1"]))
def new() -> str:
    return "x"
"""


def test_env_cli_build_list_prune(_home: Path, tmp_path: Path) -> None:
    import os

    code = tmp_path / "code"
    code.mkdir()
    (code / "good.py").write_text(_GOOD)
    exe = str(Path(sys.executable).parent / "slipstream")
    env = {**os.environ, "SLIPSTREAM_HOME": str(_home)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args], capture_output=True, text=True, env=env, check=False, timeout=150
        )

    built = cli("env", "build", str(code / "good.py"), "--json")
    assert built.returncode == 0, built.stdout + built.stderr
    rows = json.loads(built.stdout)
    assert sorted(r["tasks"][0] for r in rows) == ["good.new", "good.old"]
    assert all(r["built"] for r in rows)
    again = json.loads(cli("env", "build", str(code / "good.py"), "--json").stdout)
    assert not any(r["built"] for r in again)
    listed = json.loads(cli("env", "list", "--json").stdout)
    keys = {e["key"] for e in listed}
    assert keys == {r["key"] for r in rows}
    assert any("inflection==0.5.0" in e["installed"] for e in listed)
    nothing = cli("env", "prune")
    assert nothing.returncode != 0 and "--all" in nothing.stdout + nothing.stderr
    pruned = cli("env", "prune", "--all", "--json")
    assert set(json.loads(pruned.stdout)["removed"]) == keys
    assert list_envs() == []


def test_prune_older_than_keeps_what_was_used() -> None:
    spec = EnvironmentSpec(packages=("inflection==0.5.1",))
    build_env(spec)
    assert prune_envs(older_than_s=3600) == []
    time.sleep(0.01)
    assert prune_envs(older_than_s=0) == [env_key(spec)]
