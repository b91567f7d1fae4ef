"""The entry point of an attempt run as a job on another service (a Ray job, say).

    python -m slipstream.runners._job_entry STORE REQUEST_URI

Reads the attempt's request from the blob store, runs it as a worker does and writes its result
beside the request (``result.json``), where the engine's connector reads it. Exits 0 when the
result was written, whether the task succeeded or not: the result says which.
"""

from __future__ import annotations

import socket
import sys

from slipstream.model import AttemptRequest, decode, encode
from slipstream.storage import open_store

from ._entrypoint import run_attempt


def main(argv: list[str]) -> int:
    store_url, request_uri = argv
    store = open_store(store_url)
    req = decode(store.get_bytes(request_uri), AttemptRequest)
    result = run_attempt(req, worker=f"job@{socket.gethostname()}")
    store.put_bytes(request_uri.rsplit("/", 1)[0] + "/result.json", encode(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
