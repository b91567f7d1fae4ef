"""One warm worker, many code versions: what a worker forgets when its code root changes.

On the server one worker runs attempts of many registered versions, each unpacked in its own
directory (the request's ``code_root``). When a request names another root than the last one, the
modules imported from the previous root are dropped from ``sys.modules`` (with the tasks they
registered in ``slipstream.sdk.TASKS``), that root leaves ``sys.path`` and the new one goes first,
so the task's module is imported again from its own version. The root a worker was started with is
only put on ``sys.path``: what it imported is dropped only once a request names a root and then
another one (local runs always name the same root and never drop anything). Modules of the Python installation,
of site-packages and of slipstream itself are never dropped, nor ``__main__``. The import system's
finder cache and the source line cache forget the previous root too.
"""

from __future__ import annotations

import importlib
import linecache
import os
import sys
import sysconfig

__all__ = ["use_code_root"]

_current = ""
_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _protected() -> tuple[str, ...]:
    paths = {_PKG_DIR, sys.prefix, sys.base_prefix, sys.exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            paths.add(p)
    return tuple(os.path.join(os.path.realpath(p), "") for p in paths)


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return path.startswith(roots)


def use_code_root(root: str) -> None:
    """Make ``root`` the code this process imports from (a no-op when it already is, or empty)."""
    global _current
    if not root or root == _current:
        return
    previous, _current = _current, root
    if previous:
        _forget(previous)
    while root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    importlib.invalidate_caches()


def _forget(previous: str) -> None:
    prefixes = tuple({os.path.join(previous, ""), os.path.join(os.path.realpath(previous), "")})
    keep = _protected()
    dropped: set[str] = set()
    for name, module in list(sys.modules.items()):
        if name == "__main__" or module is None:
            continue
        files = [getattr(module, "__file__", None) or ""]
        files.extend(getattr(module, "__path__", None) or ())
        for f in files:
            if f and _under(f, prefixes) and not _under(os.path.realpath(f), keep):
                dropped.add(name)
                break
    for name in dropped:
        del sys.modules[name]
    while previous in sys.path:
        sys.path.remove(previous)
    for path in [p for p in sys.path_importer_cache if p.startswith(prefixes) or p == previous]:
        del sys.path_importer_cache[path]  # nothing keeps the previous root's name or sources
    linecache.clearcache()
    if dropped:
        from slipstream.sdk import TASKS

        for key in [k for k, t in TASKS.items() if k[0] in dropped or _module_of(t) in dropped]:
            del TASKS[key]


def _module_of(task: object) -> str:
    fn = getattr(task, "__wrapped__", None)
    return str(getattr(fn, "__module__", ""))
