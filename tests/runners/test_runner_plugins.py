"""Runners load by name through the ``slipstream.runners`` entry points: slipstream's own, and one
a separate package declares (a real distribution's metadata on sys.path)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from slipstream.errors import ConfigError
from slipstream.runners import InlineRunner, RunnerOptions, load_runner, make_runner


def test_the_built_in_runners_load_by_name() -> None:
    r = make_runner("inline")
    try:
        assert r.name == "inline"
    finally:
        r.close()


def test_a_runner_of_another_package_loads_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_runner_plugin.py").write_text(
        textwrap.dedent(
            """
            from slipstream.runners import InlineRunner

            class MyRunner(InlineRunner):
                name = "mine"

                def __init__(self, workers):
                    super().__init__()
                    self.workers = workers

            def factory(options):
                return MyRunner(options.workers)
            """
        )
    )
    dist = tmp_path / "my_runner_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-runner-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[slipstream.runners]\nmine = my_runner_plugin:factory\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    r = load_runner("mine", RunnerOptions(workers=3))
    try:
        assert r.name == "mine"
        inner = r.inner  # type: ignore[attr-defined]
        assert isinstance(inner, InlineRunner) and inner.workers == 3  # type: ignore[attr-defined]
    finally:
        r.close()
    with pytest.raises(ConfigError, match=r"unknown runner 'nope'; use .*'inline', .*'mine'"):
        load_runner("nope")
