"""Type forms flytekit accepts mean the same here: each program is written as a flytekit user
writes it (only the import changed) and run locally through ``wf(...)``.

This module has no ``from __future__ import annotations``: tuple-literal return annotations are then
real tuples, as in most flytekit programs (the string form is tested too).
"""

import dataclasses
import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, NamedTuple

import pandas as pd
import pydantic
import pytest

from slipstream import Directory, File, StructuredDataset, task, workflow
from slipstream.types import BatchSize, TypeContext, default_engine


class Fruit(NamedTuple):
    name: str
    count: int


@task
def split(text: str) -> (dict[str, list[str]], int):
    words = text.split()
    return {"words": words}, len(words)


@task
def stringly(text: str) -> "(str, int)":
    return text.upper(), len(text)


@workflow
def tuple_wf(text: str) -> (dict[str, list[str]], int, str):
    groups, n = split(text=text)
    upper, _ = stringly(text=text)
    return groups, n, upper


def test_tuple_literal_return_annotations_are_several_outputs() -> None:
    assert [v.name for v in split.python_interface.outputs] == ["o0", "o1"]
    assert [v.name for v in stringly.python_interface.outputs] == ["o0", "o1"]
    groups, n, upper = tuple_wf(text="a b c")
    assert groups == {"words": ["a", "b", "c"]}
    assert n == 3
    assert upper == "A B C"


class Total(NamedTuple):
    total: int


@task
def count(xs: list[int]) -> Total:
    return sum(xs)  # type: ignore[return-value]  # flytekit lets a one-field NamedTuple be bare


@task
def count_tuple(xs: list[int]) -> Total:
    return Total(total=len(xs))


@workflow
def named_wf(xs: list[int]) -> tuple[int, int]:
    return count(xs=xs).total, count_tuple(xs=xs).total


def test_one_field_named_tuple_output_may_be_returned_bare() -> None:
    assert named_wf(xs=[1, 2, 3]) == (6, 3)


@task
def write_report(text: str) -> File:
    folder = Path(current_dir()) / "out"
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "report.csv"
    p.write_text(text)
    return File(path=str(p))


def current_dir() -> str:
    from slipstream import current_context

    return current_context().working_directory


@task
def write_images(n: int) -> Directory:
    d = Path(current_dir()) / "images"
    d.mkdir()
    for i in range(n):
        (d / f"img{i}.png").write_bytes(bytes([i]))
    return Directory(path=str(d))


@task
def describe(f: File, d: Directory) -> list[str]:
    with open(f) as fh:
        body = fh.read()
    return [os.path.basename(f.path), body, os.path.basename(d.path), *sorted(os.listdir(d))]


@workflow
def names_wf(text: str, n: int) -> list[str]:
    return describe(f=write_report(text=text), d=write_images(n=n))


def test_file_and_directory_keep_their_base_names(slipstream_home: Path) -> None:
    assert names_wf(text="a,b", n=2) == ["report.csv", "a,b", "images", "img0.png", "img1.png"]
    stored = sorted(p.name for p in (slipstream_home / "data").rglob("*") if p.is_file())
    assert "report.csv" in stored and "img0.png" in stored


@task
def upload_to(src: str, dest: str) -> File:
    return File(path=src, remote_path=dest)


def test_file_with_remote_path_is_uploaded_there(tmp_path: Path) -> None:
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights")
    dest = (tmp_path / "bucket" / "models" / "model.bin").as_uri()
    f = upload_to(src=str(src), dest=dest)
    assert f.remote_source == dest
    assert (tmp_path / "bucket" / "models" / "model.bin").read_bytes() == b"weights"


@task
def list_folder(d: Directory) -> list[str]:
    return sorted(os.path.basename(f.path) for f in d.listing())


def test_directory_from_a_folder_of_named_files(tmp_path: Path) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    for name in ("a.txt", "b.json"):
        (folder / name).write_text(name)
    assert list_folder(d=Directory(path=str(folder))) == ["a.txt", "b.json"]


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
    label: str = "x"


@task
def make_bundle(text: str) -> Bundle:
    df = pd.DataFrame({"a": [1, 2, 3]})
    return Bundle(write_report(text=text), write_images(n=1), StructuredDataset(dataframe=df), df)


@task
def make_model(b: Bundle) -> Model:
    return Model(report=b.report, images=b.images, table=b.table, frame=b.frame)


@task
def read_model(m: Model) -> list[str]:
    total = int(m.table.open(pd.DataFrame).all()["a"].sum()) + int(m.frame["a"].sum())
    with open(m.report) as fh:
        body = fh.read()
    return [body, os.path.basename(m.report.path), *os.listdir(m.images), str(total)]


@workflow
def fields_wf(text: str) -> list[str]:
    return read_model(m=make_model(b=make_bundle(text=text)))


def test_dataclass_and_pydantic_fields_of_files_directories_and_tables() -> None:
    assert fields_wf(text="hello") == ["hello", "report.csv", "img0.png", "12"]


def test_pydantic_builds_a_schema_for_models_holding_blob_values() -> None:
    class Plain(pydantic.BaseModel):
        report: File
        images: Directory
        table: StructuredDataset

    schema = Plain.model_json_schema()
    assert set(schema["properties"]) == {"report", "images", "table"}
    m = Plain(report="/tmp/r.csv", images="/tmp/imgs", table="file:///tmp/t.parquet")
    assert isinstance(m.report, File) and m.report.path == "/tmp/r.csv"
    assert isinstance(m.images, Directory)
    assert m.table.uri == "file:///tmp/t.parquet"
    assert m.model_dump(mode="json")["report"] == "/tmp/r.csv"
    with pytest.raises(pydantic.ValidationError, match="expected a File or a path"):
        Plain(report=3, images="/x", table="file:///t")


@task
def shift(d: datetime.datetime) -> datetime.datetime:
    return d + datetime.timedelta(hours=1)


@workflow
def tz_wf(d: datetime.datetime) -> datetime.datetime:
    return shift(d=shift(d=d))


def test_timezone_aware_datetimes_keep_their_offset() -> None:
    tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    out = tz_wf(d=datetime.datetime(2024, 3, 1, 9, 0, tzinfo=tz))
    assert out == datetime.datetime(2024, 3, 1, 11, 0, tzinfo=tz)
    assert out.utcoffset() == datetime.timedelta(hours=5, minutes=30)


class Opaque:
    """A class no transformer handles: pickled."""

    def __init__(self, v: int) -> None:
        self.v = v


with pytest.warns(UserWarning, match="pickles"):

    @task
    def make_opaque(n: int) -> Annotated[list[Opaque], BatchSize(4)]:
        return [Opaque(i) for i in range(n)]


@task
def sum_opaque(xs: list[Opaque]) -> int:
    return sum(x.v for x in xs)


@task
def sum_batched(xs: Annotated[list[Opaque], BatchSize(4)]) -> int:
    return sum(x.v for x in xs)


@workflow
def batch_wf(n: int) -> tuple[int, int]:
    xs = make_opaque(n=n)
    return sum_opaque(xs=xs), sum_batched(xs=xs)


def test_batch_size_stores_pickled_items_n_per_blob(tmp_path: Path) -> None:
    assert batch_wf(n=10) == (45, 45)
    from slipstream.storage import open_store

    store = open_store(str(tmp_path / "store"))
    ctx = TypeContext(store, store.join("p/d/e/n0/0/outputs"), tmp_path / "scratch")
    tp = Annotated[list[Opaque], BatchSize(4)]
    lit = default_engine().to_literal([Opaque(i) for i in range(10)], tp, ctx)
    assert [b["batch"] for b in lit] == [4, 4, 2]
    assert [o.v for o in default_engine().to_python(lit, tp, ctx)] == list(range(10))
    with pytest.raises(ValueError, match="positive int"):
        BatchSize(0)


@task
def countdown(n: int) -> Iterator[int]:
    while n > 0:
        yield n
        n -= 1


@task
def total_of(xs: list[int]) -> int:
    return sum(xs)


@workflow
def generator_wf(n: int) -> tuple[list[int], int]:
    xs = countdown(n=n)
    return xs, total_of(xs=xs)


def test_generator_tasks_returning_iterators() -> None:
    assert countdown.python_interface.model.outputs[0].type == default_engine().literal_type(
        list[int]
    )
    assert generator_wf(n=3) == ([3, 2, 1], 6)
    assert list(countdown(n=2)) == [2, 1]


@task
def invert(d: dict[str, int]) -> dict[int, str]:
    return {v: k for k, v in d.items()}


@task
def lookup(d: dict[int, str], k: int) -> str:
    return d[k]


@workflow
def dict_wf(d: dict[str, int], k: int) -> tuple[dict[int, str], str]:
    inv = invert(d=d)
    return inv, lookup(d=inv, k=k)


def test_dict_with_non_str_keys() -> None:
    inv, name = dict_wf(d={"a": 1, "b": 2}, k=2)
    assert inv == {1: "a", 2: "b"}
    assert all(type(k) is int for k in inv)
    assert name == "b"


class QuotaExceeded(Exception):
    """A user's own exception class."""


@task
def charge(amount: int) -> int:
    if amount > 10:
        raise QuotaExceeded(f"amount {amount} over quota")
    return amount


@workflow
def charge_wf(amount: int) -> int:
    return charge(amount=charge(amount=amount))


def test_a_task_exception_keeps_its_class_and_names_task_and_node() -> None:
    with pytest.raises(QuotaExceeded, match="amount 11 over quota") as info:
        charge_wf(amount=11)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "in task test_sdk_flytekit_forms.charge" in notes
    assert "in node n0" in notes
