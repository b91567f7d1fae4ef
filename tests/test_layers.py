"""The layers of docs/architecture.md import downward only, with no cycle, not even deferred."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "slipstream"

# rank of each layer: a module may import only layers of a lower rank (or its own layer)
RANKS = {
    "_hooks": 0,
    "_processes": 0,
    "_plugins": 0,
    "errors": 0,
    "model": 1,
    "storage": 2,
    "types": 3,
    "sdk": 4,
    "extras": 4.5,  # flytekit module-path twins over the SDK
    "deck": 4.5,
    "core": 4.5,  # flytekit.core.* module-path twins
    "extend": 4.5,
    "testing": 4.5,
    "exceptions": 4.5,
    "models": 4.5,  # flytekit.models.* twins (the literal classes of custom transformers)
    "configuration": 4.5,  # where clients find the server (+ flytekit.configuration's names)
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


# Rooms of the control plane (docs/architecture.md): each reaches the others only through a small
# interface. The engine host never imports the API; the API never imports the engine host; the
# console and the scheduler call services and never import the engine, the runners or the host.
_ROOM_RULES = {
    "slipstream.server._host": ("slipstream.server._api", "slipstream.server._console",
                                "slipstream.server._scheduler"),
    "slipstream.server._api": ("slipstream.server._host", "slipstream.engine",
                               "slipstream.runners"),
    "slipstream.server._console": ("slipstream.server._host", "slipstream.engine",
                                   "slipstream.runners"),
    "slipstream.server._scheduler": ("slipstream.server._host", "slipstream.engine",
                                     "slipstream.runners", "slipstream.server._api"),
    "slipstream.server._retention": ("slipstream.server._host", "slipstream.engine",
                                     "slipstream.runners", "slipstream.server._api",
                                     "slipstream.server._console", "slipstream.server._scheduler"),
    "slipstream.server._clusters": ("slipstream.server._host", "slipstream.engine",
                                    "slipstream.runners", "slipstream.server._api",
                                    "slipstream.server._console", "slipstream.server._scheduler",
                                    "slipstream.server._retention"),
}  # fmt: skip

# From the bottom (docs/architecture.md, "Rooms inside server/"): a room imports only rooms of a
# lower step, never one of its own step or above; no room but the API and the console imports the
# composition root, and they only its services. Only the engine host imports the engine; only the
# host and the projects' secret store (where a pool looks for secrets) import the runners.
_S = "slipstream.server."
_ROOM_ORDER = (
    ("_database",),
    ("_clusters", "_metrics"),
    ("_auth",),
    ("_projects",),
    ("_registry",),
    ("_executions",),
    ("_lineage", "_retention", "_scheduler"),
    ("_host",),
    ("_api", "_console"),
)
_COMPOSITION_ROOT = ("_services", "_app", "_serve")
for _step, _rooms in enumerate(_ROOM_ORDER):
    for _room in _rooms:
        _above = [_S + r for later in _ROOM_ORDER[_step:] for r in later if r != _room]
        _root = [
            _S + m
            for m in _COMPOSITION_ROOT
            if _room not in ("_api", "_console") or m != "_services"
        ]
        _outer = [
            lib
            for lib in ("slipstream.engine", "slipstream.runners")
            if _room != "_host" and (_room != "_projects" or lib == "slipstream.engine")
        ]
        _ROOM_RULES[_S + _room] = tuple(dict.fromkeys(
            (*_ROOM_RULES.get(_S + _room, ()), *_above, *_root, *_outer)))  # fmt: skip


@pytest.mark.parametrize(("path", "module"), _modules(), ids=lambda x: str(x))
def test_only_the_composition_root_imports_the_api_and_the_console(path: Path, module: str) -> None:
    """Each of ``server/_api`` and ``server/_console`` is imported by itself and by the
    composition root (``server/_app.py``) alone."""
    for room in (_S + "_api", _S + "_console"):
        if module in (room, _S + "_app") or module.startswith(room + "."):
            continue
        for target, line in _imports(path, module):
            assert not (target == room or target.startswith(room + ".")), (
                f"{module}:{line} imports {target}: only server/_app.py mounts {room}"
            )


@pytest.mark.parametrize(("path", "module"), _modules(), ids=lambda x: str(x))
def test_server_rooms_keep_apart(path: Path, module: str) -> None:
    for room, forbidden in _ROOM_RULES.items():
        if module != room and not module.startswith(room + "."):
            continue
        for target, line in _imports(path, module):
            bad = [f for f in forbidden if target == f or target.startswith(f + ".")]
            assert not bad, f"{module}:{line} imports {target}: {room} must not reach {bad[0]}"


def _module_graph() -> dict[str, set[str]]:
    """Module -> the slipstream modules it imports (deferred and TYPE_CHECKING ones too)."""
    mods = dict((m, p) for p, m in _modules())
    graph: dict[str, set[str]] = {}
    for module, path in mods.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in mods]
                out.update(subs)
                if len(subs) < len(node.names):
                    out.add(target)
        graph[module] = {m for m in out if m in mods and m != module}
    return graph


def test_no_import_cycle_inside_a_layer() -> None:
    """No module of a layer reaches itself again through the layer's modules: not through an
    import deferred into a function, nor through one made only for type checking."""
    graph = _module_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    path: list[str] = []

    def dfs(v: str) -> None:
        state[v] = 1
        path.append(v)
        for w in graph[v]:
            if _layer(w) != _layer(v):
                continue
            if state.get(w) == 1:
                cycles.append([*path[path.index(w) :], w])
            elif w not in state:
                dfs(w)
        path.pop()
        state[v] = 2

    for v in sorted(graph):
        if v not in state:
            dfs(v)
    assert not cycles, "import cycles inside a layer:\n" + "\n".join(" -> ".join(c) for c in cycles)
