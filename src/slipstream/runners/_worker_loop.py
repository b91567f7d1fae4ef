"""The loop of one warm worker process of the local pool: batches of attempt requests in,
batches of results out, msgpack over the pool's pipe. A worker of a server's pool first stops
being the server (``_privileges``) and runs each attempt with only the secrets granted to it."""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

import msgspec

from slipstream.engine import AttemptRequest, AttemptResult
from slipstream.errors import LiteralTypeError
from slipstream.sdk._secrets import granted_secrets

from ._entrypoint import error_info, run_attempt
from ._isolation import use_code_root
from ._lifetime import die_with_parent
from ._privileges import WorkerIsolation, enter_isolation

__all__ = ["worker_loop"]

_REPORT_AFTER_S = 0.002
"""A batch's results go back as one message, unless its attempts have run this long: then those
that ended go back before the next starts. Tiny attempts still cost one message per batch."""


def worker_loop(
    conn: Any,
    code_root: str,
    name: str,
    parent: int,
    kernel: bool,
    isolation: WorkerIsolation | None = None,
) -> None:
    """Run the attempts that come in batches over ``conn`` until it closes (or an empty message
    asks the worker to stop); each batch's results go back as one message, or several when its
    attempts take a while (``_REPORT_AFTER_S``).

    ``parent`` 0: the process that started this one (the fork server of an isolated pool)."""
    die_with_parent(parent or os.getppid(), kernel or not parent)
    if isolation is not None:
        enter_isolation(isolation, name, conn.fileno())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when work stops
    if code_root and code_root not in sys.path:
        sys.path.insert(0, code_root)
    decoder = msgspec.msgpack.Decoder(list[AttemptRequest])
    encoder = msgspec.msgpack.Encoder()
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not data:  # the pool is closing
            return
        batch: list[AttemptResult] = []
        sent = time.monotonic()
        for req in decoder.decode(data):
            if batch and time.monotonic() - sent >= _REPORT_AFTER_S:
                # what ended goes back before more starts: the pool records it sooner, and a
                # crash of the next attempt cannot take it along
                conn.send_bytes(_encoded(encoder, batch))
                batch = []
                sent = time.monotonic()
            if req.code_root:
                use_code_root(req.code_root)
            if isolation is None:
                batch.append(run_attempt(req, name))
                continue
            where = f"project {req.execution.project}, domain {req.execution.domain}"
            with granted_secrets(req.secret_values, where):
                batch.append(run_attempt(req, name))
        conn.send_bytes(_encoded(encoder, batch))


_UNENCODABLE = (TypeError, ValueError, OverflowError, msgspec.EncodeError)


def _encoded(encoder: msgspec.msgpack.Encoder, batch: list[AttemptResult]) -> bytes:
    """``batch`` as one message; a result that cannot be encoded (an output holding an int past
    64 bits) is sent as its attempt's failure, saying why, so that the worker lives on and the
    other results of the batch arrive."""
    try:
        return encoder.encode(batch)
    except _UNENCODABLE:
        return encoder.encode([_sendable(encoder, r) for r in batch])


def _sendable(encoder: msgspec.msgpack.Encoder, r: AttemptResult) -> AttemptResult:
    try:
        encoder.encode(r)
    except _UNENCODABLE as e:
        why = LiteralTypeError(
            f"the outputs of node {r.node} cannot be sent back from the worker: "
            f"{type(e).__name__}: {e}"
        )
        return msgspec.structs.replace(
            r,
            ok=False,
            outputs=None,
            outputs_uri="",
            dynamic=b"",
            exception=b"",
            error=error_info(why, r.node),
        )
    return r
