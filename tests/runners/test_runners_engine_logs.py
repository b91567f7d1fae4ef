"""Through the engine as the server drives it: with logs captured, each attempt's record points at
its own ``output.log`` in the blob store, retried attempts included."""

from __future__ import annotations

import os
from pathlib import Path

from slipstream import task, workflow
from slipstream.engine import Executor, MemoryStateStore
from slipstream.model import ExecutionId, ExecutionPhase
from slipstream.runners import LocalRunner, closure_of, code_root_for
from slipstream.storage import open_store


@task(retries=1)
def flaky(marker: str) -> int:
    first = not os.path.exists(marker)
    print(f"attempt {'one' if first else 'two'} on stdout")
    os.system("echo from a shell >&2")
    if first:
        Path(marker).touch()
        raise RuntimeError("first attempt fails")
    return 5


@workflow
def logged(marker: str) -> int:
    return flaky(marker=marker)


def test_each_attempt_record_points_at_its_log(tmp_path: Path) -> None:
    store_url = f"file://{tmp_path / 'blobs'}"
    states = MemoryStateStore()
    exec_id = ExecutionId("p", "d", "logs1")
    with LocalRunner(workers=1) as runner:
        executor = Executor(
            execution_id=exec_id,
            closure=closure_of(logged),
            inputs={"marker": str(tmp_path / "marker")},
            store=states,
            runner=runner,
            catalog=None,
            blob_store=store_url,
            code_root=code_root_for(logged),
            capture_logs=True,
        )
        executor.run()
    assert executor.record.phase == ExecutionPhase.SUCCEEDED
    attempts = states.attempts[exec_id]
    assert len(attempts) == 2
    uris = [a.log_uri for a in attempts]
    assert len(set(uris)) == 2 and all(u.endswith("/output.log") for u in uris)
    store = open_store(store_url)
    texts = [store.get_bytes(u).decode() for u in uris]
    assert texts[0] == "attempt one on stdout\nfrom a shell\n"
    assert texts[1] == "attempt two on stdout\nfrom a shell\n"
