"""Attempt requests built by hand, for driving runners without an engine."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from runner_requests import MakeRequest

from slipstream.model import AttemptRequest, ExecutionId, TaskTemplate

_ids = itertools.count(1)


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
