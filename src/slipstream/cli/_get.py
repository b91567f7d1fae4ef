"""``slipstream get``: list or describe projects, tasks, workflows, launch plans and executions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import click

from ._kinds import AliasedGroup, kind_name
from ._remote import (
    echo_json,
    echo_table,
    endpoint_option,
    json_option,
    open_remote,
    remote_command,
    when,
)

__all__ = ["get"]


class _GetGroup(AliasedGroup):
    aliases: ClassVar[Mapping[str, str]] = {
        "launchplans": "launch-plans",
        "launch_plans": "launch-plans",
        "launchplan": "launch-plans",
        "launch-plan": "launch-plans",
        "lp": "launch-plans",
        "task": "tasks",
        "workflow": "workflows",
        "project": "projects",
        "cluster": "clusters",
    }


@click.group(cls=_GetGroup)
def get() -> None:
    """Show what the server holds: projects, tasks, workflows, launch-plans, executions,
    clusters."""


@get.command()
@click.argument("name", required=False)
@endpoint_option
@click.option("--limit", type=int, default=None, help="At most this many rows.")
@json_option
def projects(name: str | None, endpoint: str | None, limit: int | None, as_json: bool) -> None:
    """List projects, or describe project NAME."""
    with open_remote(endpoint, None, None) as remote:
        found = [remote.get_project(name)] if name else remote.list_projects(limit=limit)
    rows = [
        {
            "name": p.name,
            "description": p.description,
            "state": p.state.value,
            "domains": list(p.domains),
            "labels": p.labels,
            "created_at": when(p.created_at),
        }
        for p in found
    ]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["name", "state", "description", "created_at"])


@get.command()
@click.argument("name", required=False)
@endpoint_option
@json_option
def clusters(name: str | None, endpoint: str | None, as_json: bool) -> None:
    """List the compute clusters (or cluster NAME): hosts, runner, capacity, running attempts,
    queue depth and last heartbeat."""
    import msgspec

    from slipstream.errors import NotFoundError

    with open_remote(endpoint, None, None) as remote:
        found = remote.list_clusters()
    if name:
        found = [c for c in found if c.name == name]
        if not found:
            raise NotFoundError(f"cluster {name} does not exist", details={"cluster": name})
    if as_json:
        echo_json([msgspec.to_builtins(c) for c in found])
        return
    echo_table([cluster_row(c) for c in found], _CLUSTER_COLUMNS)


_CLUSTER_COLUMNS = (
    "name",
    "alive",
    "hosts",
    "runner",
    "cpus",
    "memory",
    "gpus",
    "running",
    "queued",
    "last_heartbeat",
)


def cluster_row(cluster: Any) -> dict[str, Any]:
    """One line of ``get clusters``: totals over live hosts, runners of all of them."""
    from slipstream.model import format_memory

    live = sum(1 for h in cluster.hosts if h.alive)
    beat = cluster.heartbeat_at
    return {
        "name": cluster.name,
        "alive": "yes" if cluster.alive else "no",
        "hosts": f"{live}/{len(cluster.hosts)} alive" if cluster.hosts else "none",
        "runner": ", ".join(sorted({h.runner for h in cluster.hosts})),
        "cpus": f"{cluster.capacity.cpus:g}",
        "memory": format_memory(cluster.capacity.memory) if cluster.capacity.memory else "0",
        "gpus": cluster.capacity.gpus,
        "running": cluster.running,
        "queued": cluster.queued,
        "last_heartbeat": when(beat) if beat is not None else "never",
    }


def _entity_command(kind: str, resource_type: str, help_text: str) -> click.Command:
    @click.argument("name", required=False)
    @click.option("--version", default=None, help="One version (with NAME; 'latest' works).")
    @click.option("--limit", type=int, default=None, help="At most this many rows.")
    @remote_command
    def command(
        name: str | None,
        version: str | None,
        limit: int | None,
        endpoint: str | None,
        project: str | None,
        domain: str | None,
        as_json: bool,
    ) -> None:
        from slipstream.model import ResourceType

        rt = ResourceType(resource_type)
        with open_remote(endpoint, project, domain) as remote:
            if name and version:
                found = [remote.fetch(rt, name, version)]
            else:
                found = remote.list_entities(rt, name, version=version, limit=limit)
        rows = [_row(r, with_spec=bool(name and version)) for r in found]
        if as_json:
            echo_json(rows)
        else:
            echo_table(rows, ["name", "version", "project", "domain", "created_at"])

    command.__doc__ = help_text
    return click.command(kind)(command)


def _row(registered: Any, *, with_spec: bool) -> dict[str, Any]:
    import msgspec

    i = registered.id
    row: dict[str, Any] = {
        "type": kind_name(i.resource_type),
        "name": i.name,
        "version": i.version,
        "project": i.project,
        "domain": i.domain,
        "digest": registered.digest,
        "bundle": registered.bundle,
        "created_at": when(registered.created_at),
    }
    if with_spec:
        row["spec"] = msgspec.to_builtins(registered.spec)
    return row


for _kind, _rt, _help in (
    ("tasks", "task", "List tasks (all versions, newest first), or versions of task NAME."),
    ("workflows", "workflow", "List workflows, or versions of workflow NAME."),
    (
        "launch-plans",
        "launch_plan",
        "List launch plans, or versions of launch plan NAME (alias: launchplans).",
    ),
):
    get.add_command(_entity_command(_kind, _rt, _help))


def _executions() -> click.Command:
    from ._execution import executions

    return executions


get.add_command(_executions())


@get.command("execution")
@click.argument("name", required=False)
@click.option("--nodes/--no-nodes", default=True, help="With NAME: show its node executions too.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@remote_command
@click.pass_context
def execution_(
    ctx: click.Context,
    name: str | None,
    nodes: bool,
    limit: int,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Describe execution NAME (as `execution describe NAME`); without NAME, list executions."""
    from ._execution import describe, executions

    where = {"endpoint": endpoint, "project": project, "domain": domain, "as_json": as_json}
    if name:
        ctx.invoke(describe, name=name, nodes=nodes, **where)
    else:
        ctx.invoke(executions, phase=None, workflow=None, limit=limit, **where)
