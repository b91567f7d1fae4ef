"""``slipstream run FILE ENTITY [--input value ...]``: run a workflow or task from a file, locally.

Three nested click levels: ``run`` (run options), FILE (imports the file; its entities are its
subcommands) and ENTITY (the typed inputs, see ``_entities``). The run goes through the one engine
(``slipstream.runners.execute_local``); this module only wires parsing, progress and rendering.
With ``--remote`` (before FILE or after ENTITY), FILE is not imported when registering it
remembered its specs and the code did not change: ENTITY's command comes from its spec
(``_spec_commands``).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import click

from slipstream.errors import ErrorKind, FailureCode, InputError, LiteralTypeError, SlipstreamError
from slipstream.model import ErrorInfo, ExecutionPhase

from ._entities import entities_of, entity_command, load_module
from ._inputs import describe_type
from ._json_mode import json_mode
from ._render import (
    Progress,
    error_json,
    execution_name,
    print_decks,
    print_error,
    print_outputs,
    stderr_console,
    stdout_console,
)
from ._run_remote import REMOTE_OPTION_NAMES, execute_remote, remote_options
from ._spec_commands import SpecEntity, spec_command, spec_entities

__all__ = ["run"]

_RUN_OPTION_NAMES = ("runner", "workers", "as_json", "no_cache", *REMOTE_OPTION_NAMES)


def _run_options() -> list[click.Option]:
    """The options of a run; accepted before FILE and again after ENTITY."""
    return [
        click.Option(
            ["--runner"],
            type=click.Choice(["inline", "local", "ray"]),
            default=None,
            help="Where tasks run: 'local' (warm worker processes, parallel; the default), "
            "'inline' (in this process, one at a time, for debuggers) or 'ray' (the Ray cluster "
            "at RAY_ADDRESS, else a private local Ray) [env: SLIPSTREAM_RUNNER].",
        ),
        click.Option(
            ["--workers"],
            type=click.IntRange(min=1),
            default=None,
            help="Worker processes of the local runner [default: CPU count].",
        ),
        click.Option(
            ["--json", "as_json"],
            is_flag=True,
            default=None,
            help="Print the outputs (or the error) as one JSON object on stdout; no progress.",
        ),
        click.Option(
            ["--no-cache", "no_cache"],
            is_flag=True,
            default=None,
            help="Run every task even when the cache holds its outputs.",
        ),
        *remote_options(),
    ]


def _merged_options(ctx: click.Context, given: dict[str, Any]) -> dict[str, Any]:
    """Run options: given after ENTITY, else before FILE, else the defaults."""
    root = ctx
    while root.parent is not None and root.command is not run:
        root = root.parent
    before = root.params if root.command is run else {}
    opts: dict[str, Any] = {}
    for name in _RUN_OPTION_NAMES:
        value = given.get(name)
        opts[name] = value if value is not None else before.get(name)
    opts["runner"] = opts["runner"] or os.environ.get("SLIPSTREAM_RUNNER") or "local"
    opts["as_json"] = bool(opts["as_json"]) or json_mode()  # `slipstream --json run ...` too
    opts["no_cache"] = bool(opts["no_cache"])
    return opts


def _execute(entity: Any, inputs: dict[str, Any], given: dict[str, Any]) -> None:
    ctx = click.get_current_context()
    opts = _merged_options(ctx, given)
    if opts["remote"]:
        return execute_remote(entity, inputs, opts)
    from slipstream.runners import closure_of, code_root_for, execute_local, make_runner

    err_console = stderr_console()
    nodes = len(closure_of(entity).workflow.nodes)
    progress = Progress(
        err_console, nodes, enabled=err_console.is_terminal and not opts["as_json"] and nodes > 1
    )
    # start the worker pool before the progress display's thread: a process with one thread
    # can fork its workers, which is much faster than spawning them
    runner = make_runner(opts["runner"], opts["workers"], code_root_for(entity))
    try:
        with progress:
            result = execute_local(
                entity,
                inputs,
                runner=runner,
                listener=progress.listener(),
                cache=not opts["no_cache"],
            )
    except (InputError, LiteralTypeError) as e:
        # an input the parser let through but the type layer refused: still nothing ran
        raise click.UsageError(str(e), ctx) from None
    except SlipstreamError as e:
        _fail(ErrorInfo(code=e.code, message=str(e), kind=e.kind, type=type(e).__name__), "", opts)
    except Exception as e:  # a bug or a broken environment, not the user's task: say so and exit 1
        tb = "".join(traceback.format_exception(e))
        err = ErrorInfo(
            code=FailureCode.INTERNAL_ERROR,
            message=str(e),
            kind=ErrorKind.SYSTEM,
            type=type(e).__name__,
            traceback=tb,
        )
        _fail(err, "", opts)
    finally:
        runner.close()
    record = result.record
    name = execution_name(record)
    if not opts["as_json"]:
        attempts = getattr(result.executor.store, "attempts", {})
        print_decks([a for recs in attempts.values() for a in recs], err_console)
    if record.phase is not ExecutionPhase.SUCCEEDED:
        err = record.error or ErrorInfo(
            code=FailureCode.FAILED, message=f"execution ended {record.phase}"
        )
        _fail(err, name, opts, task=_task_of(result, err.node))
    iface = entity.python_interface
    values = result.python_outputs()
    if len(iface.outputs) == 1:
        values = (values,)
    outputs = {v.name: values[i] for i, v in enumerate(iface.outputs)} if iface.outputs else {}
    types = {v.name: describe_type(v.python_type) for v in iface.outputs}
    print_outputs(
        outputs,
        result.executor.outputs or {},
        types,
        as_json=opts["as_json"],
        console=stdout_console(),
    )
    if not opts["as_json"] and err_console.is_terminal:
        err_console.print(f"[green]SUCCEEDED[/] {name}", highlight=False)


def _task_of(result: Any, node: str) -> str:
    lookup = getattr(result.executor.store, "node", None)
    rec = lookup(result.record.id, node) if node and lookup is not None else None
    return str(getattr(rec, "task", "") or "")


def _fail(err: ErrorInfo, execution: str, opts: dict[str, Any], task: str = "") -> NoReturn:
    import json

    if opts["as_json"]:
        sys.stdout.write(json.dumps(error_json(err, execution)) + "\n")
        sys.stdout.flush()
    else:
        print_error(err, execution, stderr_console(), task)
    sys.exit(1)


def _execute_spec(entity: SpecEntity, literals: dict[str, Any], given: dict[str, Any]) -> None:
    ctx = click.get_current_context()
    opts = _merged_options(ctx, given)
    if opts["remote"]:
        return execute_remote(entity, literals, opts)
    # `--remote` was among ENTITY's arguments only as an input's value: a local run after all,
    # which needs FILE imported; parse the arguments again as its command
    group = ctx.parent.command if ctx.parent is not None else None
    assert isinstance(group, _FileGroup) and ctx.info_name is not None
    command = group.imported_command(ctx.info_name)
    assert command is not None
    with command.make_context(ctx.info_name, list(group.entity_args), parent=ctx.parent) as sub:
        command.invoke(sub)
    return None


class _FileGroup(click.Group):
    """FILE: its tasks and workflows are the subcommands.

    ``specs`` (a remote run whose specs are remembered) name the entities without importing FILE;
    an entity they cannot serve imports it, as does every local run.
    """

    def __init__(
        self,
        file: str,
        specs: dict[str, SpecEntity | None] | None = None,
        remote_before: bool = False,
    ) -> None:
        self.file = file
        self.specs = specs
        self.remote_before = remote_before
        self.entity_args: list[str] = []
        self._entities: dict[str, Any] | None = None
        if specs is None:
            self._entities = entities_of(load_module(file))
        super().__init__(
            name=file,
            help=f"Tasks and workflows in {file}.",
            context_settings={"help_option_names": ["-h", "--help"]},
            subcommand_metavar="ENTITY [INPUTS]...",
        )

    @property
    def entities(self) -> dict[str, Any]:
        """FILE's tasks, workflows and launch plans (importing FILE on first use)."""
        if self._entities is None:
            self._entities = entities_of(load_module(self.file))
        return self._entities

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.specs if self.specs is not None else self.entities)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = (self.specs or {}).get(cmd_name)
        # an input called `remote` takes `--remote` after ENTITY: then only `--remote` before FILE
        # makes the run remote, and the command from the spec serves only that
        if spec is not None and (
            self.remote_before or all(v.name != "remote" for v in spec.inputs)
        ):
            return spec_command(cmd_name, spec, _run_options(), _execute_spec)
        return self.imported_command(cmd_name)

    def imported_command(self, cmd_name: str) -> click.Command | None:
        """ENTITY's command from FILE imported."""
        entity = self.entities.get(cmd_name)
        if entity is None:
            return None
        return entity_command(cmd_name, entity, _run_options(), _execute)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        self.entity_args = args[1:]
        cmd = self.get_command(ctx, name)
        if cmd is None:
            available = ", ".join(self.entities) or "none"
            raise click.UsageError(
                f"no task or workflow named {name!r} in {self.file} (available: {available})", ctx
            )
        return name, cmd, args[1:]


class _RunGroup(click.Group):
    """``run``: its "subcommands" are files."""

    _loaded: dict[str, _FileGroup]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return []

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._group(cmd_name, remote=bool(ctx.params.get("remote")), ctx=ctx)

    def _group(self, file: str, *, remote: bool, ctx: click.Context) -> _FileGroup:
        before = bool(ctx.params.get("remote"))
        path = str(Path(file).resolve())
        # FILE's group for this invocation: remembered specs hold only while the code is unchanged
        groups: dict[tuple[str, bool, bool], _FileGroup] = ctx.meta.setdefault(
            "slipstream.run.groups", {}
        )
        key = (path, remote, before)
        if key not in groups:
            # a remote run reads FILE's remembered specs instead of importing it (None: import)
            specs = spec_entities(file) if remote else None
            if specs is not None:
                groups[key] = _FileGroup(file, specs, remote_before=before)
            else:  # imported files are kept, as Python keeps their modules
                loaded = self.__dict__.setdefault("_loaded", {})
                if path not in loaded:
                    loaded[path] = _FileGroup(file)
                groups[key] = loaded[path]
        return groups[key]

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # `--remote` counts after ENTITY too; its command (or a later import) has the last word
        remote = bool(ctx.params.get("remote")) or "--remote" in args[2:]
        return args[0], self._group(args[0], remote=remote, ctx=ctx), args[1:]


@click.group(
    cls=_RunGroup,
    params=_run_options(),
    subcommand_metavar="FILE ENTITY [INPUTS]...",
    context_settings={"help_option_names": ["-h", "--help"]},
)
def run(**_: Any) -> None:
    """Run a workflow or task from FILE on this machine, through the engine.

    ENTITY is the name of a task or workflow in FILE; its inputs are options parsed by their
    declared type (`slipstream run FILE ENTITY --help` lists them). Run options go before FILE or
    after ENTITY. Exit codes: 0 success, 1 the run (or importing FILE) failed, 2 bad usage or a
    bad input value (then nothing ran).
    """
