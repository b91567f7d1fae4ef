"""``slipstream launchplan activate|deactivate|status|backfill|ticks``: run launch plans on
their schedules.

Activating a version deactivates any other version of the same name. Times are ISO-8601
(``2026-01-01T00:00``, a naive time is UTC) or epoch seconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ._remote import echo_json, echo_table, open_remote, remote_command, utc_when

__all__ = ["launchplan"]


def _time(_ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time (2026-01-01T00:00[+02:00]) nor epoch seconds",
            param=param,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _state_row(s: Any) -> dict[str, Any]:
    sched = s.schedule
    what = getattr(sched, "schedule", None) or f"every {getattr(sched, 'duration_s', 0):g} s"
    tz = getattr(sched, "timezone", "")
    return {
        "name": s.name,
        "version": s.version,
        "active": "yes" if s.active else "no",
        "schedule": f"{what} ({tz})" if tz else what,
        "catchup": sched.catchup,
        "next tick (UTC)": utc_when(s.next_at) if s.active else "",
        "by": s.activated_by,
    }


def _show(state: Any, as_json: bool) -> None:
    import msgspec

    if as_json:
        echo_json(msgspec.to_builtins(state))
    else:
        echo_table([_state_row(state)], list(_state_row(state)))


@click.group()
def launchplan() -> None:
    """Schedules of launch plans: activate, deactivate, status, backfill, ticks."""


@launchplan.command()
@click.argument("name")
@click.option("--version", required=True, help="the version whose schedule runs")
@remote_command
def activate(
    name: str,
    version: str,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Run VERSION of launch plan NAME on its schedule (other versions of NAME stop)."""
    with open_remote(endpoint, project, domain) as remote:
        state = remote.activate_launch_plan(name, version)
    _show(state, as_json)


@launchplan.command()
@click.argument("name")
@remote_command
def deactivate(
    name: str, endpoint: str | None, project: str | None, domain: str | None, as_json: bool
) -> None:
    """Stop the schedule of launch plan NAME."""
    with open_remote(endpoint, project, domain) as remote:
        state = remote.deactivate_launch_plan(name)
    _show(state, as_json)


@launchplan.command()
@click.argument("name", required=False)
@remote_command
def status(
    name: str | None,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """The schedule of launch plan NAME, or of every launch plan ever activated."""
    import msgspec

    with open_remote(endpoint, project, domain) as remote:
        states = [remote.get_schedule(name)] if name else remote.list_schedules()
    if as_json:
        echo_json([msgspec.to_builtins(s) for s in states])
    else:
        rows = [_state_row(s) for s in states]
        echo_table(rows, list(rows[0]) if rows else ["name"], title="schedules (times in UTC)")


@launchplan.command()
@click.argument("name")
@click.option("--from", "start", required=True, callback=_time, help="first tick time")
@click.option("--to", "end", required=True, callback=_time, help="last tick time")
@click.option("--version", default="", help="the version (default: the active one)")
@click.option(
    "--pace", default=1.0, show_default=True, type=float, help="seconds between executions"
)
@remote_command
def backfill(
    name: str,
    start: float,
    end: float,
    version: str,
    pace: float,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """Run the ticks of launch plan NAME between --from and --to, one every --pace seconds.

    Ticks that already ran (on schedule or in an earlier backfill) are not run again.
    """
    import msgspec

    with open_remote(endpoint, project, domain) as remote:
        result = remote.backfill_launch_plan(name, start, end, version=version, pace_s=pace)
    if as_json:
        echo_json(msgspec.to_builtins(result))
        return
    click.echo(
        f"{result.created} tick(s) to run, one every {pace:g} s; {result.existing} already ran"
        " (times in UTC)"
    )
    for t in result.ticks[:20]:
        click.echo(f"  {utc_when(t)}")
    if len(result.ticks) > 20:
        click.echo(f"  ... and {len(result.ticks) - 20} more")


@launchplan.command()
@click.argument("name")
@click.option("--limit", default=20, show_default=True, type=int)
@remote_command
def ticks(
    name: str,
    limit: int,
    endpoint: str | None,
    project: str | None,
    domain: str | None,
    as_json: bool,
) -> None:
    """The latest ticks of launch plan NAME and their executions."""
    import msgspec

    with open_remote(endpoint, project, domain) as remote:
        found = remote.schedule_ticks(name, limit=limit)
    if as_json:
        echo_json([msgspec.to_builtins(t) for t in found])
        return
    rows = [
        {
            "tick (UTC)": utc_when(t.tick_at),
            "origin": t.origin,
            "state": t.state,
            "execution": t.execution,
            "error": t.error,
        }
        for t in found
    ]
    columns = ["tick (UTC)", "origin", "state", "execution", "error"]
    echo_table(rows, columns, title=f"ticks of {name} (times in UTC)")
