"""What an environment spec is keyed by, what these runners refuse, and its Ray ``runtime_env``."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import sys
from typing import Any

import msgspec

from slipstream.errors import EnvironmentBuildError
from slipstream.model import EnvironmentSpec

__all__ = ["core_requirements", "env_key", "refuse_image_only", "runtime_env_of"]

_KEY_VERSION = "1"
_keys: dict[bytes, str] = {}


def env_key(spec: EnvironmentSpec) -> str:
    """The hash an environment is built and found under (its name does not count).

    The same spec gives the same key on every host and on Ray; the key also covers the Python
    version the environment will have (the runner's own when the spec names none) and
    slipstream's own dependencies, which every environment holds beside the spec's packages (a
    slipstream that needs more builds new environments instead of reusing ones that lack it).
    """
    raw = msgspec.json.encode(spec)
    hit = _keys.get(raw)
    if hit is not None:
        return hit
    body = msgspec.structs.replace(
        spec, name="", python_version=spec.python_version or _python_here()
    )
    h = hashlib.sha256(_KEY_VERSION.encode() + b"\0" + msgspec.json.encode(body))
    h.update(b"\0" + "\n".join(core_requirements()).encode())
    digest = h.hexdigest()[:24]
    _keys[raw] = digest
    return digest


@functools.cache
def core_requirements() -> tuple[str, ...]:
    """slipstream's own dependencies (no extras): what its worker needs to import."""
    try:
        reqs = importlib.metadata.requires("slipstream") or []
    except importlib.metadata.PackageNotFoundError:
        reqs = []
    return tuple(r for r in reqs if "extra ==" not in r)


def _python_here() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def refuse_image_only(spec: EnvironmentSpec, runner: str, task: str = "") -> None:
    """Raise when ``spec`` asks for what only an image build gives (system packages, a base
    image): ``runner`` builds Python environments, not images."""
    who = f"task {task}: " if task else ""
    if spec.apt_packages:
        raise EnvironmentBuildError(
            f"{who}ImageSpec apt_packages ({', '.join(spec.apt_packages)}) need an image build, "
            f"which {runner} does not do; install them on the hosts, or drop them from the spec"
        )
    if spec.base_image:
        raise EnvironmentBuildError(
            f"{who}ImageSpec base_image {spec.base_image!r} needs an image build, which {runner} "
            "does not do; tasks run on the hosts' own system with a Python environment built "
            "from the spec's packages"
        )


def runtime_env_of(spec: EnvironmentSpec) -> dict[str, Any]:
    """The Ray ``runtime_env`` for ``spec``: its packages installed with uv beside the worker's
    own packages, and its variables. Ray cannot change a worker's Python, so a spec that names
    another version than the cluster's is refused."""
    refuse_image_only(spec, "the Ray runner")
    if spec.python_version and not _same_python(spec.python_version):
        raise EnvironmentBuildError(
            f"ImageSpec python_version {spec.python_version} differs from the Ray workers' "
            f"Python {_python_here()}; Ray runs every task of a cluster on one Python"
        )
    out: dict[str, Any] = {}
    packages = [*spec.packages, *spec.requirements]
    if packages:
        out["uv"] = {"packages": packages}
    env = dict(spec.env)
    env["SLIPSTREAM_ENV_KEY"] = env_key(spec)
    out["env_vars"] = env
    return out


def _same_python(version: str) -> bool:
    parts = version.split(".")
    here = [str(sys.version_info.major), str(sys.version_info.minor), str(sys.version_info.micro)]
    return parts == here[: len(parts)]
