"""The server as a process: start, refuse a second one on the same home, stop on SIGTERM;
migrations through ``slipstream db upgrade`` and their agreement with the table models."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from live_server import child_env, cli_command, pg_database, start_server
from sqlalchemy import inspect

from slipstream.server import Database


def test_second_server_on_same_home_fails_and_sigterm_stops(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db_url = f"sqlite:///{home / 'slipstream.db'}"
    first = start_server("sqlite", db_url, home)
    try:
        assert httpx.get(f"{first.url}/healthz").status_code == 200
        second = subprocess.run(
            cli_command("server", "--port", "0", "--home", str(home)),
            capture_output=True,
            text=True,
            env=child_env(home),
            timeout=60,
        )
        assert second.returncode == 1
        assert "already_running" in second.stderr and str(home) in second.stderr
        assert httpx.get(f"{first.url}/healthz").status_code == 200
    finally:
        status = first.stop()
    assert status == 0
    assert "stopped" in "".join(first.output)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_db_upgrade_matches_models(backend: str, tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from slipstream.server._database import Base

    url = f"sqlite:///{tmp_path / 'x.db'}" if backend == "sqlite" else pg_database()
    done = subprocess.run(
        cli_command("db", "upgrade", "--db", url),
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    import slipstream.server._migrations.versions as versions

    newest = max(
        p.name[:4] for p in Path(versions.__file__).parent.glob("[0-9][0-9][0-9][0-9]_*.py")
    )
    assert f"revision {newest}" in done.stdout
    db = Database(url)
    try:
        db.upgrade()  # idempotent
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert "entities" in inspect(conn).get_table_names()
    finally:
        db.dispose()


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        cli_command("db", "upgrade", "--db", "mysql://nobody@nowhere/x"),
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 1
    assert "unsupported database" in done.stderr
