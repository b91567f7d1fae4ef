"""An ``ImageSpec`` as the environment a task's attempts run in.

slipstream builds no images on its own runners: the spec's Python packages become a virtual
environment (the local pool, built with uv) or a Ray ``runtime_env``. The requirements file is read
here, where the task is defined, so that the spec travels whole with the task's template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slipstream.errors import CompileError
from slipstream.model import EnvironmentSpec

__all__ = ["environment_of"]


def environment_of(image: Any, where: str = "") -> EnvironmentSpec | None:
    """The environment an ``ImageSpec`` asks for; None for no image or an image named by a string
    (an image name is kept as the task's ``container_image`` and builds nothing)."""
    if image is None or isinstance(image, str):
        return None
    packages = getattr(image, "packages", None) or []
    req_file = getattr(image, "requirements", None)
    lines: list[str] = []
    if req_file:
        path = Path(req_file)
        try:
            text = path.read_text()
        except OSError as e:
            raise CompileError(
                f"ImageSpec requirements file {req_file!r} cannot be read: {e.strerror or e}",
                location=where,
            ) from None
        for raw in text.splitlines():
            line = raw.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    for p in packages:
        if not isinstance(p, str) or not p.strip():
            raise CompileError(
                f"ImageSpec packages must be requirement strings, got {p!r}", location=where
            )
    version = getattr(image, "python_version", None) or ""
    return EnvironmentSpec(
        name=str(getattr(image, "name", "") or ""),
        python_version=str(version),
        packages=tuple(p.strip() for p in packages),
        requirements=tuple(lines),
        env=dict(getattr(image, "env", None) or {}),
        apt_packages=tuple(getattr(image, "apt_packages", None) or ()),
        base_image=str(getattr(image, "base_image", None) or ""),
    )
