"""``slipstream run`` prints where each attempt's deck page is, for attempts that made one, the
failed attempt's included (issue 10)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from slipstream.cli import main

FLOW = """
from slipstream import Deck, current_context, task, workflow


@task(enable_deck=True)
def reported(n: int) -> int:
    current_context().default_deck.append(f"<p>n is {n}</p>")
    return n + 1


@task
def plain(n: int) -> int:
    return n


@task
def fails_after_deck(n: int) -> int:
    Deck("before", "<p>state before the failure</p>")
    raise RuntimeError("after the deck")


@workflow
def decked(n: int) -> int:
    return plain(n=reported(n=n))


@workflow
def broken(n: int) -> int:
    return fails_after_deck(n=plain(n=n))
"""

DECK_LINE = re.compile(r"^deck (\S+) \(attempt (\d+)\): (.+)$", re.MULTILINE)


def _run(tmp_path: Path, opts: list[str], *args: str) -> tuple[int, str, str]:
    flow = tmp_path / f"decks_{uuid.uuid4().hex[:10]}.py"
    flow.write_text(FLOW)
    env = {"SLIPSTREAM_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(
        main, ["run", "--runner", "inline", *opts, str(flow), *args], env=env,
        catch_exceptions=False,
    )  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.timeout(60)
def test_run_prints_the_deck_page_of_attempts_that_made_one(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, [], "decked", "--n", "1")
    assert code == 0, err
    found = DECK_LINE.findall(err)
    assert [(node, number) for node, number, _ in found] == [("n0", "1")], err
    page = Path(found[0][2])
    assert page.is_file() and page.name == "deck.html"
    assert str(tmp_path / "home") in str(page)
    assert "n is 1" in page.read_text()
    assert out.strip().endswith("2")


@pytest.mark.timeout(60)
def test_a_failed_attempts_deck_is_printed_too(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path, [], "broken", "--n", "1")
    assert code == 1
    found = DECK_LINE.findall(err)
    assert [node for node, _, _ in found] == ["n1"], err
    assert "state before the failure" in Path(found[0][2]).read_text()


@pytest.mark.timeout(60)
def test_json_output_has_no_deck_lines(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, ["--json"], "decked", "--n", "1")
    assert code == 0, err
    assert not DECK_LINE.search(err) and not DECK_LINE.search(out)
