"""An attempt's working directory is removed once its outputs are saved; files returned from it
survive (they were copied into the blob store)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from slipstream import File, current_context, task, workflow
from slipstream.runners import execute_local


@task
def write_file(text: str) -> tuple[str, File]:
    wd = current_context().working_directory
    path = os.path.join(wd, "out.txt")
    Path(path).write_text(text)
    return wd, File(path=path)


@task
def read_file(f: File) -> str:
    with open(f) as fh:
        return fh.read()


@workflow
def roundtrip(text: str) -> tuple[str, str]:
    wd, f = write_file(text=text)
    return wd, read_file(f=f)


@pytest.mark.parametrize("runner", ["inline", "local"])
def test_working_directory_goes_but_returned_files_stay(runner: str) -> None:
    wd, text = execute_local(roundtrip, {"text": "kept"}, runner=runner, workers=1).python_outputs()
    assert text == "kept"
    assert not os.path.exists(wd)
