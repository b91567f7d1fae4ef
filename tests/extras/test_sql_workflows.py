"""A workflow where SQL tasks (SQLite3Task on a file, SQLAlchemyTask on MariaDB with its password
from a secret) feed a Python task, run with ``slipstream run`` and on a real server process, whose
engine host grants the secret; without the secret, or with a broken query, the run fails with a
message naming the database and the cause."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sql_backends import MARIADB_URL, ensure_mariadb, execute

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from live_server import child_env, cli_command, live, unique

pytestmark = pytest.mark.timeout(180)

FLOWS = """
import pandas as pd

from slipstream import Secret, kwtypes, task, workflow
from slipstream.extras.sqlalchemy import SQLAlchemyConfig, SQLAlchemyTask
from slipstream.extras.sqlite3 import SQLite3Config, SQLite3Task

tracks = SQLite3Task(
    "tracks",
    query_template="select id, name from tracks where id <= {{ .inputs.n }} order by id",
    inputs=kwtypes(n=int),
    output_schema_type=pd.DataFrame,
    task_config=SQLite3Config(uri=SQLITE_FILE),
)

people = SQLAlchemyTask(
    "people",
    query_template="select name from PEOPLE where score > {{ .inputs.low }} order by name",
    inputs=kwtypes(low=float),
    task_config=SQLAlchemyConfig(
        uri=MARIA_URL, secret_connect_args={"password": Secret(group="maria", key="password")}
    ),
)

broken = SQLAlchemyTask(
    "broken",
    query_template="select nothing from PEOPLE",
    task_config=SQLAlchemyConfig(
        uri=MARIA_URL, secret_connect_args={"password": Secret(group="maria", key="password")}
    ),
)


@task
def summary(names: pd.DataFrame, people: pd.DataFrame) -> str:
    return f"{len(names)} tracks, last {names['name'].iloc[-1]}; people " + ",".join(people["name"])


@workflow
def report(n: int = 2, low: float = 30.0) -> str:
    return summary(names=tracks(n=n), people=people(low=low))


@task
def count(df: pd.DataFrame) -> int:
    return len(df)


@workflow
def failing() -> int:
    return count(df=broken())
"""


@pytest.fixture
def flows(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The workflow file (its SQLite file and MariaDB table made for it) and the password."""
    ensure_mariadb()
    suffix = uuid.uuid4().hex[:8]
    user, password, table = f"sl_{suffix}", uuid.uuid4().hex, f"people_{suffix}"
    db = tmp_path / "music.db"
    con = sqlite3.connect(db)
    with con:
        con.execute("create table tracks (id integer, name text)")
        con.executemany("insert into tracks values (?, ?)", [(i, f"t{i}") for i in range(1, 5)])
    con.close()
    execute(
        MARIADB_URL,
        f"create table {table} (name varchar(20), score float)",
        f"insert into {table} values ('ada', 36.5), ('bob', 41), ('cy', 29.25)",
        f"create user '{user}'@'127.0.0.1' identified by '{password}'",
        f"grant select on test.{table} to '{user}'@'127.0.0.1'",
    )
    text = (
        FLOWS.replace("SQLITE_FILE", repr(str(db)))
        .replace("MARIA_URL", repr(f"mysql+pymysql://{user}@127.0.0.1:3306/test"))
        .replace("PEOPLE", table)
    )
    path = tmp_path / f"sql_flows_{suffix}.py"
    path.write_text(text)
    try:
        yield path, password
    finally:
        execute(MARIADB_URL, f"drop user if exists '{user}'@'127.0.0.1'", f"drop table {table}")


def _run(path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    home = path.parent / "home"
    return subprocess.run(
        cli_command("run", str(path), *args),
        capture_output=True,
        text=True,
        env={**child_env(home), **env},
        cwd=path.parent,
        timeout=150,
    )


def test_slipstream_run_feeds_query_results_to_a_python_task(flows: tuple[Path, str]) -> None:
    path, password = flows
    done = _run(path, "report", "--n", "3", "--json", _FSEC_MARIA_PASSWORD=password)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"o0": "3 tracks, last t3; people ada,bob"}

    missing = _run(path, "report", "--runner", "inline")
    assert missing.returncode != 0
    assert "mysql+pymysql://sl_" in missing.stderr and "secret 'maria/password'" in missing.stderr

    broken = _run(path, "failing", "--runner", "inline", _FSEC_MARIA_PASSWORD=password)
    assert broken.returncode != 0
    assert "Unknown column 'nothing'" in broken.stderr and password not in broken.stderr


def test_on_a_server_the_secret_is_granted_and_failures_name_the_database(
    flows: tuple[Path, str],
) -> None:
    from slipstream.remote import Remote

    path, password = flows
    server = live("sqlite")
    project = unique("sql")
    with Remote(server.url, project=project, domain="development", token=server.token) as r:
        r.create_project(project)
        r.register(path)
        module = path.stem

        without = r.wait(r.execute(f"{module}.report", {"n": 2}), timeout=120, poll_interval=0.2)
        assert without.phase.value == "FAILED"
        assert without.error is not None
        assert "mysql+pymysql://sl_" in without.error.message
        assert "secret 'maria/password' is not defined" in without.error.message

        with httpx.Client(base_url=f"{server.url}/api/v1", headers=server.headers) as api:
            put = api.put(
                f"/secrets/{project}/development/maria/password", json={"value": password}
            )
            assert put.status_code in (200, 201, 204), put.text

        done = r.wait(r.execute(f"{module}.report", {"n": 2}), timeout=120, poll_interval=0.2)
        assert done.phase.value == "SUCCEEDED", done.error
        assert r.outputs(done) == {"o0": "2 tracks, last t2; people ada,bob"}

        failed = r.wait(r.execute(f"{module}.failing", {}), timeout=120, poll_interval=0.2)
        assert failed.phase.value == "FAILED" and failed.error is not None
        assert "Unknown column 'nothing'" in failed.error.message
        assert "SQLAlchemyTask broken on mysql+pymysql://sl_" in failed.error.message
        assert password not in failed.error.message
