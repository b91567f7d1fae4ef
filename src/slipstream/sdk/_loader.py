"""Importing user code: files as modules of their package, and task loaders back to tasks."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from slipstream.errors import InputError, NotFoundError
from slipstream.model import TaskLoader

from ._naming import package_root

__all__ = ["load_file", "resolve_loader"]


def load_file(path: str | Path) -> ModuleType:
    """Import ``path`` as a module of its package (so relative imports work) and return it.

    The package root (the first directory upwards without an ``__init__.py``) goes on ``sys.path``.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {path}")
    if p.is_dir():
        if not (p / "__init__.py").exists():
            raise InputError(f"{path} is a directory without __init__.py")
        p = p / "__init__.py"
    root, module = package_root(str(p))
    if module.endswith(".__init__"):
        module = module[: -len(".__init__")]
    root_s = str(root)
    if root_s not in sys.path:
        sys.path.insert(0, root_s)
    existing = sys.modules.get(module)
    if existing is not None:
        known = getattr(existing, "__file__", None)
        if known and Path(known).resolve() == p.resolve():
            return existing
        raise InputError(
            f"cannot load {path} as module {module!r}: a module of that name is already "
            f"imported from {known or 'elsewhere'}; rename the file or its package"
        )
    return importlib.import_module(module)


def resolve_loader(loader: TaskLoader, code_root: str | None = None) -> Any:
    """The object a loader names: from modules already imported, else by importing them."""
    from ._task import TASKS

    hit = TASKS.get((loader.module, loader.qualname))
    if hit is not None:
        return hit
    module = sys.modules.get(loader.module)
    if module is None:
        if code_root and code_root not in sys.path:
            sys.path.insert(0, code_root)
        try:
            module = importlib.import_module(loader.module)
        except ImportError:
            if not (code_root and loader.file):
                raise
            module = load_file(Path(code_root) / loader.file)
    hit = TASKS.get((loader.module, loader.qualname))
    if hit is not None:  # tasks built from a description (ShellTask, Echo) register on import
        return hit
    obj: Any = module
    for part in loader.qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise NotFoundError(f"{loader.module} has no attribute {loader.qualname!r}")
    return obj
