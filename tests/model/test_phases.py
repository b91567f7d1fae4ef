"""The declared phase tables themselves: complete, every phase reachable, ends final, and the rules
computed from them (terminal phases, ENDS_ONLY) saying what the tables say."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import pytest

from slipstream.errors import IllegalTransitionError
from slipstream.model import (
    ATTEMPT_TRANSITIONS,
    ENDS_ONLY,
    EXECUTION_TRANSITIONS,
    NODE_TRANSITIONS,
    AttemptPhase,
    ExecutionPhase,
    NodePhase,
    check_path,
    check_transition,
    execution_phase_after,
)

TABLES: list[tuple[Any, Mapping[Any, frozenset[Any]]]] = [
    (ExecutionPhase, EXECUTION_TRANSITIONS),
    (NodePhase, NODE_TRANSITIONS),
    (AttemptPhase, ATTEMPT_TRANSITIONS),
]
IDS = ["execution", "node", "attempt"]


def _reachable(table: Mapping[enum.Enum, frozenset[enum.Enum]], start: enum.Enum) -> set[enum.Enum]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in table[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize(("phases", "table"), TABLES, ids=IDS)
def test_every_phase_has_a_row_and_only_phases_appear(phases: type[enum.Enum], table: Any) -> None:
    assert set(table) == set(phases)
    for exits in table.values():
        assert exits <= set(phases)


@pytest.mark.parametrize(("phases", "table"), TABLES, ids=IDS)
def test_every_phase_is_reachable_from_queued(phases: type[enum.Enum], table: Any) -> None:
    start = phases["QUEUED"]
    assert _reachable(table, start) == set(phases)


@pytest.mark.parametrize(("phases", "table"), TABLES, ids=IDS)
def test_no_phase_moves_to_itself(phases: type[enum.Enum], table: Any) -> None:
    for phase, exits in table.items():
        assert phase not in exits, phase


@pytest.mark.parametrize(("phases", "table"), TABLES, ids=IDS)
def test_every_phase_that_has_not_ended_can_still_end(phases: type[enum.Enum], table: Any) -> None:
    ends = {p for p, exits in table.items() if not exits}
    assert ends, "a table with no end"
    for phase in phases:
        assert _reachable(table, phase) & ends, f"{phase} can never end"


@pytest.mark.parametrize(("phases", "table"), [TABLES[0], TABLES[1]], ids=["execution", "node"])
def test_terminal_phases_are_exactly_those_with_no_exit(phases: Any, table: Any) -> None:
    for phase in phases:
        assert phase.terminal == (not table[phase]), phase


def test_the_ends_of_each_table() -> None:
    assert {p for p in ExecutionPhase if p.terminal} == {
        ExecutionPhase.SUCCEEDED,
        ExecutionPhase.FAILED,
        ExecutionPhase.ABORTED,
        ExecutionPhase.TIMED_OUT,
    }
    assert {p for p in NodePhase if p.terminal} == {
        NodePhase.SUCCEEDED,
        NodePhase.FAILED,
        NodePhase.TIMED_OUT,
        NodePhase.SKIPPED,
        NodePhase.ABORTED,
    }
    assert {p for p, exits in ATTEMPT_TRANSITIONS.items() if not exits} == {
        AttemptPhase.SUCCEEDED,
        AttemptPhase.FAILED,
        AttemptPhase.TIMED_OUT,
        AttemptPhase.ABORTED,
        AttemptPhase.INTERRUPTED,
    }


def test_only_an_end_leaves_aborting() -> None:
    assert set(ENDS_ONLY) == {ExecutionPhase.ABORTING}
    assert all(p.terminal for p in EXECUTION_TRANSITIONS[ExecutionPhase.ABORTING])
    assert ExecutionPhase.ABORTED in EXECUTION_TRANSITIONS[ExecutionPhase.ABORTING]


def test_execution_phase_after() -> None:
    E = ExecutionPhase

    def after(current: ExecutionPhase, new: ExecutionPhase) -> ExecutionPhase:
        return execution_phase_after(current, new, "execution x", IllegalTransitionError)

    assert after(E.QUEUED, E.RUNNING) is E.RUNNING
    assert after(E.RUNNING, E.RUNNING) is E.RUNNING
    # an abort asked before the engine host started the execution stays visible
    assert after(E.ABORTING, E.RUNNING) is E.ABORTING
    assert after(E.ABORTING, E.QUEUED) is E.ABORTING
    assert after(E.ABORTING, E.ABORTED) is E.ABORTED
    assert after(E.ABORTING, E.SUCCEEDED) is E.SUCCEEDED
    with pytest.raises(IllegalTransitionError, match="execution x: illegal transition"):
        after(E.QUEUED, E.SUCCEEDED)
    with pytest.raises(IllegalTransitionError, match="FAILED -> RUNNING"):
        after(E.FAILED, E.RUNNING)


def test_check_transition_and_check_path() -> None:
    N = NodePhase
    check_transition(NODE_TRANSITIONS, N.QUEUED, N.RUNNING, "node n0", IllegalTransitionError)
    with pytest.raises(IllegalTransitionError, match="node n0: illegal transition SKIPPED"):
        check_transition(NODE_TRANSITIONS, N.SKIPPED, N.RUNNING, "node n0", IllegalTransitionError)
    check_path(
        NODE_TRANSITIONS, (N.QUEUED, N.RUNNING, N.SUCCEEDED), "n0[1]", IllegalTransitionError
    )
    check_path(NODE_TRANSITIONS, (N.QUEUED,), "n0[1]", IllegalTransitionError)
    with pytest.raises(
        IllegalTransitionError, match=r"n0\[1\]: illegal transition RUNNING -> SKIPPED"
    ):
        check_path(
            NODE_TRANSITIONS, (N.QUEUED, N.RUNNING, N.SKIPPED), "n0[1]", IllegalTransitionError
        )
