"""Workflows the console tests run: a quick one, a failing one, a slow one, a map, a gate."""

import os
import time
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from slipstream import (
    CronSchedule,
    File,
    FixedRate,
    LaunchPlan,
    Webhook,
    WorkflowExecutionPhase,
    current_context,
    dynamic,
    map_task,
    task,
    wait_for_input,
    workflow,
)


@task
def double(x: int) -> int:
    print(f"doubling {x}")
    return 2 * x


@task
def explode(x: int) -> int:
    raise ValueError(f"cannot take {x}")


@task
def slow(seconds: float) -> float:
    for i in range(int(seconds * 10)):
        print(f"tick {i}", flush=True)
        time.sleep(0.1)
    return seconds


@task
def square(x: int) -> int:
    return x * x


@workflow
def quick(x: int = 2, label: str = "hi") -> int:
    return double(x=double(x=x))


@workflow
def failing(x: int = 1) -> int:
    return explode(x=double(x=x))


@workflow
def sleepy(seconds: float = 30.0) -> float:
    return slow(seconds=seconds)


@task
def list_of(n: int) -> list[int]:
    return list(range(n))


@workflow
def squares(n: int = 20) -> list[int]:
    return map_task(square)(x=list_of(n=n))


@workflow
def gated(x: int = 1) -> int:
    answer = wait_for_input("answer", timeout=120, expected_type=int)
    return double(x=answer)


quick_lp = LaunchPlan.get_or_create(quick, name="quick_lp", default_inputs={"x": 3})


notified = LaunchPlan.get_or_create(
    quick,
    name="notified",
    notifications=[
        Webhook(phases=[WorkflowExecutionPhase.SUCCEEDED], webhook_url="http://127.0.0.1:9/down")
    ],
)


hourly = LaunchPlan.get_or_create(
    quick, name="hourly_quick", schedule=CronSchedule("0 * * * *", timezone="Asia/Tokyo")
)


@dynamic
def fan(n: int) -> list[int]:
    return [double(x=i) for i in range(n)]


@workflow
def nested(n: int = 3) -> list[int]:
    quick(x=n)
    return fan(n=n)


@task
def table(n: int) -> pd.DataFrame:
    return pd.DataFrame({"i": list(range(n)), "sq": [i * i for i in range(n)]})


@task
def note(text: str) -> File:
    path = os.path.join(current_context().working_directory, "note.txt")
    with open(path, "w") as f:
        f.write(text)
    return File(path)


@workflow
def outputs_by_type(n: int = 12) -> tuple[pd.DataFrame, File]:
    return table(n=n), note(text="hello file")


@dataclass
class Point:
    x: int
    name: str


@task
def points(n: int, tag: str | None = None) -> tuple[list[Point], str | None, Point]:
    return [Point(x=i, name=f"p{i}") for i in range(n)], tag, Point(x=-1, name="origin")


@workflow
def records(n: int = 3, tag: str | None = None) -> tuple[list[Point], str | None, Point]:
    return points(n=n, tag=tag)


pinned = LaunchPlan.get_or_create(
    quick,
    name="pinned_lp",
    fixed_inputs={"label": "pinned label"},
    default_inputs={"x": 5},
    schedule=FixedRate(timedelta(hours=6)),
)
