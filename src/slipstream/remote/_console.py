"""The console's addresses: one scheme for every client that prints or returns a link to a page
(``FlyteRemote.generate_console_url``, ``slipstream server``, ``run --remote``, ``launch``)."""

from __future__ import annotations

from urllib.parse import quote

from slipstream.model import ExecutionId, Identifier, ResourceType

__all__ = ["console_url"]

_KINDS = {
    ResourceType.TASK: "tasks",
    ResourceType.WORKFLOW: "workflows",
    ResourceType.LAUNCH_PLAN: "launch_plans",
}


def console_url(endpoint: str, target: ExecutionId | Identifier | None = None) -> str:
    """The console page of ``target`` on the server at ``endpoint``: an execution's page, a
    registered entity's (at its version), or the console's front page when ``target`` is None."""
    base = f"{endpoint.rstrip('/')}/console"
    if target is None:
        return base
    if isinstance(target, ExecutionId):
        return (
            f"{base}/executions/{_part(target.project)}/{_part(target.domain)}/{_part(target.name)}"
        )
    page = f"{base}/projects/{_part(target.project)}/{_part(target.domain)}"
    page += f"/{_KINDS[target.resource_type]}/{_part(target.name)}"
    return f"{page}?version={quote(target.version, safe='')}" if target.version else page


def _part(text: str) -> str:
    return quote(text, safe="")
