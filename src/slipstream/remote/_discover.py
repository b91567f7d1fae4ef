"""Finding what to register: import the given files, folders and packages, collect their tasks,
workflows and launch plans, and give every workflow its default launch plan."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slipstream.errors import SlipstreamError, ValidationError
from slipstream.model import (
    BranchNode,
    CompiledWorkflow,
    Identifier,
    LaunchPlanNode,
    LaunchPlanSpec,
    Node,
    ResourceType,
    TaskTemplate,
)

from ._bundle import source_files

__all__ = ["Discovered", "discover", "source_paths"]


@dataclass(frozen=True)
class Discovered:
    """The specs found (unversioned identifiers) and the code root they import from."""

    code_root: Path
    modules: tuple[str, ...]
    tasks: tuple[TaskTemplate, ...]
    workflows: tuple[CompiledWorkflow, ...]
    launch_plans: tuple[LaunchPlanSpec, ...]
    entities: dict[str, dict[str, Identifier]] = field(default_factory=dict)
    """Per file (its path under the code root, ``pkg/flows.py``), the names ``slipstream run FILE``
    offers as ENTITY (every public attribute that is a task, workflow or launch plan, imported
    ones too, in definition order) with the unversioned identifier each names: ``run --remote``
    finds ENTITY's spec here without importing the file."""


def _files(path: Path) -> list[Path]:
    if path.is_file():
        if path.suffix != ".py":
            raise ValidationError(f"{path} is not a Python file")
        return [path]
    if path.is_dir():
        return [path / rel for rel in source_files(path)]
    raise ValidationError(f"no such file or directory: {path}")


def _code_root(file: Path) -> Path:
    """The directory a file imports from: the first one upwards without an ``__init__.py``.

    The same walk as ``slipstream.sdk.package_root`` (a test keeps them in step), here so that
    re-registering unchanged code, which needs only this, does not import the SDK.
    """
    d = file.resolve().parent
    while (d / "__init__.py").exists():
        d = d.parent
    return d


def source_paths(paths: list[str | Path]) -> tuple[Path, list[Path]]:
    """The code root and the Python files that ``paths`` name (files, folders, packages)."""
    if not paths:
        raise ValidationError("nothing to register: give files, folders or packages")
    files = sorted({f.resolve() for p in paths for f in _files(Path(p))})
    if not files:
        raise ValidationError(f"no Python files under {', '.join(map(str, paths))}")
    roots = {_code_root(f) for f in files}
    if len(roots) > 1:
        raise ValidationError(
            "the paths belong to several code roots ("
            + ", ".join(sorted(map(str, roots)))
            + "): register each project separately"
        )
    return roots.pop(), files


def _launch_plans_called(compiled: CompiledWorkflow) -> list[str]:
    """Names of the launch plans that ``compiled`` starts from its nodes, its subworkflows'
    nodes, branches and failure handlers."""
    names: list[str] = []

    def walk(node: Node | None) -> None:
        if node is None:
            return
        if isinstance(node.kind, LaunchPlanNode):
            names.append(node.kind.launch_plan.name)
        elif isinstance(node.kind, BranchNode):
            for case in node.kind.cases:
                walk(case.then)

    for spec in (compiled.workflow, *compiled.subworkflows.values()):
        for node in spec.nodes:
            walk(node)
        walk(spec.on_failure)
    return names


def _called_plans(wf: Any, cache: dict[str, Any]) -> list[Any]:
    return [cache[n] for n in _launch_plans_called(wf.compiled) if n in cache]


def _from_code_root(wf: Any, code_root: Path) -> bool:
    """Whether ``wf`` was defined in a module under ``code_root`` (so the code bundle has it)."""
    module = sys.modules.get(wf.__dict__.get("__module__") or "")
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().is_relative_to(code_root)


def discover(paths: list[str | Path]) -> Discovered:
    """Import every module under ``paths`` and collect the entities they define."""
    from slipstream.sdk import LaunchPlan, PythonTask, WorkflowBase, load_file, package_root

    code_root, files = source_paths(paths)
    modules = []
    entities: dict[str, dict[str, Identifier]] = {}
    kinds = (
        (PythonTask, ResourceType.TASK),
        (WorkflowBase, ResourceType.WORKFLOW),
        (LaunchPlan, ResourceType.LAUNCH_PLAN),
    )
    for f in files:
        try:
            modules.append(load_file(f))
        except SlipstreamError:
            raise
        except Exception as e:  # the user's code failed to import: say which file, keep the cause
            raise ValidationError(
                f"importing {f} failed: {type(e).__name__}: {e}",
                details={"file": str(f)},
            ) from e
        entities[f.relative_to(code_root).as_posix()] = {
            attr: Identifier(rt, obj.name)
            for attr, obj in vars(modules[-1]).items()
            if not attr.startswith("_")
            for cls, rt in kinds
            if isinstance(obj, cls)
        }
    names = {m.__name__ for m in modules} | {
        package_root(str(f))[1].removesuffix(".__init__") for f in files
    }
    tasks: dict[str, Any] = {}
    workflows: dict[str, Any] = {}
    plans: dict[str, Any] = {}
    for module in modules:
        for obj in list(vars(module).values()):
            if isinstance(obj, PythonTask):
                # a reference stub names an entity registered elsewhere: never registered itself
                if obj.loader.module in names and obj.task_type != "reference":
                    tasks.setdefault(obj.name, obj)
            elif isinstance(obj, WorkflowBase):
                defined_in = obj.__dict__.get("__module__")
                if defined_in is None or defined_in in names:
                    workflows.setdefault(obj.name, obj)
            elif isinstance(obj, LaunchPlan):
                plans.setdefault(obj.name, obj)
    # a launch plan is registered with its workflow (one imported from another module under the
    # code root too, as ``from .workflow import wf``), and a workflow with the launch plans it
    # calls, even those made in its body (``LaunchPlan.get_or_create(wf, "lp")()``)
    pending = list(plans.values())
    for wf in workflows.values():
        pending.extend(_called_plans(wf, LaunchPlan.CACHE))
    while pending:
        lp = pending.pop()
        plans.setdefault(lp.name, lp)
        wf = lp.workflow
        if wf.name not in workflows and _from_code_root(wf, code_root):
            workflows[wf.name] = wf
            pending.extend(p for p in _called_plans(wf, LaunchPlan.CACHE) if p.name not in plans)
    for wf in workflows.values():
        plans.setdefault(wf.name, LaunchPlan.get_or_create(wf))
    launch_plans = [lp.spec for lp in plans.values() if lp.workflow.name in workflows]
    return Discovered(
        code_root=code_root,
        modules=tuple(sorted(names & set(sys.modules))),
        tasks=tuple(t.template for t in tasks.values()),
        workflows=tuple(w.compiled for w in workflows.values()),
        launch_plans=tuple(launch_plans),
        entities=entities,
    )
