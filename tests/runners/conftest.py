"""Attempt requests built by hand, for driving runners without an engine."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slipstream.model import AttemptRequest, AttemptResult, ExecutionId, TaskTemplate

_ids = itertools.count(1)

MakeRequest = Callable[..., AttemptRequest]


@pytest.fixture
def make_request(tmp_path: Path) -> MakeRequest:
    """``make_request(task, inputs, **fields)``: an attempt of ``task`` with its blobs in tmp."""
    default_store = f"file://{tmp_path / 'blobs'}"

    def build(task: Any, inputs: dict[str, Any] | None = None, **fields: Any) -> AttemptRequest:
        store = fields.pop("store", default_store)
        template: TaskTemplate = task if isinstance(task, TaskTemplate) else task.template
        n = next(_ids)
        fields.setdefault("node", f"n{n}")
        return AttemptRequest(
            execution=fields.pop("execution", ExecutionId("p", "d", "e1")),
            attempt=fields.pop("attempt", 1),
            task=template,
            inputs=inputs or {},
            store=store,
            output_prefix=f"{store}/e1/{fields['node']}/1",
            **fields,
        )

    return build


def wait_for(runner: Any, count: int, timeout: float = 30.0) -> list[AttemptResult]:
    """The next ``count`` results of ``runner`` (fails the test after ``timeout`` seconds)."""
    import time

    out: list[AttemptResult] = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(out)} of {count} results after {timeout} s: {out}"
        out.extend(runner.wait(min(left, 1.0)))
    return out
