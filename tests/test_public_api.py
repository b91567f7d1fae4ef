"""The public surface of each layer is pinned: an API change shows up in review as a change of
tests/public_api.txt (regenerate with ``python tests/test_public_api.py``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

PINNED = Path(__file__).with_name("public_api.txt")
LAYERS = (
    "slipstream",
    "slipstream.errors",
    "slipstream.model",
    "slipstream.types",
    "slipstream.storage",
    "slipstream.sdk",
    "slipstream.engine",
    "slipstream.runners",
)
# the client and where it finds its server, and flytekit's module paths (each public module under
# them is pinned, so that a name flytekit programs import cannot vanish unnoticed)
SURFACES = (
    "slipstream.remote",
    "slipstream.configuration",
    "slipstream.core",
    "slipstream.deck",
    "slipstream.extend",
    "slipstream.testing",
    "slipstream.exceptions",
    "slipstream.models",
    "slipstream.types.directory",
    "slipstream.types.error",
    "slipstream.types.file",
    "slipstream.types.pickle",
    "slipstream.types.schema",
    "slipstream.types.structured",
)


def _public_modules(root: str) -> list[str]:
    """``root`` and every module under it whose name has no leading underscore."""
    package = importlib.import_module(root)
    found = [root]
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), f"{root}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return found


PACKAGES = LAYERS + tuple(m for root in SURFACES for m in _public_modules(root))


def current() -> dict[str, list[str]]:
    """Each package's ``__all__``, sorted."""
    return {p: sorted(importlib.import_module(p).__all__) for p in PACKAGES}


def pinned() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    package = ""
    for line in PINNED.read_text().splitlines():
        if line.startswith("[") and line.endswith("]"):
            package = line[1:-1]
            out[package] = []
        elif line.strip():
            out[package].append(line.strip())
    return out


def render(api: dict[str, list[str]]) -> str:
    return "\n".join(f"[{p}]\n" + "\n".join(names) + "\n" for p, names in api.items())


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_are_pinned(package: str) -> None:
    assert current()[package] == pinned().get(package), (
        f"the public names of {package} changed; if intended, run "
        "`python tests/test_public_api.py` and commit tests/public_api.txt"
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_exists(package: str) -> None:
    mod = importlib.import_module(package)
    for name in mod.__all__:
        assert getattr(mod, name, None) is not None, f"{package}.{name} is in __all__ but missing"


if __name__ == "__main__":
    PINNED.write_text(render(current()))
    sys.stdout.write(f"wrote {PINNED}\n")
