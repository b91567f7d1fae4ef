"""One warm worker runs attempts of several code versions: a request whose code root differs from
the last one gets its own version of a module, never the one already imported from another root."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from runner_requests import MakeRequest, wait_for

from slipstream.model import TaskTemplate
from slipstream.runners import LocalRunner
from slipstream.sdk import TASKS

VERSION = textwrap.dedent(
    """
    from slipstream import task

    from iso_helper import SUFFIX


    @task
    def which(x: int) -> str:
        return "{tag}:" + str(x) + SUFFIX
    """
)


def _root(base: Path, tag: str) -> Path:
    root = base / tag
    root.mkdir()
    (root / "iso_mod.py").write_text(VERSION.format(tag=tag))
    (root / "iso_helper.py").write_text(f"SUFFIX = '-{tag}-helper'\n")
    return root


def _template(root: Path) -> TaskTemplate:
    """The task's template, imported here and then forgotten (as a registration would)."""
    sys.path.insert(0, str(root))
    try:
        import iso_mod

        return iso_mod.which.template
    finally:
        sys.path.remove(str(root))
        for name in ("iso_mod", "iso_helper"):
            sys.modules.pop(name, None)
        for key in [k for k in TASKS if k[0] == "iso_mod"]:
            del TASKS[key]


def test_one_worker_runs_each_version_from_its_own_root(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    v1, v2 = _root(tmp_path, "v1"), _root(tmp_path, "v2")
    template = _template(v1)
    with LocalRunner(workers=1) as runner:
        outputs = []
        for i, root in enumerate([v1, v2, v2, v1]):
            runner.submit(make_request(template, {"x": i}, code_root=str(root)))
            (result,) = wait_for(runner, 1)
            assert result.ok, result.error
            assert result.outputs is not None
            outputs.append(result.outputs["o0"])
    assert outputs == ["v1:0-v1-helper", "v2:1-v2-helper", "v2:2-v2-helper", "v1:3-v1-helper"]


def test_versions_in_one_batch_switch_too(tmp_path: Path, make_request: MakeRequest) -> None:
    v1, v2 = _root(tmp_path, "v1"), _root(tmp_path, "v2")
    template = _template(v1)
    with LocalRunner(workers=1) as runner:
        reqs = [make_request(template, {"x": i}, code_root=str(r)) for i, r in enumerate([v2, v1])]
        for r in reqs:
            runner.submit(r)
        results = {r.node: r for r in wait_for(runner, 2)}
    assert [results[r.node].outputs for r in reqs] == [
        {"o0": "v2:0-v2-helper"},
        {"o0": "v1:1-v1-helper"},
    ]
