"""flytekit names and helpers: create_node, LaunchPlan.create and the default launch plan."""

from __future__ import annotations

import pytest

from slipstream import (
    CompileError,
    Description,
    Documentation,
    LaunchPlan,
    PodTemplate,
    Resources,
    SourceCode,
    create_node,
    task,
    workflow,
)


@task
def add_one(x: int) -> int:
    return x + 1


@task
def square(x: int) -> int:
    return x * x


@task
def announce() -> None:
    print("starting")


@workflow
def nodes_wf(x: int) -> int:
    start = create_node(announce)
    a = create_node(add_one, x=x)
    b = create_node(square, x=a.o0).with_overrides(retries=2, requests=Resources(cpu="1"))
    start >> a
    return b.o0


def test_create_node_outputs_are_attributes_ordered_and_overridable() -> None:
    assert nodes_wf(x=2) == 9
    n_start, n_a, n_b = nodes_wf.compiled.workflow.nodes
    assert n_start.id in n_a.upstream
    assert n_a.id in n_b.upstream
    assert n_b.overrides.retries == 2


def test_create_node_unknown_output_names_the_outputs() -> None:
    with pytest.raises(CompileError, match=r"has no output 'o1'; outputs are o0"):

        @workflow
        def bad(x: int) -> int:
            return create_node(add_one, x=x).o1  # type: ignore[no-any-return]


@workflow
def plain_wf(x: int, y: int = 1) -> int:
    return add_one(x=square(x=x))


def test_launch_plan_create_and_default_launch_plan() -> None:
    lp = LaunchPlan.create("plain_fixed", plain_wf, fixed_inputs={"x": 3}, auto_activate=True)
    assert lp() == 10
    again = LaunchPlan.create("plain_fixed", plain_wf, fixed_inputs={"x": 4})
    assert again() == 17  # create replaces a launch plan of the same name
    default = LaunchPlan.get_default_launch_plan(None, plain_wf)
    assert default is LaunchPlan.get_or_create(plain_wf)
    assert default(x=2) == 5
    with pytest.raises(TypeError, match="unexpected option"):
        LaunchPlan.create("typo", plain_wf, fixed_inptus={"x": 1})


class SparkLike:
    """Stands in for a flytekit plugin's task config (e.g. ``flytekitplugins.spark.Spark``)."""

    def __init__(self, spark_conf: dict[str, str]) -> None:
        self.spark_conf = spark_conf


def test_a_plugin_task_config_is_refused_naming_it() -> None:
    def job(n: int) -> int:
        return n

    with pytest.raises(CompileError, match=r"task_config=SparkLike\(\.\.\.\).*does not run"):
        task(job, task_config=SparkLike({"spark.executor.cores": "1"}))
    assert task(add_one.__wrapped__, task_config=None, name="plain_add_one")(x=1) == 2


def test_notifications_and_failure_policy_on_launch_plans_and_workflows() -> None:
    from slipstream import (
        Email,
        PagerDuty,
        Slack,
        Webhook,
        WorkflowExecutionPhase,
        WorkflowFailurePolicy,
    )

    @workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
    def notified(x: int, y: int = 1) -> int:
        return add_one(x=square(x=x))

    lp = LaunchPlan.get_or_create(
        notified,
        name="notified_lp",
        notifications=[
            Email(phases=[WorkflowExecutionPhase.FAILED], recipients_email=["ops@example.com"]),
            Slack(phases=[WorkflowExecutionPhase.SUCCEEDED], recipients_email=["c@x.slack.com"]),
            PagerDuty(phases=[WorkflowExecutionPhase.TIMED_OUT], recipients_email=["p@x.com"]),
            Webhook(phases=[WorkflowExecutionPhase.FAILED], webhook_url="https://hooks.test/x"),
        ],
    )
    kinds = [(n.kind, n.recipients) for n in lp.spec.notifications]
    assert kinds == [
        ("email", ("ops@example.com",)),
        ("slack", ("c@x.slack.com",)),
        ("pagerduty", ("p@x.com",)),
        ("webhook", ("https://hooks.test/x",)),
    ]
    assert lp(x=3) == 10
    with pytest.raises(ValueError, match="http"):
        Webhook(phases=["FAILED"], webhook_url="ftp://nope")


@task(
    docs=Documentation(
        short_description="Counts.",
        long_description=Description(value="Counts things carefully."),
        source_code=SourceCode(link="https://example.com/src"),
    ),
    pod_template=PodTemplate(primary_container_name="main"),
)
def documented(n: int) -> int:
    return n


def test_documentation_and_pod_template_are_accepted() -> None:
    assert documented.template.metadata.docs == (
        "Counts.\n\nCounts things carefully.\n\nSource: https://example.com/src"
    )
