"""The root click group; each subcommand is imported only when it is invoked.

The root is also the one place where errors are shown and ``--json`` is handled for every command
(see ``_json_mode``): commands raise slipstream's errors or click's, and never print them.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Sequence
from typing import Any

import click

from slipstream.errors import SlipstreamError

from ._json_mode import add_json_flag, json_requested, print_error_json, set_json_mode
from ._remote import for_cli

__all__ = ["main"]

# the top-level module of a missing import -> the extra that installs it
_EXTRAS = {
    "fastapi": "server",
    "uvicorn": "server",
    "sqlalchemy": "server",
    "alembic": "server",
    "httpx": "server",
    "psycopg": "server",
    "pathspec": "server",
    "pandas": "dataframes",
    "pyarrow": "dataframes",
    "numpy": "dataframes",
    "polars": "polars",
    "pydantic": "pydantic",
}


class MissingExtraError(click.ClickException):
    """A command needs a library of an optional extra that is not installed."""

    code = "missing_extra"

    def __init__(self, command: str, module: str, extra: str) -> None:
        super().__init__(
            f"`slipstream {command}` needs the {extra!r} extra (no module named {module!r}): "
            f"pip install 'slipstream[{extra}]'"
        )


def _missing_extra(e: ModuleNotFoundError, argv: Sequence[str]) -> MissingExtraError | None:
    top = (e.name or "").split(".", 1)[0]
    extra = _EXTRAS.get(top)
    if extra is None:
        return None
    words = [a for a in argv if not a.startswith("-")][:2]
    command = " ".join(words[:1] if words[:1] == ["run"] else words) or "this command"
    return MissingExtraError(command, top, extra)


# command name -> (module, attribute). One module per command group; keep them thin.
_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("slipstream.cli._run", "run"),
    "launch": ("slipstream.cli._launch", "launch"),
    "server": ("slipstream.cli._server", "server"),
    "engine": ("slipstream.cli._engine", "engine"),
    "db": ("slipstream.cli._db", "db"),
    "register": ("slipstream.cli._register", "register"),
    "get": ("slipstream.cli._get", "get"),
    "project": ("slipstream.cli._project", "project"),
    "promote": ("slipstream.cli._promote", "promote"),
    "config": ("slipstream.cli._config", "config"),
    "settings": ("slipstream.cli._settings", "settings"),
    "execution": ("slipstream.cli._execution", "execution"),
    "logs": ("slipstream.cli._logs", "logs"),
    "signal": ("slipstream.cli._signal", "signal"),
    "gc": ("slipstream.cli._gc", "gc"),
    "auth": ("slipstream.cli._auth", "auth"),
    "launchplan": ("slipstream.cli._launchplan", "launchplan"),
    "env": ("slipstream.cli._env", "env"),
    "lineage": ("slipstream.cli._lineage", "lineage"),
}


# spellings people type for one kind of entity; a command is found under any of them
_SPELLINGS = (
    frozenset({"launch-plan", "launch-plans", "launchplan", "launchplans", "launch_plan", "lp"}),
)


def _spelled(name: str) -> str:
    """The name ``name`` has in ``_COMMANDS`` (``launch-plan`` for ``launchplan``...)."""
    if name in _COMMANDS:
        return name
    for spellings in _SPELLINGS:
        if name in spellings:
            return next((s for s in sorted(spellings) if s in _COMMANDS), name)
    return name


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            name for name in _COMMANDS if importlib.util.find_spec(_COMMANDS[name][0]) is not None
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(_spelled(cmd_name))
        if target is None:
            return None
        try:
            module = importlib.import_module(target[0])
        except ModuleNotFoundError as e:
            if e.name == target[0]:
                return None
            raise
        cmd: click.Command = add_json_flag(getattr(module, target[1]))
        return cmd

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        _, cmd, rest = super().resolve_command(ctx, args)
        return (cmd.name if cmd is not None else None), cmd, rest

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; show any failure once, as text on stderr or (``--json``) as one
        JSON object on stdout, with the same exit status either way."""
        argv, bad_output = _output_aliases(list(sys.argv[1:] if args is None else args))
        as_json = json_requested(argv)
        set_json_mode(as_json)
        try:
            try:
                if bad_output:
                    raise click.UsageError(bad_output)
                rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            except ModuleNotFoundError as e:
                missing = _missing_extra(e, argv)
                if missing is None:
                    raise
                raise missing from None
        except SystemExit:
            raise
        except BaseException as e:
            status = _show(for_cli(e), as_json)
            if status is None:
                raise
            if standalone_mode:
                sys.exit(status)
            raise SystemExit(status) from None
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


# the commands where flytectl users type `-o json` (`get`, `execution`, `project`...): there it
# is `--json`. Elsewhere `-o`/`--output` may be an input of a run, so it is left alone.
_OUTPUT_COMMANDS = frozenset({"get", "execution", "project", "settings", "launchplan"})
_OUTPUT_HELP = (
    "-o/--output takes json (the same as --json); yaml is not offered, as no YAML library is a "
    "dependency"
)


def _output_aliases(argv: list[str]) -> tuple[list[str], str]:
    """``argv`` with ``-o json`` / ``--output json`` (and ``-ojson``, ``--output=json``) as
    ``--json`` for the commands that take it; a message for any other format."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or _spelled(words[0]) not in _OUTPUT_COMMANDS:
        return argv, ""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return out + argv[i:], ""
        value: str | None = None
        if arg in ("-o", "--output"):
            value = argv[i + 1] if i + 1 < len(argv) else ""
            i += 1
        elif arg.startswith("--output="):
            value = arg.partition("=")[2]
        elif arg.startswith("-o") and not arg.startswith("--"):
            value = arg[2:].lstrip("=")
        if value is None:
            out.append(arg)
        elif value.lower() == "json":
            out.append("--json")
        else:
            return argv, f"-o {value}: {_OUTPUT_HELP}"
        i += 1
    return out, ""


def _show(e: BaseException, as_json: bool) -> int | None:
    """Print ``e`` for the user; the exit status, or None to let it propagate (a bug, shown
    with its traceback when not ``--json``)."""
    if as_json:
        if isinstance(e, KeyboardInterrupt | GeneratorExit):
            return None
        return print_error_json(e)
    if isinstance(e, SlipstreamError):
        click.echo(f"error [{e.code}]: {e.message}", err=True)
        return 1
    if isinstance(e, click.ClickException):
        e.show()
        return e.exit_code
    if isinstance(e, click.Abort):
        click.echo("Aborted!", err=True)
        return 1
    return None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="slipstream")
@click.option(
    "--json",
    is_flag=True,
    expose_value=False,
    help="Every command: print results and errors as JSON on stdout (also accepted after the "
    'command). A failure is one object {"error": {code, message, ...}}; exit codes do not '
    "change. `-o json` is the same for get, execution, project, settings and launchplan (yaml "
    "is not offered: no YAML library is a dependency).",
)
def main() -> None:
    """slipstream: typed workflows for machine learning and data processing."""
