"""Recorded node results that an executor adopts instead of running the work again.

Two uses, one mechanism. **Resume**: an engine host that restarts (or takes over a dead host's
lease) runs the same execution again from its records: every finished node keeps its result, a
``@dynamic`` node keeps the workflow it generated, an attempt that was running when the host died is
counted as lost (a SYSTEM failure) and the next attempt starts from its checkpoint. A host that shut
down on purpose left its running attempts ``INTERRUPTED`` (never charged) and those that never
started ``QUEUED`` (their numbers are used again). **Recover**: a
new execution copies the outputs of every node that succeeded in a failed one, and each task that
runs again gets the last checkpoint its source node wrote.

Nodes are matched by path, which is stable: the same workflow spec (and the same generated specs)
gives the same paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slipstream.model import AttemptPhase, AttemptRecord, NodePhase, NodeRecord
from slipstream.storage import node_segment

from ._blobs import read_outputs

__all__ = ["Replay"]

_FINISHED = frozenset({NodePhase.SUCCEEDED, NodePhase.FAILED, NodePhase.TIMED_OUT})


class Replay:
    """What an execution adopts from records: by node path."""

    def __init__(
        self,
        nodes: Iterable[NodeRecord],
        attempts: Iterable[AttemptRecord] = (),
        *,
        resume: bool,
        source_prefix: str = "",
        load_outputs: Callable[[NodeRecord], dict[str, Any]] | None = None,
    ) -> None:
        self.resume = resume
        self.nodes: dict[str, NodeRecord] = {n.path: n for n in nodes}
        self.attempts: dict[str, list[AttemptRecord]] = {}
        for a in attempts:
            self.attempts.setdefault(a.node, []).append(a)
        self._source_prefix = source_prefix.rstrip("/")
        self._load = load_outputs

    def __contains__(self, path: str) -> bool:
        return path in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def finished(self, path: str) -> NodeRecord | None:
        """The record to adopt as the node's end: a success, or (when resuming) a failure."""
        rec = self.nodes.get(path)
        if rec is None:
            return None
        if rec.phase is NodePhase.SUCCEEDED or (self.resume and rec.phase in _FINISHED):
            return rec
        return None

    def outputs(self, rec: NodeRecord) -> dict[str, Any]:
        """A recorded node's outputs, read from the blob store when they were offloaded."""
        if rec.outputs is not None:
            return rec.outputs
        if rec.outputs_uri:
            if self._load is not None:
                return self._load(rec)
            return read_outputs(rec.outputs_uri)
        return {}

    def generated(self, path: str) -> bytes:
        """The workflow a ``@dynamic`` node generated, when recorded (its task need not run again)."""
        rec = self.nodes.get(path)
        return rec.spec if rec is not None else b""

    def lost_attempt(self, path: str) -> int:
        """Resume: the number of an attempt that was started but has no recorded end (else 0)."""
        if not self.resume:
            return 0
        rec = self.nodes.get(path)
        if rec is None or rec.attempts == 0 or rec.phase.terminal:
            return 0
        # a QUEUED record: handed to the runner's queue but never started (not lost, not ended)
        ended = {a.number for a in self.attempts.get(path, ()) if a.phase.value != "RUNNING"}
        return 0 if rec.attempts in ended else rec.attempts

    def last_attempt(self, path: str) -> int:
        """The highest attempt number recorded for ``path`` (0 when none), leaving out attempts
        that never started (recorded ``QUEUED`` when their host shut down): the next attempt
        takes their number."""
        rec = self.nodes.get(path)
        n = rec.attempts if rec is not None else 0
        unstarted: set[int] = set()
        for a in self.attempts.get(path, ()):
            if a.phase is AttemptPhase.QUEUED:  # never started: its number is used again
                unstarted.add(a.number)
            else:
                n = max(n, a.number)
        while n in unstarted:
            n -= 1
        return n

    def checkpoint_of(self, path: str) -> str:
        """Recover: the last checkpoint the source execution's node wrote ("" if none)."""
        if self.resume or not self._source_prefix:
            return ""
        n = self.last_attempt(path)
        if n == 0:
            return ""
        return f"{self._source_prefix}/{node_segment(path)}/{n}/checkpoint"
