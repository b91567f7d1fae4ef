"""What crosses between the engine and a worker: one attempt's request and its result.

Both travel as they are (msgpack between the engine and its worker processes, JSON elsewhere), so
every runner (inline, the warm pool, Ray) speaks the same two structs.
"""

from __future__ import annotations

from typing import Any

import msgspec

from slipstream.errors import ErrorKind

from ._execution import ErrorInfo
from ._identifier import ExecutionId
from ._task import TaskTemplate

__all__ = ["LOG_FILE", "AttemptRequest", "AttemptResult", "ErrorKind"]

LOG_FILE = "output.log"
"""The name of an attempt's log (stdout and stderr, interleaved) inside its ``log_dir``."""


class AttemptRequest(msgspec.Struct, frozen=True, omit_defaults=True):
    """Everything a worker needs to run one attempt of a task node.

    ``output_prefix`` is the attempt's folder in the blob store; ``checkpoint_src`` the previous
    attempt's checkpoint (empty on the first attempt). ``code_root`` is prepended to ``sys.path``
    before the task's module is imported. ``log_dir`` (empty: not captured) is where the worker
    keeps the attempt's stdout and stderr.
    """

    execution: ExecutionId
    node: str
    attempt: int
    task: TaskTemplate
    inputs: dict[str, Any]
    store: str
    output_prefix: str
    checkpoint_dest: str = ""
    checkpoint_src: str = ""
    code_root: str = ""
    timeout_s: float | None = None
    offload_bytes: int = 1 << 20
    """Encoded outputs larger than this are written to the blob store instead of returned."""
    log_dir: str = ""
    log_spool: bool = False
    """Keep the log only if the attempt writes one, and only when it ends (map items)."""
    secret_values: tuple[tuple[str, str, str], ...] = ()
    """``(group, key, value)`` of the secrets the server granted this attempt, added by a pool
    whose workers are isolated just before the request goes to its worker; never recorded."""


class AttemptResult(msgspec.Struct, omit_defaults=True):
    """How an attempt ended.

    Exactly one of ``outputs`` / ``outputs_uri`` / ``dynamic`` is set on success; ``dynamic`` holds
    the JSON of the workflow a ``@dynamic`` task generated. ``exception`` is the original exception,
    pickled, when it could be (the engine raises it again for local runs); ``error`` is its recorded
    form. ``execution`` is set by runners shared between executions.
    """

    node: str
    attempt: int
    ok: bool
    outputs: dict[str, Any] | None = None
    outputs_uri: str = ""
    dynamic: bytes = b""
    error: ErrorInfo | None = None
    exception: bytes = b""
    timed_out: bool = False
    started_at: float = 0.0
    ended_at: float = 0.0
    worker: str = ""
    log_uri: str = ""
    execution: ExecutionId | None = None
    deck_uri: str = ""
    """The attempt's decks as one HTML page in the blob store ("" when the task made none)."""
    memory_peak: int = 0
    """The most resident memory the worker was seen using in bytes, where its memory was watched
    (an attempt with a memory limit, in a worker process); 0 otherwise."""
