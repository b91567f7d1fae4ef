"""``slipstream server --home DIR`` is the home of its engine host's workers too: what they keep on
the host (secrets files here; task environments and scratch alike) is read under ``--home``, not
under the ``SLIPSTREAM_HOME`` of whoever started the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_procs import cluster, launch, register_flows, wait_phase

pytestmark = pytest.mark.timeout(120)


def test_workers_of_a_server_started_with_home_read_their_secrets_there(tmp_path: Path) -> None:
    home = tmp_path / "chosen-home"
    secret = home / "secrets" / "home" / "check"
    secret.parent.mkdir(parents=True)
    secret.write_text("from-the-chosen-home")
    with cluster("sqlite", tmp_path) as c:
        server = c.server("--home", str(home))
        assert server.home != home  # the process's own SLIPSTREAM_HOME is elsewhere
        server.start()
        c.wait_ready()
        register_flows(c)
        name = launch(c, "home_secret", {"expected": "from-the-chosen-home"})
        rec = wait_phase(c, name, timeout=90)
        assert rec["phase"] == "SUCCEEDED", rec
        assert rec["outputs"] == {"o0": True}
