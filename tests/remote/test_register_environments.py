"""Registration resolves each task's ``ImageSpec`` (without building it): a spec that cannot be
resolved is refused there with the resolver's own message, and nothing is registered; a spec that
resolved once is not resolved again."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import LiveServer, unique

from slipstream.errors import EnvironmentBuildError
from slipstream.remote import Remote

MODULE = """
from slipstream import ImageSpec, task, workflow


@task(container_image=ImageSpec(packages=[{package!r}]))
def shout(x: str) -> str:
    return x.upper()


@workflow
def wf(x: str = "a") -> str:
    return shout(x=x)
"""


@pytest.fixture
def remote(server: LiveServer) -> Iterator[Remote]:
    with Remote(server.url, unique("env"), "development") as r:
        assert r.default_project
        r.create_project(r.default_project)
        yield r


def _code(tmp_path: Path, package: str) -> Path:
    name = f"envreg_{uuid.uuid4().hex[:10]}"
    pkg = tmp_path / "code" / name
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "flows.py").write_text(MODULE.format(package=package))
    sys.path.insert(0, str(tmp_path / "code"))
    return pkg / "flows.py"


def test_an_unresolvable_spec_fails_registration_with_the_resolvers_message(
    remote: Remote, tmp_path: Path
) -> None:
    file = _code(tmp_path, "slipstream-test-no-such-package-zz==9.9")
    with pytest.raises(EnvironmentBuildError) as err:
        remote.register(file, version="v1")
    message = str(err.value)
    assert "task " in message and "shout" in message
    assert "cannot be resolved" in message
    assert "slipstream-test-no-such-package-zz" in message  # uv's own words name the package
    assert remote.list_tasks() == [] and remote.list_workflows() == []  # nothing registered


def test_a_resolvable_spec_registers_and_is_resolved_once(
    remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slipstream.runners import _envs
    from slipstream.runners._envs import _resolve

    file = _code(tmp_path, "inflection==0.5.1")
    calls: list[bool] = []
    real = _resolve.check_resolvable

    def counting(spec: object, task: str = "") -> bool:
        ran = real(spec, task)  # type: ignore[arg-type]
        calls.append(ran)
        return ran

    monkeypatch.setattr(_envs, "check_resolvable", counting)
    first = remote.register(file, version="v1")
    assert first.created
    second = remote.register(file, version="v1")
    assert not second.created
    assert calls == [True, False]  # the resolver ran for the first registration only
