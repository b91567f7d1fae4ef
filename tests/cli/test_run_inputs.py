"""``slipstream run`` inputs and load errors (issue 11): types with no text form are JSON passed to
the type's constructor, as ``--help`` says; a missing input names its type; integers beyond 64 bits
are refused while parsing (exit 2); a file that fails to import shows only the user's frames."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slipstream.cli import main

FLOW = textwrap.dedent(
    """
    import decimal
    from typing import Optional

    from slipstream import task, workflow


    class Money:
        def __init__(self, amount: str, currency: str = "EUR") -> None:
            self.amount = decimal.Decimal(amount)
            self.currency = currency


    @task
    def total(price: decimal.Decimal, n: int) -> str:
        return str(price * n)


    @task
    def pay(m: Money) -> str:
        return f"{m.amount} {m.currency}"


    @task
    def count(xs: list[int]) -> int:
        return len(xs)


    @task
    def maybe(price: Optional[decimal.Decimal]) -> str:
        return repr(price)


    @workflow
    def wf(price: decimal.Decimal, n: int) -> str:
        return total(price=price, n=n)
    """
)


# Decimal and Money have no transformer: they are pickled, which slipstream warns about
pytestmark = pytest.mark.filterwarnings("ignore:no transformer handles")


def write(tmp_path: Path, text: str = FLOW) -> Path:
    path = tmp_path / f"inputs_{uuid.uuid4().hex[:10]}.py"
    path.write_text(text)
    return path


def cli(*args: Any) -> Result:
    return CliRunner().invoke(main, ["run", *map(str, args)], catch_exceptions=False)


def test_a_type_without_text_form_is_json_for_its_constructor(tmp_path: Path) -> None:
    flow = write(tmp_path)
    helped = cli(flow, "wf", "--help")
    assert "--price JSON" in helped.stdout
    assert "given as JSON passed to Decimal(...)" in " ".join(helped.stdout.split())

    done = cli(flow, "wf", "--price", "0.1", "--n", "3", "--runner", "inline", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"o0": "0.3"}  # exact: Decimal("0.1"), not 0.1 as float

    paid = cli(flow, "pay", "--m", '{"amount": "2.50", "currency": "CHF"}', "--runner", "inline")
    assert paid.exit_code == 0, paid.output
    assert "2.50 CHF" in paid.stdout

    for given, shown in (("none", "None"), ("2.5", "Decimal('2.5')")):
        got = cli(flow, "maybe", "--price", given, "--runner", "inline", "--json")
        assert got.exit_code == 0, got.output
        assert json.loads(got.stdout) == {"o0": shown}

    bad = cli(flow, "pay", "--m", '{"cost": 1}', "--runner", "inline")
    assert bad.exit_code == 2
    assert "not accepted by" in bad.stderr and "--m" in bad.stderr


def test_a_missing_input_names_its_type(tmp_path: Path) -> None:
    flow = write(tmp_path)
    result = cli(flow, "wf", "--price", "1")
    assert result.exit_code == 2
    assert "Input 'n' is required: int" in result.stderr
    as_json = cli(flow, "wf", "--price", "1", "--json")
    assert as_json.exit_code == 2
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == "missing_input" and error["input"] == "n"
    assert "int" in error["message"]


def test_integers_beyond_64_bits_are_refused_when_parsed(tmp_path: Path) -> None:
    flow = write(tmp_path)
    big = str(2**63)
    for args in (("wf", "--price", "1", "--n", big), ("count", "--xs", f"[1, {big}]")):
        result = cli(flow, *args, "--runner", "inline")
        assert result.exit_code == 2, result.output
        assert "outside the 64-bit integer range" in result.stderr
    ok = cli(flow, "count", "--xs", f"[1, {2**63 - 1}]", "--runner", "inline", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {"o0": 2}


def test_a_syntax_error_shows_the_file_and_line_only(tmp_path: Path) -> None:
    flow = write(
        tmp_path, "from slipstream import task\n\n\n@task\ndef f(x: int) -> int:\n    return x +\n"
    )
    result = cli(flow, "f", "--x", "1")
    assert result.exit_code == 1
    assert f'File "{flow}", line 6' in result.stderr and "SyntaxError" in result.stderr
    assert "importlib" not in result.stderr and "<frozen" not in result.stderr


def test_an_import_error_shows_only_the_users_frames(tmp_path: Path) -> None:
    helper = f"helper_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{helper}.py").write_text('def g():\n    raise RuntimeError("boom")\n\n\ng()\n')
    flow = write(tmp_path, f"import {helper}\n")
    result = cli(flow, "f")
    assert result.exit_code == 1
    err = result.stderr
    assert f'{helper}.py", line 2, in g' in err and "RuntimeError: boom" in err
    assert "importlib" not in err and "<frozen" not in err and "slipstream/" not in err
    as_json = CliRunner().invoke(main, ["run", str(flow), "f", "--json"])
    assert as_json.exit_code == 1
    error = json.loads(as_json.stdout)["error"]
    assert error["code"] == "load_error" and "RuntimeError: boom" in error["message"]
