"""``slipstream run --remote FILE ENTITY --inputs``: register the code (as ``slipstream register``
does), start an execution on the server, print its id; with ``--wait``, follow it with the local
run's progress view and print its outputs (exit 1 when it did not succeed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["REMOTE_OPTION_NAMES", "execute_remote", "remote_options", "started"]

REMOTE_OPTION_NAMES = (
    "remote",
    "wait",
    "endpoint",
    "project",
    "domain",
    "version",
    "exec_name",
    "cluster",
)


def remote_options() -> list[click.Option]:
    """The options of a remote run (accepted before FILE and after ENTITY, like the others)."""
    return [
        click.Option(
            ["--remote"],
            is_flag=True,
            default=None,
            help="Run on the server: register FILE's code, then start an execution there.",
        ),
        click.Option(
            ["--wait"],
            is_flag=True,
            default=None,
            help="With --remote: follow the execution to its end and print its outputs.",
        ),
        click.Option(["--endpoint"], default=None, help="With --remote: the server URL."),
        click.Option(["--project", "-p"], default=None, help="With --remote: the project."),
        click.Option(["--domain", "-d"], default=None, help="With --remote: the domain."),
        click.Option(
            ["--version"],
            default=None,
            help="With --remote: version to register (default: git commit if clean, else the "
            "code's hash).",
        ),
        click.Option(
            ["--name", "exec_name"],
            default=None,
            help="With --remote: the execution's name (default: generated).",
        ),
        click.Option(
            ["--cluster"],
            default=None,
            help="With --remote: run on this compute cluster alone (default: the route of the "
            "settings, execution_cluster).",
        ),
    ]


def execute_remote(entity: Any, inputs: dict[str, Any], opts: dict[str, Any]) -> None:
    """Register, execute, print the execution's id, and follow it with ``--wait``.

    ``entity`` is a local task, workflow or launch plan with Python ``inputs``, or a
    :class:`~slipstream.cli._spec_commands.SpecEntity` with ``inputs`` as literals (FILE not
    imported: registering it reuses the remembered specs, and the spec names what to launch), or
    as ``Unencoded`` values for files and DataFrames. Local files and DataFrames are uploaded to
    the server's store by ``Remote.execute``.
    """
    from slipstream.errors import InputError, LiteralTypeError, SlipstreamError

    from ._remote import for_cli, open_remote
    from ._spec_commands import SpecEntity, Unencoded

    file = _source_file(entity)
    as_json = bool(opts.get("as_json"))
    by_spec = isinstance(entity, SpecEntity)
    literals: dict[str, Any] | None = None
    if by_spec:  # literals, but files and DataFrames as values (local data is uploaded)
        literals = {k: v for k, v in inputs.items() if not isinstance(v, Unencoded)}
        inputs = {k: v.value for k, v in inputs.items() if isinstance(v, Unencoded)}
    try:
        with open_remote(opts.get("endpoint"), opts.get("project"), opts.get("domain")) as remote:
            done = remote.register(file, version=opts.get("version"))
            record = remote.execute(
                entity.spec if by_spec else entity,
                inputs,
                literals=literals,
                version=done.version,
                name=opts.get("exec_name") or None,
                cluster=opts.get("cluster") or None,
            )
            # by spec: the outputs typed by the registered interface (no Python types here)
            started(remote, record, done.version, entity=None if by_spec else entity, opts=opts)
    except (InputError, LiteralTypeError) as e:
        # an input the server refused (missing, fixed by the launch plan): nothing was started
        raise click.UsageError(str(e)) from None
    except SlipstreamError as error:
        shown = for_cli(error)
        assert isinstance(shown, SlipstreamError)
        if as_json:
            body = {"code": shown.code, "message": shown.message}
            sys.stdout.write(json.dumps({"error": body}) + "\n")
            sys.exit(1)
        click.echo(f"error [{shown.code}]: {shown.message}", err=True)
        sys.exit(1)


def started(remote: Any, record: Any, version: str, *, entity: Any, opts: dict[str, Any]) -> None:
    """An execution was created: print its name (``--json``: its name, version and console
    URL) and its console page; with ``--wait``, follow it and print its outputs."""
    from ._follow import follow
    from ._render import execution_name, stderr_console

    as_json = bool(opts.get("as_json"))
    name = execution_name(record)
    url = remote.console_url(record)
    if not opts.get("wait"):
        if as_json:
            sys.stdout.write(json.dumps({"execution": name, "version": version, "url": url}) + "\n")
        else:  # stdout holds the name alone, for scripts
            click.echo(name)
            click.echo(f"console: {url}", err=True)
        return
    # stdout holds the outputs (one JSON object with --json, as a local run prints them)
    stderr_console().print(
        f"execution {name} (version {version})\nconsole: {url}", highlight=False, soft_wrap=True
    )
    follow(remote, record, entity=entity, as_json=as_json)


def _source_file(entity: Any) -> str:
    """FILE of ``slipstream run FILE ENTITY`` (what ``slipstream register`` would be given), else
    the file that defines ``entity``."""
    import inspect

    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        file = getattr(ctx.command, "file", None)
        if isinstance(file, str):
            return str(Path(file).resolve())
        ctx = ctx.parent

    target = getattr(entity, "workflow", None) if hasattr(entity, "launch_inputs") else None
    obj = target or entity
    fn = getattr(obj, "fn", None) or getattr(obj, "_fn", None) or getattr(obj, "function", None)
    for candidate in (fn, obj):
        if candidate is None:
            continue
        try:
            path = inspect.getsourcefile(candidate)
        except TypeError:
            path = None
        if path:
            return str(Path(path).resolve())
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    if path:
        return str(Path(path).resolve())
    raise click.UsageError(f"cannot tell which file defines {getattr(entity, 'name', entity)!r}")
