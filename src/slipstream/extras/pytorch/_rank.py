"""One rank of an ``Elastic`` task: ``python -m slipstream.extras.pytorch._rank JOB_DIR``.

Reads the job (the task's loader and inputs), joins the ``torch.distributed`` process group from the
environment its parent set, runs the function and writes its result (rank 0) or its traceback.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from slipstream.model import TaskLoader
from slipstream.sdk import resolve_loader


def _die_with_parent(parent: int) -> None:
    """A rank whose worker died (killed, aborted) ends too, instead of waiting in a collective."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="elastic-parent-watch", daemon=True).start()


def _backend(asked: str | None) -> str:
    """NCCL when every rank of this machine has a GPU of its own, else gloo: all ranks decide
    alike (one GPU for two ranks must not put rank 0 on NCCL and rank 1 on gloo)."""
    import torch

    if asked:
        return asked
    ranks = int(os.environ["LOCAL_WORLD_SIZE"])
    if torch.cuda.is_available() and torch.cuda.device_count() >= ranks:
        return "nccl"
    return "gloo"


def run(job: Path) -> Any:
    import torch
    import torch.distributed as dist

    payload = pickle.loads((job / "job.pkl").read_bytes())
    module, qualname, file = payload["loader"]
    task = resolve_loader(
        TaskLoader(module=module, qualname=qualname, file=file), payload["code_root"] or None
    )
    local_rank = int(os.environ["LOCAL_RANK"])
    backend = _backend(payload["backend"])
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend)
    try:
        return task._fn(**payload["kwargs"])
    except BaseException:
        _write_error(job)  # before leaving the group: the peers' errors come after this one
        raise
    finally:
        dist.destroy_process_group()


def _write_error(job: Path) -> None:
    """The traceback, after the time it happened: the parent reports the earliest failure."""
    err = job / f"error-{os.environ['RANK']}.txt"
    if not err.exists():
        tmp = err.with_suffix(".tmp")
        tmp.write_text(f"{time.monotonic_ns()}\n{traceback.format_exc()}")
        tmp.rename(err)  # whole or absent for the parent, which may read it at any time


def main() -> None:
    job = Path(sys.argv[1])
    rank = int(os.environ["RANK"])
    _die_with_parent(int(os.environ["SLIPSTREAM_ELASTIC_PARENT"]))
    try:
        value = run(job)
    except BaseException:
        _write_error(job)
        sys.stderr.write(traceback.format_exc())
        sys.exit(1)
    if rank == 0:
        (job / "result-0.pkl").write_bytes(pickle.dumps({"value": value}))


if __name__ == "__main__":
    main()
