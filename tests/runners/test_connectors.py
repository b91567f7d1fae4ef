"""Connectors run beside the workers: timer jobs wait together and hold no worker, a service that
raises or loses a job fails its task naming the service and the cause (and nothing else), a job
over its timeout is stopped, an abort stops the job, and a node run again after its engine stopped
follows the job it started instead of starting a second one."""

from __future__ import annotations

import json
import time
from pathlib import Path

import msgspec
import pytest
from connector_flows import (
    add,
    broken_beside_fine,
    double,
    journal_first,
    two_timers,
    wait,
    wait_and_fail,
    wait_too_long,
)
from runner_requests import MakeRequest, wait_for

from slipstream.extend.backend import ConnectorRegistry, TimerConnector
from slipstream.model import AttemptRequest, ErrorKind, ExecutionId, TaskTemplate
from slipstream.runners import ConnectorRunner, InlineRunner, execute_local, make_runner
from slipstream.runners._connectors import pause_after


def _attempts(run: object, node: str) -> list[object]:
    ex = run.executor  # type: ignore[attr-defined]
    return [a for a in ex.store.attempts[ex.id] if a.node == node]


def _jobs(folder: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


@pytest.fixture
def jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The timer service's job list: a folder of the engine's (its environment's) choosing."""
    folder = tmp_path / "jobs"
    folder.mkdir()
    monkeypatch.setenv("SLIPSTREAM_TIMER_JOBS_DIR", str(folder))
    return folder


def test_timers_wait_together_and_return() -> None:
    began = time.perf_counter()
    assert two_timers(a=0.4, b=0.5) == pytest.approx(0.9)
    assert time.perf_counter() - began < 0.85  # not one after the other


def test_a_sync_connector_answers_at_once() -> None:
    assert double(x=21) == 42


def test_connectors_are_found_by_task_type() -> None:
    assert isinstance(ConnectorRegistry.get_connector("timer"), TimerConnector)
    assert ConnectorRegistry.find("no-such-type") is None
    with pytest.raises(ValueError, match="no connector runs task type 'no-such-type'"):
        ConnectorRegistry.get_connector("no-such-type")


def test_a_service_that_raises_fails_its_task_alone() -> None:
    run = execute_local(broken_beside_fine, {"x": 3})
    assert run.record.phase.value == "FAILED"
    err = run.record.error
    assert err is not None and err.kind == "SYSTEM" and err.code == "connector_error"
    assert err.message == "broken service: RuntimeError: connection refused"
    (fine,) = _attempts(run, "n1")
    assert fine.phase.value == "SUCCEEDED"  # type: ignore[attr-defined]


def test_a_failed_job_is_the_users_failure() -> None:
    run = execute_local(wait_and_fail, {"seconds": 0.0})
    err = run.record.error
    assert err is not None and err.kind == "USER"
    assert err.message == "timer service: the job failed: the timer broke"
    assert len(_attempts(run, "n0")) == 1  # no retries asked for


def test_a_job_over_its_timeout_is_stopped_and_retried() -> None:
    began = time.perf_counter()
    run = execute_local(wait_too_long, {"seconds": 30.0})
    assert time.perf_counter() - began < 5
    err = run.record.error
    assert err is not None and err.kind == ErrorKind.TIMEOUT
    assert "ran past its timeout of 0.5 s" in err.message
    assert len(_attempts(run, "n0")) == 2  # retries=1


def test_a_job_that_disappears_fails_naming_the_service(
    jobs: Path, make_request: MakeRequest
) -> None:
    runner = ConnectorRunner(InlineRunner())
    try:
        req = make_request(wait, {"seconds": 30.0})
        runner.submit(req)
        deadline = time.monotonic() + 5
        while not list(jobs.glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.01)
        for job in jobs.glob("*.json"):
            job.unlink()
        (result,) = runner.wait(10)
        assert not result.ok and result.error is not None
        assert result.error.message.startswith("timer service: timer job ")
        assert result.error.message.endswith(" is gone")
        assert result.error.kind == "SYSTEM"
    finally:
        runner.close()


def test_abort_stops_the_job(jobs: Path, make_request: MakeRequest) -> None:
    runner = ConnectorRunner(InlineRunner())
    try:
        req = make_request(wait, {"seconds": 30.0})
        runner.submit(req)
        deadline = time.monotonic() + 10
        while not list(jobs.glob("*.json")):  # the job was created: the abort has one to stop
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.01)
        runner.cancel(req.node, req.attempt, req.execution)
        (result,) = runner.wait(10)
        assert result.error is not None and result.error.kind == ErrorKind.ABORTED
        assert [j["state"] for j in _jobs(jobs)] == ["STOPPED"]
    finally:
        runner.close()


def test_a_node_run_again_follows_its_job(
    tmp_path: Path, jobs: Path, make_request: MakeRequest
) -> None:
    """The engine stopped (here: interrupted) while the job ran; the node's next attempt finds
    the job in the journal and follows it: one job, and the attempt ends with its output."""
    store = f"file://{tmp_path / 'blobs'}"

    def attempt(n: int, seconds: float) -> AttemptRequest:
        req = make_request(wait, {"seconds": seconds}, node="n0", store=store)
        return msgspec.structs.replace(req, attempt=n, output_prefix=f"{store}/e1/n0/{n}/outputs")

    first = attempt(1, 0.6)
    runner = ConnectorRunner(InlineRunner())
    runner.submit(first)
    deadline = time.monotonic() + 10
    while not list((tmp_path / "blobs").rglob("connector-job.json")):  # the node's job journal
        assert time.monotonic() < deadline, "the job's journal was never written"
        time.sleep(0.01)
    results, unstarted = runner.interrupt()
    runner.close()
    assert [r.error.code for r in results if r.error] == ["interrupted"] and not unstarted
    again = ConnectorRunner(InlineRunner())
    try:
        second = attempt(2, 0.6)
        again.submit(second)
        (result,) = again.wait(10)
        assert result.ok and result.outputs == {"o0": 0.6}
        assert len(_jobs(jobs)) == 1  # followed, not submitted again
        journal = tmp_path / "blobs" / "e1" / "n0" / "connector-job.json"
        deadline = time.monotonic() + 5  # a success is marked ended just after its report
        while json.loads(journal.read_text())["state"] != "ended":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        third = attempt(3, 0.0)  # a later attempt (a retry) starts a job of its own
        again.submit(third)
        (result,) = again.wait(10)
        assert result.ok and len(_jobs(jobs)) == 2
    finally:
        again.close()


def test_a_forged_journal_is_ignored(tmp_path: Path, jobs: Path, make_request: MakeRequest) -> None:
    """A journal the engine did not seal (written by a task into the blob store, say) names a
    job that is never followed: the attempt starts its own, and the forged file is not touched."""
    store = f"file://{tmp_path / 'blobs'}"
    target = tmp_path / "victim.json"
    target.write_text('{"state": "RUNNING", "seconds": 1}')
    forged_meta = {"job_id": "victim", "ends_at": 0, "seconds": 1, "jobs_dir": str(tmp_path)}
    journal = tmp_path / "blobs" / "e1" / "n0" / "connector-job.json"
    journal.parent.mkdir(parents=True)
    journal.write_text(json.dumps({
        "attempt": 1, "type": "timer", "state": "running", "meta": json.dumps(forged_meta),
        "seal": "0" * 64,
    }))  # fmt: skip
    req = make_request(wait, {"seconds": 0.0}, node="n0", store=store)
    req = msgspec.structs.replace(req, attempt=2, output_prefix=f"{store}/e1/n0/2/outputs")
    runner = ConnectorRunner(InlineRunner())
    try:
        runner.submit(req)
        (result,) = runner.wait(10)
    finally:
        runner.close()
    assert result.ok and result.outputs == {"o0": 0.0}
    assert len(_jobs(jobs)) == 1  # a job of its own
    assert target.read_text() == '{"state": "RUNNING", "seconds": 1}'


def test_many_jobs_created_at_once_each_find_their_journal_written_before_the_first_poll(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    """Journals are written in batches; each job still waits for its own before it is polled."""
    store = f"file://{tmp_path / 'blobs'}"
    runner = ConnectorRunner(InlineRunner())
    try:
        for i in range(300):
            req = make_request(journal_first, {"x": i}, node=f"n{i}", store=store)
            runner.submit(msgspec.structs.replace(req, output_prefix=f"{store}/e1/n{i}/1/outputs"))
        results = wait_for(runner, 300)
    finally:
        runner.close()
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    assert sorted(r.outputs["o0"] for r in results if r.outputs) == list(range(300))
    journals = [json.loads(p.read_text()) for p in (tmp_path / "blobs" / "e1").glob("*/*.json")]
    assert len(journals) == 300  # closing the runner wrote the gathered end marks
    assert {j["state"] for j in journals} == {"ended"}


def test_workers_and_jobs_share_one_wait() -> None:
    """Python tasks in the pool's workers and timer jobs in the same run."""
    runner = make_runner("local", 1)
    try:
        run = execute_local(two_timers, {"a": 0.3, "b": 0.2}, runner=runner)
        assert run.python_outputs() == pytest.approx(0.5)
        assert runner.takes_no_slot(_request(wait.template))
        assert not runner.takes_no_slot(_request(add.template))
    finally:
        runner.close()


def _request(template: TaskTemplate) -> AttemptRequest:
    return AttemptRequest(ExecutionId("p", "d", "e"), "n0", 1, template, {}, "file:///x", "x")


def test_polls_slow_down_as_a_job_ages() -> None:
    assert pause_after(0.0) == 0.05
    assert pause_after(10.0) == pytest.approx(0.3)
    assert pause_after(10_000.0) == 10.0
