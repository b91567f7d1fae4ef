"""The registration check of reference stubs against registered interfaces (issue 10), on real
templates compiled by the SDK; ``test_host_references.py`` runs them on a server."""

from __future__ import annotations

from typing import Any

import pytest

from slipstream import reference_task, task
from slipstream.errors import NotFoundError, ValidationError
from slipstream.model import ResourceType
from slipstream.server._registry import check_reference, is_reference


@task
def scale(x: int, factor: float = 2.0) -> float:
    return x * factor


def _fetch(kind: ResourceType, project: str, domain: str, name: str, version: str) -> Any:
    if (kind, name) == (ResourceType.TASK, "lib.scale") and version in ("", "v1"):
        return scale.template
    raise NotFoundError(f"{name} not found")


def _stub(fn: Any, version: str = "v1") -> Any:
    return reference_task("lib", "development", "lib.scale", version)(fn).template


def ok(x: int) -> float: ...


def test_a_matching_stub_passes_and_may_leave_out_inputs_with_defaults() -> None:
    t = _stub(ok)
    assert is_reference(t) and not is_reference(scale.template)
    check_reference(t, "workflow w", _fetch)
    check_reference(_stub(ok, version=""), "workflow w", _fetch)


@pytest.mark.parametrize(
    ("stub", "message"),
    [
        ("x: str", "input 'x' is str in the stub but int there"),
        ("y: int", "input 'y' of the stub is not an input of it"),
        ("", "required input 'x' (int) is not in the stub"),
        ("x: int -> int", "output 'o0' is int in the stub but float there"),
        ("x: int -> None", "its output 'o0' (float) is not in the stub"),
    ],
)
def test_a_stub_that_does_not_match_is_refused_naming_the_difference(
    stub: str, message: str
) -> None:
    params, _, ret = stub.partition(" -> ")
    ns: dict[str, Any] = {}
    exec(f"def fn({params}) -> {ret or 'float'}: ...", ns)  # a module-level function
    ns["fn"].__qualname__ = "fn"
    with pytest.raises(ValidationError, match="does not match its registered interface") as info:
        check_reference(_stub(ns["fn"]), "workflow w", _fetch)
    assert message in str(info.value)
    assert "workflow w" in str(info.value) and "lib/development/lib.scale@v1" in str(info.value)


def test_a_stub_of_an_entity_not_registered_is_refused() -> None:
    with pytest.raises(NotFoundError, match=r"lib.scale@v7: no such entity is registered"):
        check_reference(_stub(ok, version="v7"), "workflow w", _fetch)
