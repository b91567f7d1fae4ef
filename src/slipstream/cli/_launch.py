"""``slipstream launch ENTITY [--version V] [--launchplan] [--name N] [--wait] [INPUTS]``: start an
execution of what the server holds, without registering anything (a launcher's token suffices).

ENTITY's command is built from its registered spec, as ``run --remote`` builds it from remembered
specs (``_spec_commands``): one option per input of the registered interface, parsed by its literal
type; a launch plan's fixed inputs are refused as fixed. Launch options go before ENTITY or after it
(before it when an input has the same name).
"""

from __future__ import annotations

from typing import Any

import click

from ._remote import connection_params, open_remote
from ._run_remote import started
from ._spec_commands import SpecEntity, Unencoded, launch_plan_entity, spec_command, spec_entity

__all__ = ["launch"]

_OPTION_NAMES = (
    "version",
    "launchplan",
    "exec_name",
    "wait",
    "endpoint",
    "project",
    "domain",
    "cluster",
)
# options that say which entity to look up, scanned after ENTITY before its command exists
_LOOKUP = {
    "--version": "version",
    "--endpoint": "endpoint",
    "--project": "project",
    "-p": "project",
    "--domain": "domain",
    "-d": "domain",
    "--token": "token",
}


def _launch_options() -> list[click.Option]:
    """The options of a launch; accepted before ENTITY and again after it."""
    return [
        click.Option(
            ["--version"], default=None, help="The version to launch (default: the newest)."
        ),
        click.Option(
            ["--launchplan", "--launch-plan", "launchplan"],
            is_flag=True,
            default=None,
            help="ENTITY is a launch plan (else a workflow, or a task, by that name).",
        ),
        click.Option(
            ["--name", "exec_name"],
            default=None,
            help="The execution's name (default: generated).",
        ),
        click.Option(
            ["--wait"],
            is_flag=True,
            default=None,
            help="Follow the execution to its end and print its outputs.",
        ),
        click.Option(
            ["--cluster"],
            default=None,
            help="Run on this compute cluster alone (default: the route of the settings).",
        ),
        *connection_params(),
        click.Option(
            ["--json", "as_json"],
            is_flag=True,
            default=None,
            help="Print the execution (with --wait: its outputs, or the error) as JSON.",
        ),
    ]


def _scanned(args: list[str]) -> dict[str, Any]:
    """The lookup options among ENTITY's arguments (``--version V``, ``--version=V``...)."""
    found: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        key, eq, value = arg.partition("=")
        if key in _LOOKUP:
            if eq:
                found[_LOOKUP[key]] = value
            elif i + 1 < len(args):
                found[_LOOKUP[key]] = args[i + 1]
                i += 1
        elif arg in ("--launchplan", "--launch-plan"):
            found["launchplan"] = True
        i += 1
    return found


def _registered(remote: Any, name: str, version: str | None, launchplan: bool) -> SpecEntity:
    """ENTITY as the server holds it: a launch plan with ``launchplan``, else a workflow, else a
    task of that name."""
    from slipstream.errors import NotFoundError
    from slipstream.model import ResourceType

    if launchplan:
        lp = remote.fetch(ResourceType.LAUNCH_PLAN, name, version).spec
        wf = remote.fetch_workflow(lp.workflow.name, lp.workflow.version or None)
        return launch_plan_entity(name, lp, wf.workflow.interface)
    for rt in (ResourceType.WORKFLOW, ResourceType.TASK):
        try:
            return spec_entity(remote.fetch(rt, name, version).spec)
        except NotFoundError:
            continue
    at = f"@{version}" if version else ""
    raise NotFoundError(
        f"no workflow or task named {name}{at} is registered in "
        f"{remote.default_project}/{remote.default_domain} (a launch plan: add --launchplan)"
    )


class _LaunchGroup(click.Group):
    """``launch``: its one "subcommand" is ENTITY, built from the server's spec of it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return []

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        opts = {**{k: v for k, v in ctx.params.items() if v is not None}, **ctx.meta.get(_SEEN, {})}
        if opts.get("token"):
            ctx.find_root().meta["slipstream.token"] = opts["token"]
        with open_remote(opts.get("endpoint"), opts.get("project"), opts.get("domain")) as remote:
            entity = _registered(
                remote, cmd_name, opts.get("version"), bool(opts.get("launchplan"))
            )
        return spec_command(cmd_name, entity, _launch_options(), _launch)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        ctx.meta[_SEEN] = _scanned(args[1:])
        return args[0], self.get_command(ctx, args[0]), args[1:]


_SEEN = "slipstream.launch.lookup"


def _launch(entity: SpecEntity, inputs: dict[str, Any], given: dict[str, Any]) -> None:
    from slipstream.errors import InputError, LiteralTypeError

    ctx = click.get_current_context()
    before = ctx.parent.params if ctx.parent is not None else {}
    opts = {k: given.get(k) if given.get(k) is not None else before.get(k) for k in _OPTION_NAMES}
    from ._json_mode import json_mode

    opts["as_json"] = bool(given.get("as_json") or before.get("as_json") or json_mode())
    literals = {k: v for k, v in inputs.items() if not isinstance(v, Unencoded)}
    values = {k: v.value for k, v in inputs.items() if isinstance(v, Unencoded)}
    with open_remote(opts["endpoint"], opts["project"], opts["domain"]) as remote:
        try:
            record = remote.execute(
                entity.spec,
                values,
                literals=literals,
                name=opts["exec_name"] or None,
                cluster=opts["cluster"] or None,
            )
        except (InputError, LiteralTypeError) as e:  # refused by the server: nothing started
            raise click.UsageError(str(e)) from None
        version = record.spec.target.version
        started(remote, record, version, entity=None, opts=opts)


@click.group(
    cls=_LaunchGroup,
    params=_launch_options(),
    subcommand_metavar="ENTITY [INPUTS]...",
    context_settings={"help_option_names": ["-h", "--help"]},
)
def launch(**_: Any) -> None:
    """Start an execution of ENTITY as the server holds it (nothing is registered).

    ENTITY is a registered workflow or task (the newest version unless --version), or with
    --launchplan a launch plan; its inputs are options typed by the registered interface
    (`slipstream launch ENTITY --help` lists them). Prints the execution's name and console
    URL; with --wait follows it and prints its outputs (exit 1 when it did not succeed).
    Launch options go before ENTITY or after it (before it when an input has the same name).
    """
