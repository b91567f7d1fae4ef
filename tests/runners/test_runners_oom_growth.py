"""An attempt given more memory after one was killed for memory carries its task with the grown
limit and request: the pool accounts the grown request against the machine, and the worker
enforces the grown limit and reports its peak."""

from __future__ import annotations

import time

import pytest
from runner_requests import MakeRequest, wait_for

from slipstream import Resources, task
from slipstream.engine._attempts import grown
from slipstream.runners import LocalRunner
from slipstream.runners._resources import demand_of, memory_limit_of

pytestmark = pytest.mark.timeout(60)

MiB = 1 << 20


@task(requests=Resources(mem="50Mi"), limits=Resources(mem="1Gi"))
def holds(pause: float) -> tuple[float, float]:
    started = time.monotonic()
    time.sleep(pause)
    return started, time.monotonic()


def test_growing_keeps_the_ratio_of_request_to_limit() -> None:
    bigger = grown(holds.template, 2 << 30)
    assert bigger.limits.mem == "2Gi" and bigger.requests.mem == "100Mi"
    d = demand_of(bigger)
    assert d is not None and d.mem == 100 * MiB
    assert memory_limit_of(bigger) == 2 << 30
    assert holds.template.limits.mem == "1Gi"  # the task itself is left as it was


def test_the_pool_accounts_the_grown_request(make_request: MakeRequest) -> None:
    bigger = grown(holds.template, 2 << 30)  # asks 100Mi
    with LocalRunner(workers=2, memory="150Mi") as runner:
        runner.submit(make_request(holds.template, {"pause": 0.3}))
        runner.submit(make_request(holds.template, {"pause": 0.3}))
        assert runner.held == 0  # 2 x 50Mi fit
        results = wait_for(runner, 2)
        assert all(r.ok for r in results)
        assert all(0 < r.memory_peak < 1 << 30 for r in results)
        runner.submit(make_request(bigger, {"pause": 0.3}))
        runner.submit(make_request(bigger, {"pause": 0.3}))
        assert runner.held == 1  # 2 x 100Mi do not
        assert all(r.ok for r in wait_for(runner, 2))
