"""Black-box tests of the public authoring API: only ``slipstream`` is imported."""

from __future__ import annotations

import functools
import typing
from pathlib import Path

import pytest

import slipstream
from slipstream import (
    Cache,
    File,
    Resources,
    Secret,
    conditional,
    dynamic,
    map_task,
    task,
    workflow,
)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret ``hello`` asks for (a missing one fails the task before its body runs)."""
    monkeypatch.setenv("_FSEC_G_K", "s3cret")


class Summary(typing.NamedTuple):
    greeting: str
    length: int


@task(
    cache=Cache(version="1"),
    retries=1,
    timeout=30,
    requests=Resources(cpu="1", mem="100Mi"),
    limits=Resources(cpu="2", mem="200Mi"),
    environment={"A": "1"},
    secret_requests=[Secret(group="g", key="k")],
    interruptible=True,
    docs="Say hello.",
)
def say_hello(name: str) -> str:
    return f"hello {name}"


@task
def measure(text: str, extra: int = 0) -> int:
    return len(text) + extra


@task
def read_text(f: File) -> str:
    with open(f) as fh:
        return fh.read()


@dynamic
def repeat(text: str, n: int) -> list[int]:
    return [measure(text=text, extra=i) for i in range(n)]


@workflow
def hello(name: str = "world") -> Summary:
    g = say_hello(name=name)
    return g, measure(text=g)


@workflow
def pipeline(names: list[str], threshold: int) -> tuple[list[int], str, list[int]]:
    lengths = map_task(functools.partial(measure, extra=1))(text=names)
    verdict = (
        conditional("long")
        .if_(threshold > 3)
        .then(say_hello(name="long"))
        .else_()
        .then(say_hello(name="short"))
    )
    return lengths, verdict, repeat(text=verdict, n=2)


@workflow
def reads(f: File) -> str:
    return read_text(f=f)


@pytest.mark.timeout(30)
def test_public_names_and_flytekit_aliases() -> None:
    assert slipstream.FlyteFile is slipstream.File
    assert slipstream.FlyteDirectory is slipstream.Directory
    assert slipstream.FlyteError is slipstream.WorkflowError
    assert slipstream.map is slipstream.map_task
    assert issubclass(slipstream.CompileError, TypeError)
    assert issubclass(slipstream.CompileError, slipstream.SlipstreamError)
    for name in ("kwtypes", "current_context", "SyncCheckpoint", "StructuredDataset", "Workflow"):
        assert name in slipstream.__all__


@pytest.mark.timeout(30)
def test_hello_with_defaults_and_named_outputs() -> None:
    out = hello()
    assert out == Summary("hello world", 11)
    assert out.greeting == "hello world"
    assert hello(name="ann").length == 9


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", ["inline", "local"])
def test_control_flow_through_the_public_api(monkeypatch: pytest.MonkeyPatch, runner: str) -> None:
    monkeypatch.setenv("SLIPSTREAM_RUNNER", runner)
    assert pipeline(names=["a", "bcd"], threshold=5) == ([2, 4], "hello long", [10, 11])
    assert pipeline(names=[], threshold=1)[1] == "hello short"


@pytest.mark.timeout(30)
def test_a_str_path_is_accepted_for_a_file_input(tmp_path: Path) -> None:
    p = tmp_path / "in.txt"
    p.write_text("contents")
    assert reads(f=str(p)) == "contents"
    assert reads(f=File(path=str(p))) == "contents"


@pytest.mark.timeout(30)
def test_compile_errors_are_raised_at_definition() -> None:
    with pytest.raises(slipstream.CompileError, match="measure"):

        @workflow
        def broken(n: int) -> int:
            return measure(text=n)
