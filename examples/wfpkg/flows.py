"""The README's registration walkthrough: a training workflow and a nightly launch plan.

slipstream register examples/wfpkg/
slipstream launch wfpkg.flows.training --epochs 3 --wait
slipstream launch --launchplan wfpkg.flows.nightly --wait
"""

from slipstream import CronSchedule, LaunchPlan, task, workflow


@task
def prepare(rows: int) -> list[float]:
    """Make a small data set."""
    return [i / rows for i in range(rows)]


@task
def train(data: list[float], epochs: int) -> float:
    """Fit the mean, one pass per epoch (a stand-in for a real model)."""
    estimate = 0.0
    for _ in range(epochs):
        for x in data:
            estimate += (x - estimate) / len(data)
    return round(estimate, 6)


@workflow
def training(rows: int = 100, epochs: int = 2) -> float:
    """Prepare the data, then train on it."""
    return train(data=prepare(rows=rows), epochs=epochs)


nightly = LaunchPlan.get_or_create(
    training,
    name="wfpkg.flows.nightly",
    fixed_inputs={"rows": 1000},
    schedule=CronSchedule(schedule="0 2 * * *"),
)
