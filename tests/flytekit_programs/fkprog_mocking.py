# ruff: noqa  (a program as its documentation wrote it, with only its imports changed)
"""flytesnacks' mocking example with `flytekit` changed to `slipstream` in its imports."""

import datetime

import pandas
from slipstream import SQLTask, TaskMetadata, kwtypes, task, workflow
from slipstream.testing import patch, task_mock
from slipstream.types.schema import FlyteSchema

# This is a generic SQL task (and is by default not hooked up to any datastore
# nor handled by any plugin), and must be mocked.
sql = SQLTask(
    "my-query",
    query_template="SELECT * FROM hive.city.fact_airport_sessions WHERE ds = '{{ .Inputs.ds }}' LIMIT 10",
    inputs=kwtypes(ds=datetime.datetime),
    outputs=kwtypes(results=FlyteSchema),
    metadata=TaskMetadata(retries=2),
)


# This is a task that can run locally
@task
def t1() -> datetime.datetime:
    return datetime.datetime.now()


# Declare a workflow that chains these two tasks together
@workflow
def my_wf() -> FlyteSchema:
    dt = t1()
    return sql(ds=dt)


# Without a mock, calling the workflow would typically raise an exception,
# but with the `task_mock` construct, which returns a `MagicMock` object,
# we can override the return value.
def main_1():
    with task_mock(sql) as mock:
        mock.return_value = pandas.DataFrame(data={"x": [1, 2], "y": ["3", "4"]})
        assert (
            (my_wf().open().all() == pandas.DataFrame(data={"x": [1, 2], "y": ["3", "4"]}))
            .all()
            .all()
        )


# %% [markdown]
# There is another utility as well called `patch` which offers the same
# functionality, but in the traditional Python
# patching style, where the first argument is the `MagicMock` object.
def main_2():
    @patch(sql)
    def test_user_demo_test(mock_sql):
        mock_sql.return_value = pandas.DataFrame(data={"x": [1, 2], "y": ["3", "4"]})
        assert (
            (my_wf().open().all() == pandas.DataFrame(data={"x": [1, 2], "y": ["3", "4"]}))
            .all()
            .all()
        )

    test_user_demo_test()
