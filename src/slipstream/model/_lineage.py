"""Lineage across executions: which node made a blob, from what, and who read it later.

A lineage answer is a small graph: the blobs reached from the subject (a URI, or one node of an
execution) within ``depth`` hops, each with the node executions that wrote it and those that read
it. A step in a project the caller may not read is ``hidden``: no names, no URIs.
"""

from __future__ import annotations

import msgspec

from ._identifier import ExecutionId

__all__ = ["Lineage", "LineageBlob", "LineageStep"]


class LineageStep(msgspec.Struct, frozen=True, omit_defaults=True):
    """One node execution that wrote or read a blob (``node`` empty: the execution's own inputs).

    ``attempt`` is the attempt whose outputs were kept; ``code_version`` the version of what the
    execution ran (``name@version``); ``cache`` the node's cache status, and for a node answered
    from the cache (``HIT``) or one that filled it (``POPULATED``), ``cache_entry`` names the entry
    (``task`` and the execution that computed it); ``inputs`` and ``outputs`` are the blob URIs
    the node read and wrote.
    """

    hidden: bool = False
    execution: ExecutionId | None = None
    node: str = ""
    attempt: int = 0
    task: str = ""
    code_version: str = ""
    phase: str = ""
    cache: str = ""
    cache_entry: str = ""
    at: float = 0.0
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


class LineageBlob(msgspec.Struct, frozen=True, omit_defaults=True):
    """A blob and the steps around it: who ``produced`` it and who ``consumed`` it.

    ``depth`` is its distance (in hops) from the subject; ``uri`` may be a folder that holds the
    URI asked about (a ``Directory`` output).
    """

    uri: str
    depth: int
    producers: tuple[LineageStep, ...] = ()
    consumers: tuple[LineageStep, ...] = ()


class Lineage(msgspec.Struct, frozen=True, omit_defaults=True):
    """The lineage of ``subject`` (a URI or ``project/domain/execution/node``) to ``depth`` hops."""

    subject: str
    depth: int
    blobs: tuple[LineageBlob, ...] = ()
    node: LineageStep | None = None
    """For a node subject: the node itself."""
    truncated: bool = False
    """More blobs were reachable than one answer holds."""
