"""``ShellTask``: a bash script as a task, with typed inputs and file/directory outputs.

flytekit's shell task: ``{inputs.x}`` and ``{outputs.y}`` in the script are replaced by the values
(a ``File`` or ``Directory`` input by its local path), the script runs with bash in the attempt's
working directory, and each output is collected from its :class:`OutputLocation` (the location may
use ``{inputs.x}`` too; a relative one is under the working directory). A non-zero exit fails the
task with the script's stderr; ``debug=True`` prints the script and what it wrote on stderr (the
attempt's log), never on stdout, which stays the task's own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import string
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from slipstream.errors import CompileError, UserTaskError
from slipstream.types import Directory, File

from ._synthetic import bare_single_output, caller_loader, signature_function
from ._task import TASKS, PythonTask

__all__ = ["OutputLocation", "ShellTask"]


class OutputLocation(NamedTuple):
    """Where the script leaves output ``var`` (a ``File`` or ``Directory`` type): ``location``
    may use ``{inputs.x}``; a relative path is under the attempt's working directory."""

    var: str
    var_type: type
    location: str


class _Namespace:
    """``{inputs.x}``/``{outputs.y}`` in a script: attribute access over a dict, with a clear error
    for a name that is not there."""

    def __init__(self, kind: str, values: dict[str, Any]) -> None:
        self._kind = kind
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            known = ", ".join(sorted(self._values)) or "(none)"
            raise KeyError(
                f"{{{self._kind}.{name}}}: no {self._kind[:-1]} {name!r}; known: {known}"
            ) from None


def _check_placeholders(text: str, inputs: set[str], outputs: set[str], what: str) -> None:
    """Every ``{...}`` field names a declared input or output (``{{`` escapes a brace)."""
    for _, field, _, _ in string.Formatter().parse(text):
        if field is None:
            continue
        kind, _, name = field.partition(".")
        known = {"inputs": inputs, "outputs": outputs}.get(kind)
        if known is None or name not in known:
            raise CompileError(
                f"{what}: the script uses {{{field}}}, which is not a declared input or output; "
                f"inputs: {', '.join(sorted(inputs)) or '(none)'}, outputs: "
                f"{', '.join(sorted(outputs)) or '(none)'} (write {{{{ and }}}} for a literal brace)"
            )


class ShellTask(PythonTask[..., Any]):
    """A bash script run as a task (flytekit's ``ShellTask``)."""

    task_type = "shell"

    def __init__(
        self,
        name: str,
        script: str | None = None,
        *,
        inputs: dict[str, type] | None = None,
        output_locs: Iterable[OutputLocation] | None = None,
        debug: bool = False,
        script_file: str | None = None,
        shell: str = "/bin/bash",
        **task_options: Any,
    ) -> None:
        caller = sys._getframe(1)
        where = f"{caller.f_code.co_filename}:{caller.f_lineno}"
        what = f"shell task {name}"
        if (script is None) == (script_file is None):
            raise CompileError(
                f"{what}: give exactly one of script and script_file", location=where
            )
        if script_file is not None:
            script = Path(script_file).read_text()
        assert script is not None
        self.script = script
        self.debug = debug
        self.shell = shell
        self.output_locs = tuple(OutputLocation(*o) for o in (output_locs or ()))
        in_types = dict(inputs or {})
        for o in self.output_locs:
            if not (isinstance(o.var_type, type) and issubclass(o.var_type, File | Directory)):
                raise CompileError(
                    f"{what}: output {o.var!r} has type {o.var_type!r}; a shell task's outputs "
                    "are File or Directory (types of slipstream.types)",
                    location=where,
                )
            if o.var in in_types:
                raise CompileError(
                    f"{what}: {o.var!r} is both an input and an output", location=where
                )
        names = {o.var for o in self.output_locs}
        if len(names) != len(self.output_locs):
            raise CompileError(f"{what}: an output is declared twice", location=where)
        _check_placeholders(script, set(in_types), names, what)
        for o in self.output_locs:
            _check_placeholders(o.location, set(in_types), set(), f"{what}: output {o.var!r}")

        loader = caller_loader(caller, name)
        outs = [(o.var, o.var_type) for o in self.output_locs]
        fn = signature_function(loader.qualname, loader.module, in_types, outs)
        super().__init__(fn, name=name, check_returns=False, **task_options)
        TASKS.pop((self.loader.module, self.loader.qualname), None)
        self.loader = loader
        TASKS[(loader.module, loader.qualname)] = self
        self.location = where
        self.python_interface = bare_single_output(self.python_interface)
        if self.cache and not self._cache_version:
            text = repr((script, [tuple(map(str, o)) for o in self.output_locs]))
            self._cache_version = "src-" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def execute(self, **kwargs: Any) -> Any:
        """Interpolate, run the script with bash in the working directory, collect outputs."""
        from ._context import current_context

        workdir = Path(current_context().working_directory)
        values = {
            k: os.fspath(v) if isinstance(v, File | Directory) else v for k, v in kwargs.items()
        }
        inputs = _Namespace("inputs", values)
        outputs: dict[str, str] = {}
        for o in self.output_locs:
            loc = Path(o.location.format(inputs=inputs))
            path = loc if loc.is_absolute() else workdir / loc
            path.parent.mkdir(parents=True, exist_ok=True)
            outputs[o.var] = str(path)
        script = self.script.format(inputs=inputs, outputs=_Namespace("outputs", outputs))
        shell = self.shell if os.path.exists(self.shell) else (shutil.which("bash") or "/bin/sh")
        if self.debug:
            print(f"[{self.name}] script:\n{script}", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [shell, "-c", script], cwd=workdir, capture_output=True, text=True, check=False
        )
        if self.debug:
            print(
                f"[{self.name}] stdout:\n{proc.stdout}[{self.name}] stderr:\n{proc.stderr}",
                file=sys.stderr,
                flush=True,
            )
        if proc.returncode != 0:
            raise UserTaskError(
                f"shell task {self.name}: the script exited with code {proc.returncode}; "
                f"stderr:\n{proc.stderr.strip() or '(empty)'}"
            )
        results = []
        for o in self.output_locs:
            path = Path(outputs[o.var])
            is_dir = issubclass(o.var_type, Directory)
            if not (path.is_dir() if is_dir else path.is_file()):
                raise UserTaskError(
                    f"shell task {self.name}: output {o.var!r} expected a "
                    f"{'directory' if is_dir else 'file'} at {path}, but the script left none"
                )
            results.append(o.var_type(str(path)))
        if not results:
            return None
        return results[0] if len(results) == 1 else tuple(results)

    def __repr__(self) -> str:
        return f"ShellTask({self.name})"
