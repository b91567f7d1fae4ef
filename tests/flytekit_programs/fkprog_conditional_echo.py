# ruff: noqa  (a program as its documentation wrote it, with only its imports changed)
"""flytesnacks' conditional example (Echo in a branch), `flytekit` changed to `slipstream`."""

import random

from slipstream import conditional, task, workflow
from slipstream.core.task import Echo


@task
def calculate_circle_circumference(radius: float) -> float:
    return 2 * 3.14 * radius


@task
def coin_toss(seed: int) -> bool:
    r = random.Random(seed)
    return r.random() < 0.5


echo = Echo(name="echo", inputs={"radius": float})


@workflow
def noop_in_conditional(radius: float, seed: int = 5) -> float:
    is_heads = coin_toss(seed=seed)
    return (
        conditional("noop_in_conditional")
        .if_(is_heads.is_true())
        .then(calculate_circle_circumference(radius=radius))
        .else_()
        .then(echo(radius=radius))
    )
