"""The warm pool accounts CPU, memory and GPU requests against the machine: what does not fit
waits, what can never fit fails at once with a USER error; memory limits end attempts as OOM."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from runner_requests import MakeRequest, wait_for

from slipstream import Resources, task
from slipstream.errors import ConfigError
from slipstream.model import ErrorKind
from slipstream.runners import LocalRunner
from slipstream.runners._resources import demand_of, detect_gpus


@task(requests=Resources(cpu="1"))
def one_cpu(pause: float) -> tuple[float, float]:
    start = time.monotonic()
    time.sleep(pause)
    return start, time.monotonic()


@task
def no_request(pause: float) -> tuple[float, float]:
    start = time.monotonic()
    time.sleep(pause)
    return start, time.monotonic()


@task(requests=Resources(mem="3Gi"))
def big_memory(pause: float) -> tuple[float, float]:
    start = time.monotonic()
    time.sleep(pause)
    return start, time.monotonic()


@task(requests=Resources(cpu="64"))
def greedy() -> int:
    return 1


@task(requests=Resources(gpu="1"))
def wants_gpu() -> int:
    return 1


@task(requests=Resources(gpu="1"))
def one_gpu(pause: float) -> tuple[float, float]:
    start = time.monotonic()
    time.sleep(pause)
    return start, time.monotonic()


@task(limits=Resources(mem="200Mi"))
def hog(mib: int) -> int:
    block = bytearray(mib << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(5)
    return len(block)


@task(limits=Resources(mem="200Mi"))
def hog_that_swallows(mib: int) -> int:
    block = bytearray(mib << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    for _ in range(100):
        with contextlib.suppress(MemoryError):
            time.sleep(0.1)
    return len(block)


@task(limits=Resources(mem="2Gi"))
def modest() -> int:
    return 7


def _interval(r: object) -> tuple[float, float]:
    outputs = r.outputs  # type: ignore[attr-defined]
    return outputs["o0"], outputs["o1"]


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_requests_over_capacity_wait_for_running_ones(make_request: MakeRequest) -> None:
    with LocalRunner(workers=2, cpus=1) as runner:
        runner.submit(make_request(one_cpu, {"pause": 0.4}))
        runner.submit(make_request(one_cpu, {"pause": 0.4}))
        assert runner.held == 1
        results = wait_for(runner, 2)
        assert runner.held == 0
    assert all(r.ok for r in results), results
    a, b = (_interval(r) for r in results)
    assert not _overlap(a, b), (a, b)


def test_attempts_without_requests_are_never_held(make_request: MakeRequest) -> None:
    with LocalRunner(workers=2, cpus=1) as runner:
        runner.submit(make_request(one_cpu, {"pause": 0.6}))
        runner.submit(make_request(no_request, {"pause": 0.6}))
        assert runner.held == 0
        results = wait_for(runner, 2)
    a, b = (_interval(r) for r in results)
    assert _overlap(a, b), (a, b)


def test_memory_requests_are_accounted(make_request: MakeRequest) -> None:
    with LocalRunner(workers=2, memory="4Gi") as runner:
        runner.submit(make_request(big_memory, {"pause": 0.3}))
        runner.submit(make_request(big_memory, {"pause": 0.3}))
        assert runner.held == 1
        results = wait_for(runner, 2)
    a, b = (_interval(r) for r in results)
    assert not _overlap(a, b)


@pytest.mark.parametrize(
    ("fn", "runner_args", "message"),
    [
        (
            greedy,
            {"cpus": 2},
            "task test_runners_resources.greedy asks 64 CPUs; this machine has 2",
        ),
        (big_memory, {"memory": "1Gi"}, "asks 3 GiB of memory; this machine has 1 GiB"),
        (wants_gpu, {"gpus": 0}, "asks 1 GPUs; this machine has 0"),
    ],
)
def test_more_than_the_machine_fails_at_once(
    make_request: MakeRequest, fn: object, runner_args: dict[str, object], message: str
) -> None:
    inputs = {"pause": 0.0} if fn is big_memory else {}
    with LocalRunner(workers=1, **runner_args) as runner:  # type: ignore[arg-type]
        runner.submit(make_request(fn, inputs))
        started = time.monotonic()
        (result,) = runner.wait(5)
    assert time.monotonic() - started < 3  # at once, not after waiting for room
    assert not result.ok and result.error is not None
    assert result.error.code == "unschedulable"
    assert result.error.kind == ErrorKind.USER
    assert message in result.error.message


def test_gpus_come_from_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,2")
    assert detect_gpus() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert detect_gpus() == 0
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert detect_gpus() == 0


def test_gpus_come_from_nvidia_smi_without_cuda_visible_devices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # this machine has no GPU: a stand-in nvidia-smi prints what the real one prints for two
    fake = tmp_path / "nvidia-smi"
    fake.write_text(
        "#!/bin/sh\n"
        '[ "$1" = "-L" ] || exit 2\n'
        "echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)'\n"
        "echo 'GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-1)'\n"
    )
    fake.chmod(0o755)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert detect_gpus() == 2
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert detect_gpus() == 0


def test_gpu_requests_are_accounted(make_request: MakeRequest) -> None:
    with LocalRunner(workers=2, gpus=1) as runner:
        runner.submit(make_request(one_gpu, {"pause": 0.3}))
        runner.submit(make_request(one_gpu, {"pause": 0.3}))
        assert runner.held == 1
        results = wait_for(runner, 2)
    a, b = (_interval(r) for r in results)
    assert not _overlap(a, b)


def test_a_limit_stands_in_for_a_missing_request() -> None:
    d = demand_of(modest.template)
    assert d is not None and d.mem == 2 << 30 and d.cpu == 0
    assert demand_of(no_request.template) is None


def test_bad_capacity_is_refused() -> None:
    with pytest.raises(ConfigError, match="cpus must be > 0"):
        LocalRunner(workers=1, cpus=0)


def test_going_over_the_memory_limit_is_oom_and_the_worker_is_replaced(
    make_request: MakeRequest,
) -> None:
    with LocalRunner(workers=1) as runner:
        first = runner._workers[0].proc.pid
        runner.submit(make_request(hog, {"mib": 400}))
        started = time.monotonic()
        (result,) = wait_for(runner, 1)
        assert time.monotonic() - started < 4.5  # stopped, not left to sleep 5 s
        assert not result.ok and result.error is not None
        assert result.error.kind == ErrorKind.OOM
        assert result.error.code == "out_of_memory"
        assert "memory limit of 200Mi" in result.error.message
        assert "the worker used" in result.error.message
        runner.submit(make_request(modest))
        (after,) = wait_for(runner, 1)
        assert after.ok and after.outputs == {"o0": 7}
        assert runner.workers == 1
        assert runner._workers[0].proc.pid != first


def test_a_task_that_swallows_the_error_is_stopped_by_the_worker(
    make_request: MakeRequest,
) -> None:
    with LocalRunner(workers=1) as runner:
        runner.submit(make_request(hog_that_swallows, {"mib": 400}))
        (result,) = wait_for(runner, 1)
        assert not result.ok and result.error is not None
        assert result.error.kind == ErrorKind.OOM, result.error
        assert "200Mi" in result.error.message
        runner.submit(make_request(modest))
        (after,) = wait_for(runner, 1)
        assert after.ok


def test_a_local_run_raises_the_unschedulable_error() -> None:
    from slipstream.errors import UnschedulableError
    from slipstream.runners import execute_local

    with (
        LocalRunner(workers=1, cpus=2) as runner,
        pytest.raises(UnschedulableError, match="asks 64 CPUs; this machine has 2"),
    ):
        execute_local(greedy, {}, runner=runner).python_outputs()


def test_cancelling_the_running_attempt_lets_a_held_one_start(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    with LocalRunner(workers=1, cpus=1) as runner:
        running = make_request(one_cpu, {"pause": 30.0})
        runner.submit(running)
        runner.submit(make_request(one_cpu, {"pause": 0.0}))
        assert runner.held == 1
        assert runner.wait(0.2) == []
        runner.cancel(running.node, running.attempt, running.execution)
        results = {r.node: r for r in wait_for(runner, 2, timeout=10)}
    assert results[running.node].error is not None
    assert results[running.node].error.kind == ErrorKind.ABORTED
    assert sum(1 for r in results.values() if r.ok) == 1
