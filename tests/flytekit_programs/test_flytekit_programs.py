"""Programs from Flyte's documentation (flytesnacks), with ``flytekit`` changed to ``slipstream``
in their imports and nothing else, run locally with the outputs their documentation promises."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import slipstream


# the program's own TemporaryDirectory is cleaned up implicitly (a ResourceWarning)
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_custom_type_transformer_moves_a_directory_between_tasks() -> None:
    import fkprog_custom_types as prog

    out = prog.wf()
    assert sorted(out.splitlines()) == [f"Contents of file{i}" for i in range(3)]


def test_echo_in_a_conditional_branch_returns_its_input() -> None:
    import fkprog_conditional_echo as prog

    heads = prog.coin_toss(seed=5)
    got = prog.noop_in_conditional(radius=0.5, seed=5)
    assert got == pytest.approx(3.14 if heads else 0.5)
    # a seed that lands on the other side takes the other branch
    other = next(s for s in range(50) if prog.coin_toss(seed=s) != heads)
    assert prog.noop_in_conditional(radius=0.5, seed=other) == pytest.approx(0.5 if heads else 3.14)


def test_workflow_decorator_orders_nodes_through_the_compilation_state() -> None:
    import fkprog_decorating_workflows as prog

    assert prog.decorating_workflow(x=10.0) == 81.0
    nodes = prog.decorating_workflow.compiled.workflow.nodes
    setup, first, last, teardown = nodes
    assert setup.id in first.upstream
    assert last.id in teardown.upstream


def test_task_mock_and_patch_stand_in_for_a_sql_task() -> None:
    import fkprog_mocking as prog

    prog.main_1()
    prog.main_2()
    with pytest.raises(NotImplementedError, match="mock it"):
        prog.my_wf()
    assert prog.sql.get_query(ds="2024-01-01") == (
        "SELECT * FROM hive.city.fact_airport_sessions WHERE ds = '2024-01-01' LIMIT 10"
    )


def test_class_based_task_with_interface_and_metadata(tmp_path: Path) -> None:
    import fkprog_user_container as prog

    f = tmp_path / "some-file"
    f.write_text("Hello World!")
    assert prog.my_workflow(path=str(f)) == str(f)
    assert prog.sensor.retries == 10
    assert prog.sensor.timeout_s == 1200


def test_failure_node_receives_the_flyte_error() -> None:
    import fkprog_failure_node as prog

    with pytest.raises(ValueError, match="Fail!"):
        prog.wf1()
    with pytest.raises(ValueError, match="Fail!"):
        prog.wf2()


def test_recoverable_exception_is_retried_from_the_checkpoint() -> None:
    import fkprog_checkpoint as prog

    assert prog.checkpointing_example(n_iterations=10) == 9
    assert issubclass(slipstream.exceptions.user.FlyteRecoverableException, RuntimeError)  # type: ignore[attr-defined]


def test_file_streaming_writes_new_remote_files_and_directories(tmp_path: Path) -> None:
    import fkprog_file_streaming as prog

    csv = tmp_path / "data.csv"
    pd.DataFrame({"City": ["Seattle", "Paris", "Lima"], "n": [1, 2, 3]}).to_csv(csv, index=False)
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    f, d = prog.wf(ff=prog.FlyteFile(str(csv)), fd=prog.FlyteDirectory(str(folder)))
    assert os.path.basename(f.path) == "data_without_seattle.csv"
    assert list(pd.read_csv(f.path)["City"]) == ["Paris", "Lima"]
    copied = sorted(rel for _, rel in d.crawl())
    assert copied == ["a.txt", os.path.join("sub", "b.txt")]
    assert [rel for _, rel in d.crawl(maxdepth=1)] == ["a.txt"]


def test_secrets_from_the_environment_and_the_testing_secrets_manager(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fkprog_secrets as prog

    from slipstream.testing import SecretsManager

    sec = SecretsManager()
    monkeypatch.setenv(sec.get_secrets_env_var(prog.SECRET_GROUP, prog.SECRET_NAME), "value")
    monkeypatch.setenv(sec.get_secrets_env_var(prog.SECRET_GROUP, prog.USERNAME_SECRET), "u")
    monkeypatch.setenv(sec.get_secrets_env_var(prog.SECRET_GROUP, prog.PASSWORD_SECRET), "p")
    x, y, z, f, s = prog.my_secret_workflow()
    assert (x, y, z, s) == ("value", "u", "p", "value")
    assert f == sec.get_secrets_file(prog.SECRET_GROUP, prog.SECRET_NAME)
    assert Path(f).read_text() == "value"


def test_flytekit_module_paths_resolve() -> None:
    from slipstream.core.base_task import PythonTask, TaskMetadata
    from slipstream.core.context_manager import FlyteContextManager
    from slipstream.core.dynamic_workflow_task import dynamic
    from slipstream.core.launch_plan import LaunchPlan
    from slipstream.core.node_creation import create_node
    from slipstream.core.type_engine import BatchSize, TypeEngine
    from slipstream.core.workflow import workflow
    from slipstream.exceptions.eager import EagerException
    from slipstream.models.literals import Literal
    from slipstream.types.directory import TFRecordsDirectory
    from slipstream.types.file import TFRecordFile
    from slipstream.types.file.file import FlyteFile
    from slipstream.types.schema import FlyteSchema
    from slipstream.types.structured.structured_dataset import StructuredDataset

    assert workflow is slipstream.workflow and dynamic is slipstream.dynamic
    assert create_node is slipstream.create_node and LaunchPlan is slipstream.LaunchPlan
    assert BatchSize is slipstream.BatchSize and EagerException is slipstream.EagerException
    assert FlyteFile is slipstream.FlyteFile and FlyteSchema is StructuredDataset
    assert TaskMetadata is slipstream.TaskMetadata and issubclass(PythonTask, slipstream.PythonTask)
    assert FlyteContextManager is slipstream.FlyteContextManager and Literal is slipstream.Literal
    assert TFRecordFile.format == "tfrecord" and TFRecordsDirectory.format == "tfrecord"
    assert callable(TypeEngine.register)
    assert slipstream.ImageSpec(packages=["numpy"], commands=["true"]).is_container()
    assert slipstream.ImageSpec().with_packages("numpy").packages == ["numpy"]


@pytest.fixture
def tabulate_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """The structured dataset program prints with ``tabulate``; a stand-in when it is absent."""
    import importlib.util
    import sys
    import types

    if importlib.util.find_spec("tabulate") is None:
        stub = types.ModuleType("tabulate")
        stub.tabulate = lambda df, headers=None, tablefmt=None: df.to_string()  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "tabulate", stub)


def test_structured_dataset_column_subset_csv_and_numpy_handlers() -> None:
    import fkprog_structured_dataset as prog
    import numpy as np

    sd = prog.simple_sd_wf()
    assert list(sd.open(pd.DataFrame).all()["Age"]) == [19, 22, 30]
    assert list(sd.open(pd.DataFrame).all().columns) == ["Age"]
    csv = prog.pandas_to_csv_wf()
    assert csv.file_format == "csv" and csv.uri.endswith(".csv")
    assert csv.open(pd.DataFrame).all().to_dict("list") == {
        "Name": ["Tom", "Joseph"],
        "Age": [19, 22],
        "Height": [160, 178],
    }
    arr = prog.numpy_wf().open(np.ndarray).all()
    assert arr.tolist() == [["Tom", "Joseph"]]


@pytest.mark.usefixtures("tabulate_module")
def test_structured_dataset_nested_columns_by_kwtypes_dict_and_dataclass(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import fkprog_structured_dataset as prog

    prog.contacts_wf()
    out = capsys.readouterr().out
    assert "MyNestedDataClassDataset dataframe" in out
    sd = prog.create_parquet_file()
    assert list(prog.print_table_by_arg(sd=sd).columns) == ["company"]
    assert prog.print_table_by_dict(sd=sd)["info"].tolist() == [
        {"contacts": {"tel": "9876543210"}},
        {"contacts": {"tel": "0123456789"}},
    ]
    top = prog.print_table_by_top_dataclass(sd=sd)
    assert list(top.columns) == ["location", "info", "company"]
    assert list(prog.print_table_by_top_dict(sd=sd).columns) == ["company", "location"]
    nested = prog.print_table_by_nested_dataclass(sd=sd)["info"].tolist()
    assert nested[0] == {"contacts": {"email": "contact@xyz.com", "tel": "9876543210"}}
