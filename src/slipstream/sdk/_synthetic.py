"""Tasks built from a description instead of a decorated function (``ShellTask``, ``Echo``):
a function object that carries their interface, and the loader that finds them again in a worker
(the module that defined them, re-registering them in ``TASKS`` when it is imported)."""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

import msgspec

from slipstream.model import TaskLoader

from ._naming import package_root
from ._signature import PyInterface

__all__ = ["bare_single_output", "caller_loader", "signature_function"]


def signature_function(
    qualname: str, module: str, inputs: dict[str, Any], outputs: list[tuple[str, Any]]
) -> Any:
    """A function object whose signature is the interface (never called itself)."""

    def synthetic(**kwargs: Any) -> Any:
        raise RuntimeError(f"{qualname} runs through its task's execute()")

    params = [
        inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, annotation=t)
        for k, t in inputs.items()
    ]
    make_tuple: Any = NamedTuple
    ret: Any = make_tuple(f"{qualname}_outputs", outputs) if outputs else None
    synthetic.__signature__ = inspect.Signature(params, return_annotation=ret)  # type: ignore[attr-defined]
    synthetic.__annotations__ = {**inputs, **({"return": ret} if ret is not None else {})}
    synthetic.__qualname__ = qualname
    synthetic.__name__ = qualname
    synthetic.__module__ = module
    return synthetic


def caller_loader(frame: FrameType, name: str) -> TaskLoader:
    """The loader of a task named ``name`` defined by the code running in ``frame``."""
    module = frame.f_globals.get("__name__", "__main__")
    file = frame.f_code.co_filename
    rel = ""
    if os.path.exists(file):
        root, dotted = package_root(file)
        if module == "__main__":
            module = dotted
        try:
            rel = str(Path(file).resolve().relative_to(root))
        except ValueError:
            rel = ""
    qualname = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return TaskLoader(module=module, qualname=qualname, file=rel)


def bare_single_output(iface: PyInterface) -> PyInterface:
    """A one-output interface whose output keeps its name but is returned bare (no 1-tuple)."""
    if len(iface.outputs) != 1:
        return iface
    model = msgspec.structs.replace(iface.model, output_tuple_name="")
    return PyInterface(iface.inputs, iface.outputs, model, None)
