"""What a launch runs with: the target resolved (its interface, launch plan and tasks) and the
inputs it gets, every literal checked against its type (the one validator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slipstream.errors import InputError
from slipstream.model import (
    Identifier,
    Interface,
    Kind,
    LaunchPlanSpec,
    TaskTemplate,
    Variable,
    literal_problem,
    type_str,
)

__all__ = ["Resolved", "check_literals", "resolve_inputs"]


@dataclass(frozen=True)
class Resolved:
    """What a target resolves to: the task or workflow run, its launch plan, and its inputs."""

    target: Identifier
    interface: Interface
    launch_plan: LaunchPlanSpec | None
    label: str
    tasks: tuple[TaskTemplate, ...] = ()
    """The tasks it runs (the closure of a workflow), whose resources routing checks."""


def _unregistered_default(v: Variable) -> bool:
    """Whether the interface's default of ``v`` was left out at registration: the SDK registers
    ``None`` for a default that lives in the blob store (a local ``File``, a DataFrame), which only
    a type that takes ``None`` could run with."""
    return (
        v.default is None
        and v.type.kind is not Kind.UNION
        and literal_problem(None, v.type) is not None
    )


def resolve_inputs(resolved: Resolved, given: dict[str, Any]) -> dict[str, Any]:
    """The inputs an execution runs with: interface defaults, then the launch plan's defaults,
    then ``given``, then the launch plan's fixed inputs; every literal checked against its type."""
    iface = resolved.interface
    lp = resolved.launch_plan
    fixed = lp.fixed_inputs if lp is not None else {}
    what = resolved.label
    declared = {v.name: v for v in iface.inputs}
    unknown = sorted(k for k in given if k not in declared)
    if unknown:
        expected = ", ".join(f"{v.name}: {type_str(v.type)}" for v in iface.inputs) or "none"
        raise InputError(
            f"{what}: unknown input(s) {', '.join(map(repr, unknown))} (its inputs: {expected})",
            details={"unknown": unknown},
        )
    overridden = sorted(k for k in given if k in fixed)
    if overridden:
        name = overridden[0]
        raise InputError(
            f"{what}: input {name!r} is fixed by the launch plan to {fixed[name]!r} and cannot "
            "be overridden",
            details={"input": name, "fixed": True},
        )
    values: dict[str, Any] = {}
    local_defaults: set[str] = set()
    for v in iface.inputs:
        if v.has_default and _unregistered_default(v):
            local_defaults.add(v.name)
        elif v.has_default:
            values[v.name] = v.default
    if lp is not None:
        values.update(lp.default_inputs)
    values.update(given)
    values.update(fixed)
    missing = [v for v in iface.inputs if v.name not in values]
    if missing:
        names = ", ".join(f"{v.name!r} ({type_str(v.type)})" for v in missing)
        hint = ""
        if local_defaults.intersection(v.name for v in missing):
            hint = (
                ": a default that is a local file, directory or DataFrame stays in the code "
                "(it is not registered); give the input (local data is uploaded to the server)"
            )
        raise InputError(
            f"{what}: missing required input(s) {names}{hint}",
            details={
                "missing": [{"input": v.name, "type": type_str(v.type)} for v in missing],
            },
        )
    checked = {*given, *fixed, *(lp.default_inputs if lp is not None else ())}
    out = {v.name: values[v.name] for v in iface.inputs}
    check_literals(iface, out, what, checked)
    return out


def check_literals(
    iface: Interface, values: dict[str, Any], what: str, only: set[str] | None = None
) -> None:
    """Every value (of ``only``, when given) has its input's literal type: the one validator."""
    for v in iface.inputs:
        if v.name not in values or (only is not None and v.name not in only):
            continue
        problem = literal_problem(values[v.name], v.type)
        if problem:
            raise InputError(
                f"{what}: input {v.name!r} of type {type_str(v.type)}: {problem}",
                details={"input": v.name, "type": type_str(v.type), "problem": problem},
            )
