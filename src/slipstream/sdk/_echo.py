"""``Echo``: a task that returns its inputs unchanged (flytekit's ``Echo``), for wiring a
conditional branch that passes a value through, or a placeholder step."""

from __future__ import annotations

import sys
from typing import Any

from slipstream.errors import CompileError

from ._synthetic import bare_single_output, caller_loader, signature_function
from ._task import TASKS, PythonTask

__all__ = ["Echo"]


class Echo(PythonTask[..., Any]):
    """``Echo(name="pass", inputs=kwtypes(x=int))``: outputs are the inputs, same names and types.

    It does no work of its own; it runs as a (trivial) attempt on the runner like any task.
    """

    task_type = "echo"

    def __init__(
        self, name: str, inputs: dict[str, Any] | None = None, **task_options: Any
    ) -> None:
        caller = sys._getframe(1)
        if not inputs:
            raise CompileError(
                f"echo task {name}: needs inputs (kwtypes(...)); it returns them as outputs",
                location=f"{caller.f_code.co_filename}:{caller.f_lineno}",
            )
        loader = caller_loader(caller, name)
        fn = signature_function(loader.qualname, loader.module, dict(inputs), list(inputs.items()))
        super().__init__(fn, name=name, check_returns=False, **task_options)
        TASKS.pop((self.loader.module, self.loader.qualname), None)
        self.loader = loader
        TASKS[(loader.module, loader.qualname)] = self
        self.location = f"{caller.f_code.co_filename}:{caller.f_lineno}"
        self.python_interface = bare_single_output(self.python_interface)

    def execute(self, **kwargs: Any) -> Any:
        """The inputs, as outputs."""
        values = [kwargs[v.name] for v in self.python_interface.inputs]
        return values[0] if len(values) == 1 else tuple(values)

    def __repr__(self) -> str:
        return f"Echo({self.name})"
