# ruff: noqa  (a program as its documentation wrote it, with only its imports changed)
"""flytesnacks' file_streaming example with `flytekit` changed to `slipstream` (reading local
files instead of s3 ones)."""

import os

import pandas as pd
from slipstream import task, workflow
from slipstream.types.directory import FlyteDirectory
from slipstream.types.file import FlyteFile


@task()
def remove_some_rows(ff: FlyteFile) -> FlyteFile:
    new_file = FlyteFile.new_remote_file("data_without_seattle.csv")
    with ff.open("r") as r:
        with new_file.open("w") as w:
            df = pd.read_csv(r)
            df = df[df["City"] != "Seattle"]
            df.to_csv(w, index=False)
    return new_file


@task
def process_folder(fd: FlyteDirectory) -> FlyteDirectory:
    out_fd = FlyteDirectory.new_remote("folder-copy")
    for base, x in fd.crawl():
        src = str(os.path.join(base, x))
        out_file = out_fd.new_file(x)
        with FlyteFile(src).open("rb") as f:
            with out_file.open("wb") as o:
                o.write(f.read())
    return out_fd


@workflow()
def wf(ff: FlyteFile, fd: FlyteDirectory) -> tuple[FlyteFile, FlyteDirectory]:
    return remove_some_rows(ff=ff), process_folder(fd=fd)
