"""The console's launch form checks inputs with the one validator the API and the CLI use: a value
the engine cannot carry is shown on the form and nothing is launched."""

from __future__ import annotations

from console_client import ConsoleClient

from slipstream.remote import Remote

RANGE = "outside the 64-bit integer range"


def test_an_integer_past_64_bits_is_refused_on_the_form(
    browser: ConsoleClient, project: str, remote: Remote
) -> None:
    form = f"/console/projects/{project}/development/launch_plans/quick_lp/launch"
    before = len(remote.recent_executions(limit=None))
    for value in (str(2**64), str(-(2**63) - 1)):
        r = browser.post(form, data={"x": value, "label": "big"})
        assert r.status_code == 422, r.text[:500]
        assert RANGE in r.text
    assert len(remote.recent_executions(limit=None)) == before
    ok = browser.post(form, data={"x": str(2**63 - 1), "label": "edge"})
    assert ok.status_code == 303, ok.text[:500]
    assert len(remote.recent_executions(limit=None)) == before + 1
