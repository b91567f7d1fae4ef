"""Names and loaders of user functions: module names that survive ``python file.py``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from slipstream.model import TaskLoader

__all__ = ["code_root_of", "loader_of", "module_name_of", "package_root"]


@lru_cache(maxsize=512)
def package_root(file: str) -> tuple[Path, str]:
    """The directory to put on ``sys.path`` for ``file`` and the file's dotted module name.

    Walks up through directories that have an ``__init__.py``, so ``pkg/sub/mod.py`` becomes
    ``pkg.sub.mod`` rooted at ``pkg``'s parent.
    """
    path = Path(file).resolve()
    parts = [path.stem]
    d = path.parent
    while (d / "__init__.py").exists():
        parts.append(d.name)
        d = d.parent
    return d, ".".join(reversed(parts))


def module_name_of(fn: Callable[..., Any]) -> str:
    """The importable module name of ``fn``; for code in ``__main__`` it is derived from the file."""
    mod = getattr(fn, "__module__", None) or "__main__"
    if mod != "__main__":
        return mod
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    if not file:
        return "__main__"
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__":  # python -m pkg.mod
        return str(spec.name).removesuffix(".__main__")
    return package_root(file)[1]


def code_root_of(fn: Callable[..., Any]) -> Path | None:
    """The directory that must be on ``sys.path`` to import ``fn``'s module."""
    code = getattr(fn, "__code__", None)
    if code is None or not os.path.exists(code.co_filename):
        return None
    return package_root(code.co_filename)[0]


def loader_of(fn: Callable[..., Any]) -> TaskLoader:
    """How a worker finds ``fn``: module, qualified name and the file relative to the code root."""
    module = module_name_of(fn)
    code = getattr(fn, "__code__", None)
    file = ""
    if code is not None and os.path.exists(code.co_filename):
        root, _ = package_root(code.co_filename)
        try:
            file = str(Path(code.co_filename).resolve().relative_to(root))
        except ValueError:
            file = ""
    return TaskLoader(module=module, qualname=fn.__qualname__, file=file)
