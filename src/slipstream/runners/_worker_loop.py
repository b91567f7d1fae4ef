"""The loop of one warm worker process of the local pool: batches of attempt requests in,
batches of results out, msgpack over the pool's pipe."""

from __future__ import annotations

import signal
import sys
from typing import Any

import msgspec

from slipstream.engine import AttemptRequest

from ._entrypoint import run_attempt
from ._isolation import use_code_root
from ._lifetime import die_with_parent

__all__ = ["worker_loop"]


def worker_loop(conn: Any, code_root: str, name: str, parent: int, kernel: bool) -> None:
    """Run the attempts that come in batches over ``conn`` until it closes (or an empty message
    asks the worker to stop); each batch's results go back as one message."""
    die_with_parent(parent, kernel)
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
        batch = []
        for req in decoder.decode(data):
            if req.code_root:
                use_code_root(req.code_root)
            batch.append(run_attempt(req, name))
        conn.send_bytes(encoder.encode(batch))
