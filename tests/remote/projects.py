"""Small user projects written to disk, for registration tests and benchmarks."""

from __future__ import annotations

import uuid
from pathlib import Path

MODULE = """
from slipstream import LaunchPlan, Resources, task, workflow


@task(requests=Resources(cpu="1", mem="256Mi"))
def double(x: int) -> int:
    return 2 * x


@task
def add(a: int, b: int) -> int:
    return a + b


@workflow
def pipeline(x: int = 3) -> int:
    return add(a=double(x=x), b=x)


nightly = LaunchPlan.get_or_create(pipeline, name="{package}.nightly", default_inputs={{"x": 5}})
"""


def write_project(root: Path, modules: int = 1) -> tuple[Path, str]:
    """A package with a unique name under ``root``: ``modules`` modules of two tasks, a
    workflow and a named launch plan each. Returns the package directory and its name."""
    package = f"pkg_{uuid.uuid4().hex[:10]}"
    pkg = root / package
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for i in range(modules):
        (pkg / f"mod{i}.py").write_text(MODULE.format(package=f"{package}.mod{i}"))
    return pkg, package
