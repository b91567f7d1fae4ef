"""Local files and DataFrames as inputs of executions on a real server (SQLite and PostgreSQL):
``Remote.execute`` with a local path, a ``File`` and a DataFrame, by local object and by name, and
``slipstream run --remote FILE wf --f ./x.csv`` (importing FILE, then from the remembered specs)
upload them to the server's store (not the client's home) and the tasks read them there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from live_server import LiveServer, child_env, cli_command, unique

from slipstream import File
from slipstream.errors import InputError
from slipstream.model import ExecutionPhase
from slipstream.remote import Remote

MODULE = """
import os

import pandas as pd

from slipstream import Directory, File, task, workflow

if os.environ.get("MARKER"):  # the CLI imported this file
    with open(os.environ["MARKER"], "a") as marker:
        marker.write("imported\\n")

@task
def read_file(f: File) -> str:
    with open(f) as fh:
        return os.path.basename(f.path) + ":" + fh.read()


@task
def total_units(df: pd.DataFrame) -> int:
    return int(df["units"].sum())


@task
def list_dir(d: Directory) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(root, n), d.path) for root, _, ns in os.walk(d.path) for n in ns
    )


@workflow
def with_default(f: File = File("data/sales.csv")) -> str:
    return read_file(f=f)


@workflow
def uploads(f: File, df: pd.DataFrame) -> tuple[str, int]:
    return read_file(f=f), total_units(df=df)
"""


def _package(tmp_path: Path) -> tuple[str, Path]:
    package = f"pkg_{unique('up').replace('-', '_')}"
    pkg = tmp_path / package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    flows = pkg / "flows.py"
    flows.write_text(MODULE)
    return package, flows


def _csv(path: Path, units: list[int]) -> Path:
    path.write_text("region,units\n" + "".join(f"r{i},{u}\n" for i, u in enumerate(units)))
    return path


def _server_uploads(server: LiveServer, project: str) -> Path:
    return server.home / "data" / "uploads" / project / "development"


@pytest.mark.timeout(300)
def test_execute_uploads_local_files_and_dataframes(
    server: LiveServer, tmp_path: Path, slipstream_home: Path
) -> None:
    project = unique("upx")
    package, _ = _package(tmp_path)
    sales = _csv(tmp_path / "sales.csv", [1, 2])
    frame = pd.DataFrame({"region": ["a", "b", "c"], "units": [3, 4, 5]})
    with Remote(server.url, project, "development", token=server.token) as remote:
        remote.create_project(project)
        remote.register(tmp_path / package, version="v1")
        module: Any = sys.modules[f"{package}.flows"]

        by_path = remote.execute(module.uploads, {"f": str(sales), "df": frame}, wait=True)
        assert by_path.phase is ExecutionPhase.SUCCEEDED, by_path.error
        assert remote.outputs(by_path) == {"o0": "sales.csv:region,units\nr0,1\nr1,2\n", "o1": 12}
        store = (server.home / "data").as_uri()
        for literal in by_path.spec.inputs.values():
            assert literal["uri"].startswith(f"{store}/uploads/{project}/development/")

        by_file = remote.execute(module.uploads, {"f": File(str(sales)), "df": frame}, wait=True)
        assert remote.outputs(by_file)["o0"].startswith("sales.csv:region,units")
        by_name = remote.execute(
            module.uploads.name, {"f": str(sales), "df": frame}, wait=True, version="v1"
        )
        assert remote.outputs(by_name) == remote.outputs(by_path)

        folder = tmp_path / "folder"
        (folder / "sub").mkdir(parents=True)
        (folder / "a.txt").write_text("a")
        (folder / "sub" / "b d.txt").write_text("b")
        listed = remote.execute(module.list_dir, {"d": str(folder)}, wait=True)
        assert remote.outputs(listed) == {"o0": ["a.txt", "sub/b d.txt"]}

        # a local file as a default stays in the code: the server says so
        with pytest.raises(InputError, match=r"'f' \(file\).*local file, directory or DataFrame"):
            remote.execute(module.with_default)

        # a blob that is remote already is passed by reference: nothing is uploaded (a URI
        # outside the project's own data needs a prefix an admin allows)
        uploaded = sorted(_server_uploads(server, project).iterdir())
        assert len(uploaded) == 4  # one location per execution that uploaded
        elsewhere = {"f": "memory://nowhere/data/elsewhere.csv"}
        with pytest.raises(InputError, match=r"input 'f'.*allowed_input_prefixes"):
            remote.execute(module.read_file, elsewhere)
        allow = {"allowed_input_prefixes": ["memory://nowhere/data/"]}
        put = httpx.put(
            f"{server.url}/api/v1/projects/{project}/settings",
            json=allow,
            headers={"Authorization": f"Bearer {server.token}"},
        )
        assert put.status_code == 200, put.text
        ref = remote.execute(module.read_file, elsewhere)
        assert ref.spec.inputs["f"] == {"uri": "memory://nowhere/data/elsewhere.csv"}
        remote.wait(ref, timeout=60)
        assert sorted(_server_uploads(server, project).iterdir()) == uploaded

    # in the server's store, not the client's home
    names = [p.name for p in _server_uploads(server, project).rglob("*") if p.is_file()]
    assert names.count("sales.csv") == 3 and len(names) == 8
    assert not (slipstream_home / "data" / "uploads").exists()


@pytest.mark.timeout(300)
def test_run_remote_uploads_local_inputs(
    server: LiveServer, tmp_path: Path, slipstream_home: Path
) -> None:
    project = unique("upc")
    _, flows = _package(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    _csv(work / "x.csv", [7])
    _csv(work / "frame.csv", [1, 2, 3])
    env = child_env(slipstream_home)
    marker = tmp_path / "imports.txt"
    env.update(SLIPSTREAM_ENDPOINT=server.url, SLIPSTREAM_TOKEN=server.token, MARKER=str(marker))
    with Remote(server.url, project, "development", token=server.token) as remote:
        remote.create_project(project)

    def run(*args: str) -> Any:
        done = subprocess.run(
            cli_command("run", "--remote", "--wait", "--json", "-p", project, *args),
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)

    expected = {"o0": "x.csv:region,units\nr0,7\n", "o1": 6}
    # first FILE is imported; then its specs are remembered and the inputs parsed from them
    assert run(str(flows), "uploads", "--f", "./x.csv", "--df", "frame.csv") == expected
    imported = marker.read_text().count("imported")
    assert imported >= 1
    assert run(str(flows), "uploads", "--f", "x.csv", "--df", "./frame.csv") == expected
    assert marker.read_text().count("imported") == imported
    names = [p.name for p in _server_uploads(server, project).rglob("*") if p.is_file()]
    assert names.count("x.csv") == 2
    assert not (slipstream_home / "data" / "uploads").exists()


def test_the_upload_store_only_writes() -> None:
    from slipstream.errors import StorageError
    from slipstream.remote._uploads import UploadStore

    store = UploadStore(None, "p", "development")  # type: ignore[arg-type]
    assert not store.owns("file:///anything") and store.local_path("s3://b/k") is None
    for read in (store.get_bytes, store.exists, store.ls):
        with pytest.raises(StorageError, match="only sends a client's input data"):
            read("s3://b/k")
    with pytest.raises(StorageError, match="upload location"):
        store.put_bytes("s3://b/k", b"x")  # nothing outside its location
