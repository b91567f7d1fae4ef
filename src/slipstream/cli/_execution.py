"""``slipstream execution describe|abort|relaunch|recover NAME`` and ``slipstream get executions``."""

from __future__ import annotations

from typing import Any

import click

from ._follow import follow, record_row
from ._remote import echo_json, echo_table, open_remote, remote_command

__all__ = ["execution", "executions"]

_COLUMNS = ["name", "phase", "target", "mode", "launched_by", "created_at", "duration_s"]


@click.command("executions")
@click.option("--phase", default=None, help="Only executions in this phase (e.g. RUNNING).")
@click.option("--workflow", default=None, help="Only executions of this workflow or task name.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@remote_command
def executions(
    phase: str | None,
    workflow: str | None,
    limit: int,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """List executions, newest first."""
    with open_remote(endpoint, project, domain) as remote:
        found = remote.recent_executions(
            phase=phase.upper() if phase else None, workflow=workflow, limit=limit
        )
    rows = [record_row(r) for r in found]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, _COLUMNS)


@click.group()
def execution() -> None:
    """Describe, abort, relaunch or recover an execution on the server."""


@execution.command()
@click.argument("name")
@click.option("--nodes/--no-nodes", default=True, help="Show the node executions too.")
@click.option(
    "--attempts",
    is_flag=True,
    help="With the nodes: each task node's attempts (phase, cluster, worker; a request per node).",
)
@remote_command
def describe(
    name: str,
    nodes: bool,
    attempts: bool,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Show execution NAME: phase, target, cluster, inputs, error, and its node executions."""
    from slipstream.model import ExecutionPhase

    with open_remote(endpoint, project, domain) as remote:
        record = remote.fetch_execution(name)
        row = record_row(record)
        row["inputs"] = record.spec.inputs
        row["url"] = remote.console_url(record)
        if record.phase is ExecutionPhase.SUCCEEDED:
            row["outputs"] = _outputs(remote, record)
        node_rows = (
            [
                _node_row(remote, record, n, attempts)
                for n in remote.node_executions(record, deep=True)
            ]
            if nodes
            else []
        )
    if as_json:
        echo_json({**row, "nodes": node_rows} if nodes else row)
        return
    for key, value in row.items():
        if value not in (None, "", {}) and key != "error":
            click.echo(f"{key:>12}: {value}")
    if record.error is not None:
        from rich.console import Console

        from ._render import print_error

        print_error(record.error, record.id.name, Console(highlight=False))
    if node_rows:
        click.echo("")
        echo_table(node_rows, ["path", "name", "phase", "attempts", "cache", "duration_s"])
        for r in node_rows:
            for note in r.get("memory", ()):
                click.echo(f"{r['path']}: {note}")
            for a in r.get("attempt_list", ()):
                click.echo(
                    f"{r['path']} attempt {a['number']}: {a['phase']} on cluster "
                    f"{a['cluster'] or '?'} ({a['worker']})"
                )


def _outputs(remote: Any, record: Any) -> Any:
    import msgspec

    from ._render import loaded, to_jsonable

    try:  # a DataFrame as {"rows", "columns", "uri"}, as run --remote --wait prints it
        literals = remote.values(record, "outputs").values
        values = remote.outputs(record).items()
        return {k: to_jsonable(loaded(v), literals.get(k)) for k, v in values}
    except (msgspec.ValidationError, ValueError, TypeError):  # shown only; never fail describe
        return None


def _node_row(remote: Any, record: Any, node: Any, with_attempts: bool = False) -> dict[str, Any]:
    duration = None
    if node.started_at and node.ended_at:
        duration = round(node.ended_at - node.started_at, 3)
    row: dict[str, Any] = {
        "path": node.path,
        "name": node.name or node.task,
        "phase": node.phase.value,
        "attempts": node.attempts,
        "cache": node.cache.value,
        "duration_s": duration,
    }
    if node.error is not None:
        row["error"] = node.error.message
    if (node.attempts > 1 or with_attempts) and node.task:  # one request
        from slipstream.model import memory_notes

        attempts = remote.attempts(record, node.path)
        if with_attempts:
            row["attempt_list"] = [
                {
                    "number": a.number,
                    "phase": a.phase.value,
                    "cluster": a.cluster,
                    "worker": f"{a.runner} {a.worker}".strip(),
                }
                for a in attempts
            ]
        notes = memory_notes(attempts)
        if notes:
            row["memory"] = list(notes.values())
            row["attempt_memory"] = [
                {"number": a.number, "limit": a.memory_limit, "peak": a.memory_peak}
                for a in attempts
            ]
        if not with_attempts and any(a.cluster for a in attempts):  # failover moves them
            row["attempt_clusters"] = {str(a.number): a.cluster for a in attempts}
    return row


@execution.command()
@click.argument("name")
@click.option("--cause", default="", help="Why (kept with the execution).")
@remote_command
def abort(
    name: str,
    cause: str,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Abort execution NAME (a queued one at once; a running one once its attempts stop)."""
    with open_remote(endpoint, project, domain) as remote:
        record = remote.terminate(name, cause=cause)
    if as_json:
        echo_json(record_row(record))
    else:
        click.echo(f"{record.id.name}: {record.phase.value}")


def _again_command(mode: str, help_text: str) -> click.Command:
    @click.argument("name")
    @click.option("--name", "new_name", default=None, help="Name of the new execution.")
    @click.option("--wait", is_flag=True, help="Follow the new execution and print its outputs.")
    @remote_command
    def command(
        name: str,
        new_name: str | None,
        wait: bool,
        endpoint: str | None,
        project: str | None,
        domain: str | None,
        as_json: bool,
    ) -> None:
        with open_remote(endpoint, project, domain) as remote:
            start = remote.relaunch if mode == "relaunch" else remote.recover
            record = start(name, name=new_name)
            if wait:
                follow(remote, record, as_json=as_json)
                return
        if as_json:
            echo_json(record_row(record))
        else:
            i = record.id
            click.echo(f"{i.project}/{i.domain}/{i.name}")

    command.__doc__ = help_text
    return click.command(mode)(command)


execution.add_command(
    _again_command(
        "relaunch", "Start a new execution of NAME's target with the same inputs; prints its id."
    )
)
execution.add_command(
    _again_command(
        "recover",
        "Start a new execution of a FAILED, ABORTED or TIMED_OUT execution NAME that reuses the "
        "outputs of every node that succeeded in it; prints its id.",
    )
)
