"""``SQLite3Task``: a query on a SQLite database file as a task (flytekit's, same arguments).

The database is ``SQLite3Config.uri``: a local path (or ``file://``), opened in place, or a blob
URI (``s3://``...) fetched to the attempt's scratch space first. ``compressed=True`` says the URI
is an archive (zip, tar.gz...) holding exactly one file, the database. A local file must exist:
the task never creates an empty database by accident.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slipstream.errors import StorageError

from .._sql_task import ClientSQLTask, Rows, hide_password
from .._sql_template import BoundTemplate

__all__ = ["SQLite3Config", "SQLite3Task"]


@dataclass(frozen=True)
class SQLite3Config:
    """Where the database file is (``uri``) and whether it comes as an archive."""

    uri: str
    compressed: bool = False


def _unarchive(archive: str, into: str) -> str:
    """The one file an archive holds, unpacked under ``into``."""
    import shutil
    import zipfile

    folder = os.path.join(into, "_archive")
    if zipfile.is_zipfile(archive):  # shutil's zip unpacking skips names outside the folder
        shutil.unpack_archive(archive, folder, format="zip")
    else:  # a tar: only plain files and folders inside the folder ("data" filter)
        shutil.unpack_archive(archive, folder, filter="data")
    files = [os.path.join(d, f) for d, _, names in os.walk(folder) for f in names]
    if len(files) != 1:
        raise StorageError(f"the archive holds {len(files)} files; a database archive holds one")
    return files[0]


class SQLite3Task(ClientSQLTask):
    """A query on a SQLite file; its rows are the output ``results`` (a DataFrame for the next
    task). ``{{ .inputs.name }}`` in the query is bound as a parameter."""

    _SQLITE_TASK_TYPE = "sqlite"
    TASK_TYPE = _SQLITE_TASK_TYPE
    CONFIG_TYPE = SQLite3Config

    @property
    def config(self) -> SQLite3Config:
        """The task's ``SQLite3Config``."""
        cfg: SQLite3Config = self.task_config
        return cfg

    def service(self) -> str:
        """``sqlite3 database <uri>``."""
        return f"sqlite3 database {hide_password(self.config.uri)}"

    def settings(self) -> dict[str, Any]:
        """``uri`` (its password hidden) and ``compressed``."""
        return {"uri": hide_password(self.config.uri), "compressed": self.config.compressed}

    def _database(self, scratch: str) -> str:
        from slipstream.storage import is_local_url
        from slipstream.types import FileAccessProvider

        uri = self.config.uri
        if is_local_url(uri) and not self.config.compressed:
            return uri.removeprefix("file://")
        local = os.path.join(scratch, os.path.basename(uri.rstrip("/")) or "database")
        FileAccessProvider().get_data(uri, local)
        return _unarchive(local, scratch) if self.config.compressed else local

    def run_query(
        self, bound: BoundTemplate, kwargs: dict[str, Any], secrets: dict[str, str]
    ) -> Rows:
        """Open the file read-write (never creating it), run the query, commit."""
        import sqlite3

        with tempfile.TemporaryDirectory(prefix="slipstream-sqlite-") as scratch:
            path = Path(self._database(scratch)).absolute()
            con = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True)
            try:
                with con:
                    cur = con.execute(
                        bound.render("sqlite3", kwargs), bound.values(kwargs, text_dates=True)
                    )
                    if cur.description is None:
                        return [], []
                    return [d[0] for d in cur.description], cur.fetchall()
            finally:
                con.close()
