"""flytekit type forms across task boundaries, for runs on a server (issue 10).

Written as a flytekit user writes them (no ``from __future__ import annotations``: tuple-literal
return annotations are real tuples here). Each workflow returns values a test can check by name.
"""

import asyncio
import dataclasses
import datetime
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, NamedTuple

import pandas as pd
import pydantic

from slipstream import (
    Deck,
    Directory,
    EagerException,
    File,
    OutputLocation,
    ShellTask,
    StructuredDataset,
    current_context,
    eager,
    kwtypes,
    task,
    workflow,
)
from slipstream.types import BatchSize


def _here() -> Path:
    return Path(current_context().working_directory)


# -- tuple-literal outputs and a one-field NamedTuple returned bare ---------------------------


@task
def split(text: str) -> (dict[str, list[str]], int):
    words = text.split()
    return {"words": words}, len(words)


class Total(NamedTuple):
    total: int


@task
def count(xs: list[int]) -> Total:
    return sum(xs)  # type: ignore[return-value]  # flytekit lets a one-field NamedTuple be bare


@workflow
def tuples_wf(text: str, xs: list[int]) -> (dict[str, list[str]], int, int):
    groups, n = split(text=text)
    return groups, n, count(xs=xs).total


# -- File and Directory names, dataclass and pydantic fields holding them ----------------------


@task
def write_report(text: str) -> File:
    p = _here() / "out" / "report.csv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return File(path=str(p))


@task
def write_images(n: int) -> Directory:
    d = _here() / "images"
    d.mkdir()
    for i in range(n):
        (d / f"img{i}.png").write_bytes(bytes([i]))
    return Directory(path=str(d))


@dataclasses.dataclass
class Bundle:
    report: File
    images: Directory
    table: StructuredDataset
    frame: pd.DataFrame


class Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    report: File
    images: Directory
    table: StructuredDataset
    frame: pd.DataFrame


@task
def make_bundle(f: File, d: Directory) -> Bundle:
    df = pd.DataFrame({"a": [1, 2, 3]})
    return Bundle(f, d, StructuredDataset(dataframe=df), df)


@task
def make_model(b: Bundle) -> Model:
    return Model(report=b.report, images=b.images, table=b.table, frame=b.frame)


@task
def read_model(m: Model) -> list[str]:
    total = int(m.table.open(pd.DataFrame).all()["a"].sum()) + int(m.frame["a"].sum())
    with open(m.report) as fh:
        body = fh.read()
    names = sorted(os.listdir(m.images))
    return [
        body,
        os.path.basename(m.report.path),
        os.path.basename(m.images.path),
        *names,
        str(total),
    ]


@workflow
def files_wf(text: str, n: int) -> (list[str], File):
    f = write_report(text=text)
    return read_model(m=make_model(b=make_bundle(f=f, d=write_images(n=n)))), f


# -- aware datetimes, generators, BatchSize of pickled items, dict with int keys ---------------


@task
def shift(d: datetime.datetime) -> datetime.datetime:
    return d + datetime.timedelta(hours=1)


@task
def countdown(n: int) -> Iterator[int]:
    while n > 0:
        yield n
        n -= 1


class Opaque:
    """A class no transformer handles: pickled."""

    def __init__(self, v: int) -> None:
        self.v = v


with warnings.catch_warnings():  # "pickles": this form is what the workflow is about
    warnings.simplefilter("ignore", UserWarning)

    @task
    def make_opaque(xs: list[int]) -> Annotated[list[Opaque], BatchSize(4)]:
        return [Opaque(i) for i in xs]


@task
def sum_opaque(xs: Annotated[list[Opaque], BatchSize(4)]) -> int:
    return sum(x.v for x in xs)


@task
def invert(d: dict[str, int]) -> dict[int, str]:
    return {v: k for k, v in d.items()}


@task
def lookup(d: dict[int, str], k: int) -> str:
    assert all(type(key) is int for key in d), d
    return d[k]


@workflow
def values_wf(
    d: datetime.datetime, n: int, names: dict[str, int]
) -> (datetime.datetime, list[int], int, dict[int, str], str):
    xs = countdown(n=n)
    inv = invert(d=names)
    return shift(d=shift(d=d)), xs, sum_opaque(xs=make_opaque(xs=xs)), inv, lookup(d=inv, k=2)


# -- a shell script with File and Directory inputs and outputs ---------------------------------

process = ShellTask(
    name="process",
    script="""
    set -e
    mkdir -p {outputs.out}
    tr a-z A-Z < {inputs.f} > {outputs.out}/upper.txt
    ls {inputs.d} > {outputs.out}/listing.txt
    wc -c < {inputs.f} | tr -d ' ' > {outputs.size}
    """,
    inputs=kwtypes(f=File, d=Directory),
    output_locs=[
        OutputLocation(var="out", var_type=Directory, location="results"),
        OutputLocation(var="size", var_type=File, location="size.txt"),
    ],
)


@task
def summarize(out: Directory, size: File) -> list[str]:
    with open(os.path.join(out, "upper.txt")) as fh:
        upper = fh.read().strip()
    with open(os.path.join(out, "listing.txt")) as fh:
        listing = fh.read().split()
    with open(size) as fh:
        n = fh.read().strip()
    return [upper, *listing, n, os.path.basename(size.path), os.path.basename(out.path)]


@workflow
def shell_wf(text: str, n: int) -> list[str]:
    out, size = process(f=write_report(text=text), d=write_images(n=n))
    return summarize(out=out, size=size)


# -- an eager workflow that fans out and catches a failing call; a task with decks -------------


@task
def square(x: int) -> int:
    return x * x


@task
def refuse(x: int) -> int:
    raise ValueError(f"refused {x}")


@eager
async def squares(n: int) -> list[int]:
    outs = list(await asyncio.gather(*[square(x=i) for i in range(n)]))
    try:
        await refuse(x=n)
    except EagerException:
        outs.append(-1)
    return outs


@task(enable_deck=True)
def reported(n: int) -> int:
    current_context().default_deck.append(f"<p>n is {n}</p>")
    Deck("details", "<b>details of the run</b>")
    return n + 1


@workflow
def decks_wf(n: int) -> int:
    return reported(n=n)
