"""Checking that an environment spec can be resolved, without building it: what registration does,
so that a spec naming a package or version that does not exist fails there, with the resolver's own
message, instead of at the first run.

The check is ``uv pip compile`` of the spec's packages with slipstream's own dependencies, for the
spec's Python version. A spec that resolved once (or whose environment is built on this host) is
remembered under ``$SLIPSTREAM_HOME/envs/.resolved/<key>``, so registering the same code again costs
a ``stat``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from slipstream.errors import EnvironmentBuildError
from slipstream.model import EnvironmentSpec

from ._build import MARKER, _uv, env_dir, envs_root
from ._spec import _python_here, core_requirements, env_key, refuse_image_only

__all__ = ["check_resolvable"]

_TIMEOUT_S = 300.0


def _resolved_marker(spec: EnvironmentSpec) -> Path:
    return envs_root() / ".resolved" / env_key(spec)


def check_resolvable(spec: EnvironmentSpec, task: str = "") -> bool:
    """Raise :class:`EnvironmentBuildError` (with uv's message) when ``spec`` cannot be resolved
    or asks for what only an image build gives; True when the resolver ran, False when the answer
    was already known on this host."""
    refuse_image_only(spec, "the local pool or Ray", task)
    if (env_dir(spec) / MARKER).exists() or _resolved_marker(spec).exists():
        return False
    who = f"task {task}: " if task else ""
    lines = [*core_requirements(), *spec.packages, *spec.requirements]
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    with tempfile.TemporaryDirectory(prefix="slipstream-resolve-") as tmp:
        reqs = Path(tmp) / "requirements.in"
        reqs.write_text("\n".join(lines) + "\n")
        cmd = [_uv(), "pip", "compile", "--quiet", "--no-header", str(reqs)]
        cmd += ["--python-version", spec.python_version or _python_here()]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, env=env, timeout=_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise EnvironmentBuildError(
                f"{who}resolving the ImageSpec's packages took over {_TIMEOUT_S:.0f} s"
            ) from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()[-30:]
        raise EnvironmentBuildError(
            f"{who}the ImageSpec's packages cannot be resolved:\n" + "\n".join(message)
        )
    marker = _resolved_marker(spec)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(done.stdout)
    return True
