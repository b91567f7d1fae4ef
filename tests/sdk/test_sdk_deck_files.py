"""Each attempt's decks become one HTML page in the blob store, beside the attempt's outputs, and
the attempt's record says where (issue 10)."""

from __future__ import annotations

import pytest

from slipstream import Deck, current_context, task, workflow
from slipstream.runners import execute_local
from slipstream.storage import store_for_uri

RUNNERS = ["inline", "local"]


@task(enable_deck=True)
def reported(n: int) -> int:
    current_context().default_deck.append(f"<p>n is {n}</p>")
    Deck("details", "<b>details</b>")
    return n + 1


@task
def decked_without_flag(n: int) -> int:
    Deck("extra", "<i>made anyway</i>")
    return n


@task(enable_deck=True)
def flagged_but_empty(n: int) -> int:
    return n


@task
def plain(n: int) -> int:
    return n


@task(enable_deck=True)
def decked_then_fails(n: int) -> int:
    Deck("before", "<p>state before the failure</p>")
    raise RuntimeError("after the deck")


@workflow
def decks_wf(n: int) -> int:
    a = reported(n=n)
    b = decked_without_flag(n=a)
    c = flagged_but_empty(n=b)
    return plain(n=c)


@workflow
def failing_wf(n: int) -> int:
    return decked_then_fails(n=n)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("runner", RUNNERS)
def test_an_attempts_decks_are_one_page_in_its_folder(runner: str) -> None:
    run = execute_local(decks_wf, {"n": 1}, runner=runner, workers=1)
    assert run.python_outputs() == 2
    attempts = {a.node: a for a in run.executor.store.attempts[run.executor.id]}
    uri = attempts["n0"].deck_uri
    assert uri.endswith("/n0/1/deck.html")
    page = store_for_uri(uri).get_bytes(uri).decode()
    assert page.startswith("<!doctype html>")
    assert "<p>n is 1</p>" in page and "<b>details</b>" in page
    assert f"{reported.name} - node n0, attempt 1" in page
    # decks made without enable_deck are kept too; enable_deck alone gives an (empty) page
    extra = attempts["n1"].deck_uri
    assert "<i>made anyway</i>" in store_for_uri(extra).get_bytes(extra).decode()
    assert attempts["n2"].deck_uri.endswith("/n2/1/deck.html")
    assert attempts["n3"].deck_uri == ""


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_failed_attempt_keeps_its_decks(runner: str) -> None:
    run = execute_local(failing_wf, {"n": 1}, runner=runner, workers=1)
    with pytest.raises(RuntimeError, match="after the deck"):
        run.python_outputs()
    (attempt,) = run.executor.store.attempts[run.executor.id]
    page = store_for_uri(attempt.deck_uri).get_bytes(attempt.deck_uri).decode()
    assert "state before the failure" in page
