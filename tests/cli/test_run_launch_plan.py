"""``slipstream run FILE LAUNCH_PLAN``: defaults and fixed inputs of the plan apply."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

from click.testing import CliRunner

from slipstream.cli import main

SOURCE = textwrap.dedent(
    """
    from slipstream import LaunchPlan, task, workflow


    @task
    def add(a: int, b: int) -> int:
        return a + b


    @workflow
    def wf(a: int, b: int = 1) -> int:
        return add(a=a, b=b)


    lp = LaunchPlan.get_or_create(wf, name="plus_ten_{suffix}", fixed_inputs={{"b": 10}})
    """
)


def _file(tmp_path: Path) -> Path:
    suffix = uuid.uuid4().hex[:8]
    path = tmp_path / f"lp_{suffix}.py"
    path.write_text(SOURCE.format(suffix=suffix))
    return path


def test_a_launch_plan_runs_with_its_fixed_inputs(tmp_path: Path) -> None:
    path = _file(tmp_path)
    result = CliRunner().invoke(
        main, ["run", "--runner", "inline", str(path), "lp", "--a", "5", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"o0": 15}


def test_a_fixed_input_is_not_an_option(tmp_path: Path) -> None:
    path = _file(tmp_path)
    result = CliRunner().invoke(main, ["run", str(path), "lp", "--a", "5", "--b", "3"])
    assert result.exit_code == 2
    assert "--b" in result.output
