"""From a file and an entity name to a click command whose options are the entity's typed inputs.

``slipstream run FILE ENTITY --help`` is the help of the command built here: one option per input,
named ``--name`` (and ``--snake-name`` with dashes), with its type as metavar, its default and the
text of its ``Args:`` / ``:param:`` entry. Values are parsed (and checked against the input's codec)
while click parses the command line, so a bad value is a usage error before anything runs.
"""

from __future__ import annotations

import enum
import json
import os
import traceback
import types
import typing
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from slipstream.errors import CompileError, SlipstreamError
from slipstream.model import literal_problem
from slipstream.sdk import LaunchPlan, PythonTask, PyVar, WorkflowBase

from ._docstrings import parse_docstring
from ._inputs import BadValue, describe_type, metavar_of, parse_value

__all__ = [
    "Given",
    "LoadError",
    "default_text",
    "entities_of",
    "entity_command",
    "input_command",
    "input_option",
    "load_module",
    "user_traceback",
]

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Given:
    """A value given on the command line (so that an explicit ``none`` differs from "not given")."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


_NO_TEXT_FORM = "cannot be given on the command line"


def has_text_form(tp: Any) -> bool:
    """False for types the typed text parser has no form for (a ``Decimal``, a user's own class
    with its own transformer): those are given as JSON and passed to the type's constructor."""
    try:
        parse_value("", tp)
    except BadValue as e:
        return _NO_TEXT_FORM not in str(e)
    except Exception:
        return True
    return True


def _construct(text: str, tp: Any) -> Any:
    """A value of ``tp`` from JSON text: an object is keyword arguments, an array positional
    arguments, anything else the one argument (text that is not JSON is a string)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):  # Optional[Decimal]...
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) < len(typing.get_args(tp)) and text.strip().lower() in ("none", "null"):
            return None
        if len(members) != 1:
            raise TypeError(f"give one of {describe_type(tp)} as JSON")
        tp = members[0]
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, dict):
        return tp(**value)
    if isinstance(value, list):
        return tp(*value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:  # a number keeps its exact text where the type takes text (Decimal("0.1"))
            return tp(text.strip())
        except (TypeError, ValueError, ArithmeticError):
            pass
    return tp(value)


class _InputType(click.ParamType):  # type: ignore[type-arg]  # generic only since click 8.2
    """Parses one input's text into a value of its declared type, checked by its codec."""

    def __init__(self, var: PyVar) -> None:
        self.var = var
        self.name = metavar_of(var.python_type)
        self.text_form = has_text_form(var.python_type)
        if not self.text_form:
            self.name = "JSON"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self.name

    def get_missing_message(
        self, param: click.Parameter, ctx: click.Context | None = None
    ) -> str | None:
        return f"Input {self.var.name!r} is required: {describe_type(self.var.python_type)}."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        tp = self.var.python_type
        try:
            if self.text_form:
                parsed = parse_value(value, tp)
            else:
                try:
                    parsed = _construct(value, tp)
                except Exception as e:
                    raise BadValue(
                        f"{value!r} is not accepted by {describe_type(tp)}(...): {e} (give JSON: "
                        "an object of keyword arguments, an array of arguments, or one value)"
                    ) from None
            if not self.var.codec.needs_context:  # blobs are checked when they are launched
                codec = self.var.codec
                problem = literal_problem(codec.to_literal(parsed, None), codec.literal_type)
                if problem is not None:
                    raise BadValue(problem)
        except (BadValue, TypeError, ValueError) as e:
            expected = describe_type(tp)
            msg = str(e)
            if expected not in msg:
                msg = f"{msg} [input {self.var.name!r} is {expected}]"
            self.fail(msg, param, ctx)
        return Given(parsed)


def _library_dirs() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    dirs = {_PKG_DIR, *(paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))}
    return tuple(os.path.join(os.path.realpath(d), "") for d in dirs)


def user_traceback(e: BaseException) -> str:
    """The traceback of an error raised while importing the user's file, with only the user's
    own frames: not the import machinery's, slipstream's, or those of installed libraries. A
    syntax error shows its file, line and caret."""
    skip = _library_dirs()
    frames = [
        f
        for f in traceback.extract_tb(e.__traceback__)
        if not f.filename.startswith("<") and not os.path.realpath(f.filename).startswith(skip)
    ]
    head = (
        ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
    )
    return "".join(head + traceback.format_exception_only(type(e), e))


class LoadError(click.ClickException):
    """The user's file could not be imported (its own error, or a wiring error): exit code 1."""

    exit_code = 1
    code = "load_error"


def load_module(file: str) -> ModuleType:
    """Import ``file`` as a module of its package; click errors for a bad path or a failing import."""
    from slipstream.sdk import load_file

    p = Path(file)
    if not p.exists():
        raise click.BadParameter(f"no such file: {file}", param_hint="FILE")
    if p.is_file() and p.suffix != ".py":
        raise click.BadParameter(f"{file} is not a Python file", param_hint="FILE")
    try:
        return load_file(p)
    except CompileError as e:
        raise LoadError(f"[{e.code}] {e}") from None
    except SlipstreamError as e:
        raise click.BadParameter(str(e), param_hint="FILE") from None
    except Exception as e:
        raise LoadError(f"importing {file} failed:\n{user_traceback(e).rstrip()}") from None


def entities_of(module: ModuleType) -> dict[str, Any]:
    """The tasks and workflows a module holds, by attribute name, in definition order."""
    return {
        name: obj
        for name, obj in vars(module).items()
        if not name.startswith("_") and isinstance(obj, PythonTask | WorkflowBase | LaunchPlan)
    }


def default_text(d: Any) -> str:
    """An input's default as ``--help`` shows it (shortened past 60 characters)."""
    if isinstance(d, str):
        text = repr(d) if d == "" or d.strip() != d else d
    elif isinstance(d, enum.Enum):
        text = str(d.value)
    elif isinstance(d, (list, dict)):
        text = json.dumps(d, default=str)
    else:
        text = str(d)
    return text if len(text) <= 60 else text[:57] + "..."


def _option(var: PyVar, doc: str) -> click.Option:
    kind = describe_type(var.python_type)
    return input_option(
        var.name,
        _InputType(var),
        described=kind
        + ("" if has_text_form(var.python_type) else f", given as JSON passed to {kind}(...)"),
        doc=doc,
        is_bool=var.python_type is bool,
        default=default_text(var.default) if var.has_default else None,
    )


def input_option(
    name: str,
    param_type: click.ParamType[Any],
    *,
    described: str,
    doc: str,
    is_bool: bool,
    default: str | None,
) -> click.Option:
    """The option of input ``name`` (``--name`` and ``--dashed-name``): required unless it has a
    ``default`` (its text), with its doc, type and default in the help."""
    names = [f"--{name}"]
    dashed = name.replace("_", "-")
    if dashed != name:
        names.append(f"--{dashed}")
    extra: dict[str, Any] = {}
    if is_bool:
        extra = {"is_flag": False, "flag_value": "true"}  # `--flag` alone means true
    facts = [f"type: {described}"]
    if default is not None:
        facts.append(f"default: {default}")
    return click.Option(
        [*names, name],
        type=param_type,
        required=default is None,
        show_default=False,
        help=f"{doc}  [{'; '.join(facts)}]".lstrip(),
        **extra,
    )


def _fixed_option(name: str, by: str) -> click.Option:
    """A hidden option for an input that ``by`` fixes: giving it is a usage error that says so."""

    def refuse(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            raise click.BadParameter(
                f"input {name!r} is fixed by {by} and cannot be given", ctx, param
            )

    names = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
    return click.Option([*names, f"fixed_{name}"], hidden=True, expose_value=False, callback=refuse)


def entity_command(
    name: str,
    entity: Any,
    run_options: list[click.Option],
    callback: Callable[..., Any],
) -> click.Command:
    """A command for ``entity``: its inputs as options, plus the run options whose names are free.

    ``callback(entity, inputs, options)`` receives the given inputs (name -> value) and the run
    options given after the entity.
    """
    iface = entity.python_interface
    doc = parse_docstring(getattr(entity, "docs", "") or "")
    kind = (
        "workflow"
        if isinstance(entity, WorkflowBase)
        else "launch plan"
        if isinstance(entity, LaunchPlan)
        else "task"
    )
    return input_command(
        name,
        entity,
        kind=kind,
        summary=doc.summary,
        inputs=[_option(v, doc.params.get(v.name, "")) for v in iface.inputs],
        outputs=[(v.name, describe_type(v.python_type)) for v in iface.outputs],
        run_options=run_options,
        callback=callback,
        fixed={
            n: f"launch plan {entity.name} (to {default_text(v)})"
            for n, v in getattr(entity, "fixed_inputs", {}).items()
        }
        if isinstance(entity, LaunchPlan)
        else None,
    )


def input_command(
    name: str,
    entity: Any,
    *,
    kind: str,
    summary: str,
    inputs: list[click.Option],
    outputs: list[tuple[str, str]],
    run_options: list[click.Option],
    callback: Callable[..., Any],
    fixed: dict[str, str] | None = None,
) -> click.Command:
    """The command of an entity (a local one, or one known by its remembered spec): ``inputs``
    (options whose values parse to :class:`Given`), the run options whose names are free, the
    summary as help and the outputs (name, type) in the epilog; ``callback(entity, inputs,
    options)`` as :func:`entity_command` says. ``fixed`` (input name -> what fixes it) are
    inputs a launch plan fixes: given anyway, they are refused as fixed (a usage error)."""
    refused = [_fixed_option(n, by) for n, by in (fixed or {}).items()]
    input_names = {p.name for p in inputs}
    taken = {n for p in [*inputs, *refused] for n in p.opts}
    extras = [o for o in run_options if o.name not in input_names and not taken & set(o.opts)]
    params: list[click.Parameter] = [*inputs, *refused, *extras]
    outs = ", ".join(f"{n}: {t}" for n, t in outputs)
    help_text = summary or f"Run the {kind} {entity.name}."
    epilog = f"{kind.capitalize()} {entity.name}" + (f"; outputs: {outs}" if outs else "")

    def invoke(**kwargs: Any) -> Any:
        given = {k: v.value for k, v in kwargs.items() if k in input_names and isinstance(v, Given)}
        options = {k: v for k, v in kwargs.items() if k not in input_names}
        return callback(entity, given, options)

    return click.Command(
        name,
        params=params,
        callback=invoke,
        help=help_text,
        short_help=(summary.splitlines() or [f"{kind} {entity.name}"])[0],
        epilog=epilog,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
