"""ENTITY's command from remembered specs: ``slipstream run --remote FILE ENTITY`` without importing
FILE.

Registering FILE remembers the specs it found by the content of the code
(``slipstream.remote.cached_specs``). When they are remembered, ENTITY's command is built from its
registered interface: options named, typed and documented from the literal types, the default
literals and the docstring; values are parsed from the literal types by the one typed text parser
(``slipstream.types.parse_text``) into literals, checked as the server checks them (files,
directories and DataFrames into Python values that ``Remote.execute`` encodes, uploading local
data to the server's store); the entity is then registered (the cache again: no import) and
launched by identifier. The user's modules, and
what they import (scikit-learn, torch...), are not imported. When the specs are not remembered,
or ENTITY needs its Python types, ``slipstream run`` imports FILE as for a local run (``_entities``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from slipstream.errors import SlipstreamError
from slipstream.model import (
    CompiledWorkflow,
    Interface,
    Kind,
    LaunchPlanSpec,
    LiteralType,
    ResourceType,
    TaskTemplate,
    Variable,
)
from slipstream.types import (
    BadValue,
    default_engine,
    describe_type,
    guess_python_type,
    metavar_of,
    parse_text,
    parse_value,
)

from ._docstrings import parse_docstring
from ._entities import Given, default_text, input_command, input_option

__all__ = [
    "SpecEntity",
    "Unencoded",
    "launch_plan_entity",
    "spec_command",
    "spec_entities",
    "spec_entity",
]


@dataclass(frozen=True)
class SpecEntity:
    """A task, workflow or launch plan known by its remembered spec: what its command offers
    (a launch plan's inputs are its workflow's, less the fixed ones, with its defaults)."""

    name: str
    kind: str
    spec: TaskTemplate | CompiledWorkflow | LaunchPlanSpec
    inputs: tuple[Variable, ...]
    outputs: tuple[Variable, ...]
    docs: str
    fixed: tuple[str, ...] = ()
    """A launch plan's fixed inputs: given on the command line, they are refused as fixed."""


def spec_entities(file: str) -> dict[str, SpecEntity | None] | None:
    """FILE's entities by the name ``slipstream run FILE`` gives them, from the specs that
    registering FILE remembered; None when they are not remembered (never registered from here,
    or the code changed since). An entity is None when its command needs FILE imported: its spec
    is not among them (an entity imported from elsewhere) or an input needs its Python type."""
    from slipstream.remote import cached_specs

    try:
        found = cached_specs(file)
        rel = Path(file).resolve().relative_to(found.code_root).as_posix() if found else ""
    except (SlipstreamError, OSError, ValueError):  # a bad FILE: the import path says why
        return None
    if found is None or rel not in found.entities:
        return None
    tasks = {t.id.name: t for t in found.tasks}
    workflows = {w.workflow.id.name: w for w in found.workflows}
    plans = {lp.id.name: lp for lp in found.launch_plans}
    out: dict[str, SpecEntity | None] = {}
    for attr, ident in found.entities[rel].items():
        entity: SpecEntity | None = None
        if ident.resource_type is ResourceType.TASK and ident.name in tasks:
            task = tasks[ident.name]
            entity = _entity(ident.name, "task", task, task.interface, task.metadata.docs)
        elif ident.resource_type is ResourceType.WORKFLOW and ident.name in workflows:
            wf = workflows[ident.name]
            entity = _entity(ident.name, "workflow", wf, wf.workflow.interface, wf.workflow.docs)
        elif ident.resource_type is ResourceType.LAUNCH_PLAN and ident.name in plans:
            lp = plans[ident.name]
            target = workflows.get(lp.workflow.name)
            if target is not None:
                entity = launch_plan_entity(ident.name, lp, target.workflow.interface)
        if entity is not None and any(_needs_python_type(v.type) for v in entity.inputs):
            entity = None
        out[attr] = entity
    return out


def _entity(name: str, kind: str, spec: Any, iface: Any, docs: str) -> SpecEntity:
    return SpecEntity(name, kind, spec, iface.inputs, iface.outputs, docs)


def spec_entity(spec: TaskTemplate | CompiledWorkflow) -> SpecEntity:
    """The entity of a registered task or workflow spec."""
    if isinstance(spec, TaskTemplate):
        return _entity(spec.id.name, "task", spec, spec.interface, spec.metadata.docs)
    wf = spec.workflow
    return _entity(wf.id.name, "workflow", spec, wf.interface, wf.docs)


def launch_plan_entity(name: str, lp: LaunchPlanSpec, iface: Interface) -> SpecEntity:
    """The entity of launch plan ``lp`` of a workflow with interface ``iface``: the workflow's
    inputs less the fixed ones (which are refused when given), with the plan's defaults."""
    inputs = tuple(
        Variable(v.name, v.type, v.description, True, lp.default_inputs[v.name])
        if v.name in lp.default_inputs
        else v
        for v in iface.inputs
        if v.name not in lp.fixed_inputs
    )
    fixed = tuple(v.name for v in iface.inputs if v.name in lp.fixed_inputs)
    return SpecEntity(name, "launch plan", lp, inputs, iface.outputs, "", fixed)


def _needs_python_type(t: LiteralType) -> bool:
    """A value of a type with no literal form (a user's own class, stored as a pickle) is made
    from the text by that class itself: only importing FILE gives it, so such an entity falls
    back to the import path."""
    return (
        t.kind is Kind.PICKLE
        or any(_needs_python_type(a) for a in t.args)
        or any(_needs_python_type(f.type) for f in t.fields)
    )


_BLOBS = frozenset({Kind.FILE, Kind.DIR, Kind.DATASET, Kind.NDARRAY})


def _holds_blobs(t: LiteralType) -> bool:
    """Whether a value of ``t`` names blobs (files, directories, DataFrames, arrays): a local one
    is uploaded when launching, so its literal is made then."""
    return (
        t.kind in _BLOBS
        or any(_holds_blobs(a) for a in t.args)
        or any(_holds_blobs(f.type) for f in t.fields)
    )


def describe_literal_type(t: LiteralType) -> str:
    """A literal type as ``--help`` shows a Python type (a struct by its class's name)."""
    if t.kind is Kind.STRUCT and t.name:
        return t.name.rpartition(".")[2]
    return describe_type(guess_python_type(t))


class Unencoded:
    """An input parsed into its Python value but not yet a literal: a file, a directory or a
    DataFrame, whose literal names a blob (a local one is uploaded to the server's store when the
    execution is launched, by ``Remote.execute``)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _LiteralInput(click.ParamType):  # type: ignore[type-arg]  # generic only since click 8.2
    """Parses one input's text into a literal of its literal type, checked as the server would
    (into an :class:`Unencoded` Python value for types whose literals name blobs)."""

    def __init__(self, var: Variable) -> None:
        self.var = var
        self.described = describe_literal_type(var.type)
        self.python_type = guess_python_type(var.type)
        self.name = metavar_of(self.python_type)
        self.blob = _holds_blobs(var.type)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self.name

    def get_missing_message(
        self, param: click.Parameter, ctx: click.Context | None = None
    ) -> str | None:
        return f"Input {self.var.name!r} is required: {self.described}."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            if self.blob:  # parse_text's first half: the literal is made when launching
                return Given(Unencoded(parse_value(value, self.python_type)))
            literal = parse_text(value, self.var.type)  # checked by the one validator
        except (BadValue, TypeError, ValueError, SlipstreamError) as e:
            msg = str(e)
            if self.described not in msg:
                msg = f"{msg} [input {self.var.name!r} is {self.described}]"
            self.fail(msg, param, ctx)
        return Given(literal)


def _default_shown(var: Variable) -> str | None:
    if not var.has_default:
        return None
    try:  # the default as a Python value, shown as a local entity shows its own
        value = default_engine().codec(guess_python_type(var.type)).to_python(var.default, None)
    except Exception:  # only shown: the literal itself will do
        value = var.default
    return default_text(value)


def spec_command(
    name: str, entity: SpecEntity, run_options: list[click.Option], callback: Any
) -> click.Command:
    """ENTITY's command from its spec, as ``_entities.entity_command`` makes it from the object:
    ``callback(entity, literals, options)`` receives the given inputs as literals."""
    doc = parse_docstring(entity.docs)
    inputs = [
        input_option(
            v.name,
            _LiteralInput(v),
            described=describe_literal_type(v.type),
            doc=doc.params.get(v.name, ""),
            is_bool=v.type.kind is Kind.BOOL,
            default=_default_shown(v),
        )
        for v in entity.inputs
    ]
    return input_command(
        name,
        entity,
        kind=entity.kind,
        summary=doc.summary,
        inputs=inputs,
        outputs=[(v.name, describe_literal_type(v.type)) for v in entity.outputs],
        run_options=run_options,
        callback=callback,
        fixed={n: f"launch plan {entity.name}" for n in entity.fixed},
    )
