"""The layers of docs/architecture.md import downward only, with no cycle, not even deferred."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "slipstream"

# rank of each layer: a module may import only layers of a lower rank (or its own layer)
RANKS = {
    "_hooks": 0,
    "errors": 0,
    "model": 1,
    "storage": 2,
    "types": 3,
    "sdk": 4,
    "extras": 4.5,  # flytekit module-path twins over the SDK
    "deck": 4.5,
    "engine": 5,
    "runners": 6,
    "server": 7,
    "remote": 7,
    "cli": 9,
}
ROOT_RANK = 10  # slipstream/__init__.py wires the layers together


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "slipstream":
        return None
    if len(parts) == 1:
        return ""
    return parts[1].removesuffix(".py")


def _imports(path: Path, module: str) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[str, int]] = []
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):  # every import, including those deferred into functions
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((target, node.lineno))
    return out


def _modules() -> list[tuple[Path, str]]:
    mods = []
    for p in sorted(SRC.rglob("*.py")):
        rel = p.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods.append((p, ".".join(parts)))
    return mods


def test_every_package_has_a_rank() -> None:
    for p in SRC.iterdir():
        if p.name.startswith("_") or p.name.startswith("."):
            continue
        name = p.name.removesuffix(".py")
        if p.is_dir() or p.suffix == ".py":
            assert name in RANKS, f"slipstream.{name} has no place in the layer table"


@pytest.mark.parametrize(("path", "module"), _modules(), ids=lambda x: str(x))
def test_imports_point_down(path: Path, module: str) -> None:
    own = _layer(module)
    own_rank = ROOT_RANK if own == "" else RANKS[own or ""]
    for target, line in _imports(path, module):
        layer = _layer(target)
        if layer is None or layer == own:
            continue
        rank = ROOT_RANK if layer == "" else RANKS.get(layer)
        assert rank is not None, f"{module}:{line} imports unknown slipstream.{layer}"
        assert rank < own_rank or (rank == own_rank and layer == own), (
            f"{path.relative_to(SRC.parent)}:{line}: {own or 'slipstream'} (rank {own_rank}) "
            f"imports {target} (rank {rank}): layers import downward only"
        )


def test_import_slipstream_loads_no_heavy_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import slipstream; "
        "heavy = [m for m in ('pandas', 'pyarrow', 'numpy', 'polars', 'sqlalchemy', 'fastapi', "
        "'fsspec', 'rich', 'click', 'pydantic', 'httpx', 'cloudpickle') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import slipstream loaded {out.stdout.strip()}"
