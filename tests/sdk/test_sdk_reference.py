"""reference_task / reference_workflow / reference_launch_plan: typed stubs of registered entities,
a clear error when no server can run them, and local substitutes in tests."""

from __future__ import annotations

import pytest

from slipstream import (
    CompileError,
    ConfigError,
    reference_launch_plan,
    reference_task,
    reference_workflow,
    task,
    workflow,
)


@reference_task(project="flytesnacks", domain="development", name="text.join", version="v1")
def join_strings(a: list[str]) -> str: ...


@reference_workflow(project="flytesnacks", domain="development", name="math.wf", version="v2")
def math_wf(x: int) -> int: ...


@reference_launch_plan(project="flytesnacks", domain="production", name="math.lp", version="v3")
def math_lp(x: int) -> int: ...


@task
def shout(s: str) -> str:
    return s.upper()


@task
def fake_math(x: int) -> int:
    return x * 10


@workflow
def uses_references(words: list[str], x: int) -> tuple[str, int]:
    return shout(s=join_strings(a=words)), math_lp(x=math_wf(x=x))


def test_the_stub_is_the_typed_interface() -> None:
    nodes = uses_references.compiled.workflow.nodes
    assert len(nodes) == 4
    template = uses_references.compiled.tasks["text.join"]
    assert template.type == "reference"
    assert str(template.id) == "flytesnacks/development/text.join@v1"
    with pytest.raises(CompileError, match="unknown input 'b'"):

        @workflow
        def wrong(words: list[str]) -> str:
            return join_strings(b=words)  # type: ignore[call-arg]


def test_without_a_server_a_reference_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLIPSTREAM_ENDPOINT", raising=False)
    with pytest.raises(
        ConfigError,
        match=r"reference task flytesnacks/development/text.join@v1.*"
        r"no server is configured",
    ):
        uses_references(words=["a"], x=1)


def test_tests_substitute_local_functions() -> None:
    def fake_join(a: list[str]) -> str:
        return "-".join(a)

    with (
        join_strings.substitute(fake_join),
        math_wf.substitute(fake_math),
        math_lp.substitute(lambda x: x + 1),
    ):
        assert uses_references(words=["a", "b"], x=2) == ("A-B", 21)
        assert join_strings(a=["x", "y"]) == "x-y"
    with pytest.raises(ConfigError):
        join_strings(a=["x"])
