"""flytekit programs move over with an import change: cluster-only options, ImageSpec, Deck,
Labels, and the flytekit.types.* module names."""

from __future__ import annotations

import pytest

from slipstream import (
    Cache,
    Deck,
    ImageSpec,
    Labels,
    LaunchPlan,
    Resources,
    current_context,
    task,
    workflow,
)
from slipstream.types.directory import FlyteDirectory
from slipstream.types.file import CSVFile, FlyteFile
from slipstream.types.structured import StructuredDataset

IMAGE = ImageSpec(name="trainer", registry="ghcr.io/acme", packages=["pandas"])


@task(
    container_image=IMAGE,
    requests=Resources(cpu="1", mem="1Gi"),
    enable_deck=True,
    pod_template_name="gpu",
    accelerator=None,
)
def decked(n: int) -> int:
    Deck("summary", "<b>n</b>").append(Deck.escape("<1>"))
    return len(current_context().decks) + n


@workflow(interruptible=True)
def compat_wf(n: int = 1) -> int:
    return decked(n=n)


def test_cluster_only_options_are_accepted_and_the_image_is_named() -> None:
    assert compat_wf(n=2) == 3
    assert decked.container_image == "ghcr.io/acme/trainer"
    assert decked.template.container_image == "ghcr.io/acme/trainer"
    assert decked.cluster_options["pod_template_name"] == "gpu"


def test_an_unknown_option_is_still_a_type_error() -> None:
    def f(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="unexpected option"):
        task(f, not_an_option=True)  # type: ignore[call-arg]


def test_labels_of_a_launch_plan() -> None:
    lp = LaunchPlan.get_or_create(compat_wf, name="compat_labels", labels=Labels({"team": "ml"}))
    assert lp.spec.labels == {"team": "ml"}


def test_flytekit_type_module_names() -> None:
    assert FlyteFile.__name__ == "File"
    assert CSVFile.format == "csv"
    assert FlyteDirectory.__name__ == "Directory"
    assert StructuredDataset.__name__ == "StructuredDataset"


@task
def first(x: int) -> int:
    return x + 1


@task
def second(x: int) -> int:
    return x * 2


@workflow
def nodes_wf(x: int) -> int:
    from slipstream import create_node

    a = create_node(first, x=x)
    b = create_node(second, x=a.outputs["o0"])
    a >> b
    return b.outputs["o0"]


def test_create_node_gives_the_node_and_its_outputs() -> None:
    assert nodes_wf(x=3) == 8
    n1 = nodes_wf.compiled.workflow.nodes[1]
    assert "n0" in n1.upstream


def test_hash_method_sets_the_cache_hash_of_a_dataframe() -> None:
    from typing import Annotated

    import pandas as pd

    from slipstream import HashMethod
    from slipstream.storage import open_store
    from slipstream.types import TypeContext, default_engine

    codec = default_engine().codec(Annotated[pd.DataFrame, HashMethod(lambda df: len(df))])
    import tempfile
    from pathlib import Path

    d = Path(tempfile.mkdtemp())
    ctx = TypeContext(open_store(d.as_uri()), d.as_uri() + "/out", d / "tmp")
    literal = codec.to_literal(pd.DataFrame({"a": [1, 2, 3]}), ctx)
    assert literal["hash"] == "user:3"
    assert list(codec.to_python(literal, ctx)["a"]) == [1, 2, 3]


@task(resources=Resources(cpu=("1", "2"), mem=("1Gi", "2Gi")))
def sized(x: int) -> int:
    return x


@task(cache=Cache(version="3", salt="pepper", policies=None))
def salted(x: int) -> int:
    return x


def test_resource_pairs_give_request_and_limit() -> None:
    t = sized.template
    assert (t.requests.cpu, t.limits.cpu) == ("1", "2")
    assert (t.requests.mem, t.limits.mem) == ("1Gi", "2Gi")


def test_cache_salt_and_policies_are_accepted() -> None:
    assert salted.template.metadata.cache is not None
    assert salted.template.metadata.cache.version == "3+pepper"


def test_workflow_execution_phase_for_notifications() -> None:
    from slipstream import Email, WorkflowExecutionPhase

    spec = Email(phases=[WorkflowExecutionPhase.FAILED], recipients_email=["a@b.c"]).to_spec()
    assert spec.phases == ("FAILED",)
