"""Real databases for the SQL task tests: a SQLite file, PostgreSQL at 127.0.0.1:5432, MariaDB at
127.0.0.1:3306 (Debian's server, started here when it is installed but not running) and a DuckDB
file. Each test gets a table of its own, with a random suffix, dropped after."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
MARIADBD = "/usr/sbin/mariadbd"
BACKENDS = ("sqlite", "postgresql", "mariadb", "duckdb")

ROWS = [(1, "ada", 36.5), (2, "bob", 41.0), (3, "cy", 29.25)]


@dataclass(frozen=True)
class Table:
    """A filled table ``name`` (columns id, name, score) in the database at ``url``."""

    backend: str
    url: str
    name: str


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ensure_mariadb() -> None:
    """Start Debian's MariaDB server when it is installed but not answering."""
    if _port_open(3306):
        return
    if not Path(MARIADBD).exists() or shutil.which("start-stop-daemon") is None:
        raise RuntimeError(f"MariaDB does not answer on 127.0.0.1:3306 and {MARIADBD} is missing")
    run_dir = Path("/run/mysqld")  # the socket's folder, gone after a reboot (/run is tmpfs)
    if not run_dir.exists() and os.geteuid() == 0:
        run_dir.mkdir(mode=0o755)
        shutil.chown(run_dir, "mysql", "mysql")
    subprocess.run(
        ["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", MARIADBD],
        check=True,
    )
    deadline = time.monotonic() + 60
    while not _port_open(3306):
        if time.monotonic() > deadline:
            raise RuntimeError("MariaDB did not start listening on 127.0.0.1:3306 in 60 s")
        time.sleep(0.5)


def url_for(backend: str, tmp_path: Path) -> str:
    """The SQLAlchemy URL of ``backend`` for a test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    if backend == "duckdb":
        return f"duckdb:///{tmp_path / 'test.duckdb'}"
    if backend == "mariadb":
        ensure_mariadb()
        return MARIADB_URL
    return PG_URL


def execute(url: str, *statements: str) -> None:
    """Run statements on ``url`` in one transaction (the tests' own setup, not the task's)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for s in statements:
                conn.execute(text(s))
    finally:
        engine.dispose()


def count(url: str, table: str) -> int:
    """How many rows ``table`` has."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"select count(*) from {table}")).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def filled_table(backend: str, tmp_path: Path) -> Iterator[Table]:
    """A table of :data:`ROWS` with a random name, dropped at the end."""
    url = url_for(backend, tmp_path)
    name = f"people_{uuid.uuid4().hex[:10]}"
    values = ", ".join(f"({i}, '{n}', {s})" for i, n, s in ROWS)
    execute(
        url,
        f"create table {name} (id integer primary key, name varchar(40), score float)",
        f"insert into {name} (id, name, score) values {values}",
    )
    try:
        yield Table(backend, url, name)
    finally:
        execute(url, f"drop table if exists {name}")
