"""``SQLAlchemyTask`` and ``SQLite3Task`` on real databases: SQLite, PostgreSQL, MariaDB and DuckDB.
Inputs are bound as parameters (an injection attempt stays a value and changes nothing), rows come
back as DataFrames, statements commit, and a SQL error, a missing or wrong secret, a missing file
or an unreachable database fail the task with a message that names the database (never its
password) and the cause."""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sql_backends import (
    BACKENDS,
    MARIADB_URL,
    PG_URL,
    ROWS,
    Table,
    count,
    ensure_mariadb,
    execute,
    filled_table,
)

from slipstream import Secret, kwtypes
from slipstream.errors import TaskTimeoutError, UserTaskError
from slipstream.extras.sqlalchemy import SQLAlchemyConfig, SQLAlchemyTask
from slipstream.extras.sqlite3 import SQLite3Config, SQLite3Task
from slipstream.types.schema import FlyteSchema
from slipstream.types.structured import StructuredDataset

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=BACKENDS)
def table(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Table]:
    with filled_table(request.param, tmp_path) as t:
        yield t


def _query(table: Table, template: str, **inputs: type) -> SQLAlchemyTask:
    return SQLAlchemyTask(
        f"q_{table.backend}",
        query_template=template.replace("TABLE", table.name),
        inputs=kwtypes(**inputs),
        output_schema_type=pd.DataFrame,
        task_config=SQLAlchemyConfig(uri=table.url),
    )


def test_a_query_with_bound_inputs_returns_a_dataframe(table: Table) -> None:
    q = _query(
        table,
        "select id, name, score from TABLE where score > {{ .inputs.low }} "
        "and name <> '{{ .inputs.skip }}' order by id",
        low=float,
        skip=str,
    )
    df = q(low=30.0, skip="bob")
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["id", "name", "score"]
    assert df.to_dict("records") == [{"id": 1, "name": "ada", "score": 36.5}]


def test_an_injection_attempt_stays_a_value(table: Table) -> None:
    q = _query(table, "select id from TABLE where name = {{ .inputs.x }}", x=str)
    for attack in ("1; DROP TABLE " + table.name, "x' OR '1'='1", "ada' --"):
        assert q(x=attack).empty
    assert count(table.url, table.name) == len(ROWS)
    assert q(x="ada")["id"].tolist() == [1]


def test_a_list_input_binds_each_item(table: Table) -> None:
    q = _query(
        table,
        "select id from TABLE where name in ({{ .inputs.names }}) order by id",
        names=list[str],
    )
    assert q(names=["cy", "ada", "ada') or ('1'='1"])["id"].tolist() == [1, 3]
    assert q(names=[]).empty


def test_a_statement_commits_and_returns_no_rows(table: Table) -> None:
    insert = _query(
        table,
        "insert into TABLE (id, name, score) values ({{ .inputs.i }}, {{ .inputs.n }}, 1.5)",
        i=int,
        n=str,
    )
    out = insert(i=9, n="dee; DROP TABLE x")
    if table.backend == "duckdb":  # DuckDB answers an insert with the count of rows it wrote
        assert out.to_dict("records") == [{"Count": 1}]
    else:
        assert out.empty and list(out.columns) == []
    assert count(table.url, table.name) == len(ROWS) + 1
    again = _query(table, "select name from TABLE where id = {{ .inputs.i }}", i=int)
    assert again(i=9)["name"].tolist() == ["dee; DROP TABLE x"]


def test_colons_of_the_sql_itself_stay_sql(table: Table) -> None:
    q = _query(table, "select ' :z ' as s, name from TABLE where id = {{ .inputs.i }}", i=int)
    assert q(i=2).to_dict("records") == [{"s": " :z ", "name": "bob"}]


def test_a_sql_error_names_the_database_and_the_cause(table: Table) -> None:
    q = _query(table, "select nope from TABLE where id = {{ .inputs.i }}", i=int)
    with pytest.raises(UserTaskError) as info:
        q(i=1)
    message = str(info.value)
    assert message.startswith(f"SQLAlchemyTask q_{table.backend} on {table.url.split('//')[0]}")
    assert table.url.rsplit("/", 1)[-1] in message  # the database (or file) is named
    assert "nope" in message  # the driver's own words about the bad column
    assert count(table.url, table.name) == len(ROWS)


def test_an_unreachable_database_is_named_without_its_password() -> None:
    q = SQLAlchemyTask(
        "unreachable",
        query_template="select 1",
        task_config=SQLAlchemyConfig(uri="postgresql+psycopg://postgres:hunter2@127.0.0.1:9/test"),
    )
    with pytest.raises(UserTaskError) as info:
        q()
    message = str(info.value)
    assert "postgresql+psycopg://postgres:***@127.0.0.1:9/test" in message
    assert "Connection refused" in message and "hunter2" not in message


def test_a_query_past_the_task_timeout_is_a_timeout() -> None:
    slow = SQLAlchemyTask(
        "slow",
        query_template="select pg_sleep({{ .inputs.s }})",
        inputs=kwtypes(s=float),
        task_config=SQLAlchemyConfig(uri=PG_URL),
        timeout=1,
    )
    with pytest.raises(TaskTimeoutError):
        slow(s=5.0)


@pytest.fixture
def mariadb_user() -> Iterator[tuple[str, str, str]]:
    """A MariaDB user with a password and a table it may read; (user, password, table)."""
    ensure_mariadb()
    user = f"sl_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    table = f"secret_{uuid.uuid4().hex[:8]}"
    execute(
        MARIADB_URL,
        f"create table {table} (v varchar(20))",
        f"insert into {table} values ('granted')",
        f"create user '{user}'@'127.0.0.1' identified by '{password}'",
        f"grant select on test.{table} to '{user}'@'127.0.0.1'",
    )
    try:
        yield user, password, table
    finally:
        execute(MARIADB_URL, f"drop user if exists '{user}'@'127.0.0.1'", f"drop table {table}")


def test_secret_connect_args_come_from_the_task_secrets(
    mariadb_user: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    user, password, table = mariadb_user
    q = SQLAlchemyTask(
        "with_password",
        query_template=f"select v from {table}",
        task_config=SQLAlchemyConfig(
            uri=f"mysql+pymysql://{user}@127.0.0.1:3306/test",
            connect_args={"connect_timeout": 5},
            secret_connect_args={"password": Secret(group="maria", key="password")},
        ),
        output_schema_type=pd.DataFrame,
    )
    with pytest.raises(UserTaskError) as missing:
        q()
    assert f"mysql+pymysql://{user}@127.0.0.1:3306/test" in str(missing.value)
    assert "secret 'maria/password' not found" in str(missing.value)

    monkeypatch.setenv("_FSEC_MARIA_PASSWORD", "wrong-" + password)
    with pytest.raises(UserTaskError) as wrong:
        q()
    assert "Access denied" in str(wrong.value) and password not in str(wrong.value)

    monkeypatch.setenv("_FSEC_MARIA_PASSWORD", password)
    assert q()["v"].tolist() == ["granted"]


# -- SQLite3Task ---------------------------------------------------------------------------------


def _sqlite_file(path: Path) -> Path:
    con = sqlite3.connect(path)
    with con:
        con.execute("create table tracks (id integer, name text, added text)")
        con.executemany(
            "insert into tracks values (?, ?, ?)",
            [(i, f"track {i}", f"2024-03-0{i} 10:00:00") for i in range(1, 6)],
        )
    con.close()
    return path


def test_sqlite3_task_reads_a_local_file_and_binds_its_inputs(tmp_path: Path) -> None:
    db = _sqlite_file(tmp_path / "music.db")
    q = SQLite3Task(
        "tracks",
        query_template="select id, name from tracks where added >= {{ .inputs.since }} "
        "and name != '{{ .inputs.skip }}' limit {{.inputs.limit}}",
        inputs=kwtypes(since=datetime.datetime, skip=str, limit=int),
        output_schema_type=pd.DataFrame,
        task_config=SQLite3Config(uri=str(db)),
    )
    df = q(since=datetime.datetime(2024, 3, 2), skip="track 3", limit=2)
    assert df.to_dict("records") == [{"id": 2, "name": "track 2"}, {"id": 4, "name": "track 4"}]
    assert q(since=datetime.datetime(2024, 1, 1), skip="1; DROP TABLE tracks", limit=10).shape == (
        5,
        2,
    )
    assert sqlite3.connect(db).execute("select count(*) from tracks").fetchone() == (5,)


def test_sqlite3_task_opens_a_compressed_database_and_gives_a_structured_dataset(
    tmp_path: Path,
) -> None:
    db = _sqlite_file(tmp_path / "music.db")
    archive = tmp_path / "music.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(db, "chinook/music.db")
    q = SQLite3Task(
        "zipped",
        query_template="select count(*) as n from tracks",
        task_config=SQLite3Config(uri=f"file://{archive}", compressed=True),
        output_schema_type=StructuredDataset,
    )
    out = q()
    assert isinstance(out, StructuredDataset)
    assert out.open(pd.DataFrame).all()["n"].tolist() == [5]

    with zipfile.ZipFile(archive, "a") as z:
        z.writestr("README", "two files")
    with pytest.raises(UserTaskError, match="the archive holds 2 files"):
        q()

    (tmp_path / "packed").mkdir()
    shutil.copy(db, tmp_path / "packed" / "music.db")
    tarball = shutil.make_archive(str(tmp_path / "music"), "gztar", tmp_path / "packed")
    tq = SQLite3Task(
        "tarred",
        query_template="select name from tracks where id = {{ .inputs.i }}",
        inputs=kwtypes(i=int),
        task_config=SQLite3Config(uri=tarball, compressed=True),
        output_schema_type=pd.DataFrame,
    )
    assert tq(i=4)["name"].tolist() == ["track 4"]


def test_sqlite3_task_never_creates_a_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "gone.db"
    q = SQLite3Task(
        "missing", query_template="select 1", task_config=SQLite3Config(uri=str(missing))
    )
    with pytest.raises(UserTaskError) as info:
        q()
    assert f"sqlite3 database {missing}" in str(info.value)
    assert "unable to open database file" in str(info.value)
    assert not missing.parent.exists()
    shutil.rmtree(tmp_path / "nowhere", ignore_errors=True)
    assert not os.path.exists(missing)


def test_a_flyteschema_with_columns_reads_only_those_columns(tmp_path: Path) -> None:
    db = _sqlite_file(tmp_path / "music.db")
    q = SQLite3Task(
        "typed_schema",
        query_template="select id as TrackId, name as Name, added from tracks limit {{.inputs.limit}}",
        inputs=kwtypes(limit=int),
        output_schema_type=FlyteSchema[kwtypes(TrackId=int, Name=str)],
        task_config=SQLite3Config(uri=str(db)),
    )
    out = q(limit=2)
    assert isinstance(out, StructuredDataset)
    assert out.open(pd.DataFrame).all().to_dict("records") == [
        {"TrackId": 1, "Name": "track 1"},
        {"TrackId": 2, "Name": "track 2"},
    ]
