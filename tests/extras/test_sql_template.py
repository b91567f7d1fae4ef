"""A SQL task's query template read at definition: placeholders become bind parameters, and
what cannot be bound (part of a longer string, a table name, an unknown input) is refused then,
at the line that defines the task."""

from __future__ import annotations

import datetime
import enum
from pathlib import Path

import pytest

from slipstream import Secret, kwtypes
from slipstream.errors import CompileError
from slipstream.extras._sql_template import parse_template
from slipstream.extras.sqlalchemy import SQLAlchemyConfig, SQLAlchemyTask
from slipstream.extras.sqlite3 import SQLite3Config, SQLite3Task

HERE = Path(__file__).name


def _parse(template: str, inputs: tuple[str, ...] = ("x", "n")) -> tuple[str, str, tuple[str, ...]]:
    bound = parse_template(template, set(inputs), "task t", "here:1")
    return bound.render("sqlite3", {}), bound.render("sqlalchemy", {}), bound.names


def test_placeholders_become_parameters_quoted_or_not() -> None:
    plain, alchemy, names = _parse(
        "select * from t where a = {{ .inputs.x }} and b = '{{.Inputs.x}}' "
        'and c = "{{ .inputs.n }}" limit {{.inputs.n}}'
    )
    assert plain == "select * from t where a = :x and b = :x and c = :n limit :n"
    assert alchemy == plain
    assert names == ("x", "n")


def test_sql_text_is_kept_and_colons_are_not_read_as_parameters() -> None:
    plain, alchemy, names = _parse(
        "select a::int, ' :z ', \"it''s\" from t -- {{ .inputs.x }} :c\n"
        "/* {{ .inputs.n }} */ where b = 'it''s {{ not one'"
    )
    assert names == ()  # placeholders in comments bind nothing
    assert "-- .inputs.x :c" in plain and "/* .inputs.n */" in plain
    assert "a::int" in alchemy and "' \\:z '" in alchemy and "-- .inputs.x \\:c" in alchemy


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("select * from t where a like '%{{ .inputs.x }}%'", "part of a longer string"),
        ('select "col_{{ .inputs.x }}" from t', "a table or column name"),
        ("select * from `{{ .inputs.x }}`", "a table or column name"),
        ("select {{ .inputs.y }}", "names no input of the task; its inputs: n, x"),
        ("select {{ .rawOutputDataPrefix }}", "not a placeholder this task fills"),
    ],
)
def test_what_cannot_be_bound_is_refused(template: str, reason: str) -> None:
    with pytest.raises(CompileError, match=reason):
        _parse(template)


def test_a_refused_template_names_the_line_that_defines_the_task(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as info:
        SQLite3Task(
            "bad",
            query_template="select * from {{ .inputs.table }}_x where a = '{{ .inputs.table }}!'",
            inputs=kwtypes(table=str),
            task_config=SQLite3Config(uri=str(tmp_path / "db.sqlite")),
        )
    assert "SQLite3Task bad" in str(info.value) and "longer string" in str(info.value)
    assert info.value.location is not None and HERE in info.value.location


def test_a_task_needs_its_config_and_secrets_as_secrets() -> None:
    with pytest.raises(CompileError, match=r"task_config=SQLite3Config\(uri=...\)"):
        SQLite3Task("no_config", query_template="select 1")
    with pytest.raises(CompileError, match=r"task_config=SQLAlchemyConfig\(uri=...\)"):
        SQLAlchemyTask("wrong_config", query_template="select 1", task_config=SQLite3Config("x"))
    bad = SQLAlchemyConfig(uri="sqlite://", secret_connect_args={"password": "hunter2"})  # type: ignore[dict-item]
    with pytest.raises(CompileError, match=r"secret_connect_args\['password'\] must be a Secret"):
        SQLAlchemyTask("plain_password", query_template="select 1", task_config=bad)
    with pytest.raises(CompileError, match="non-empty string"):
        SQLAlchemyTask("empty", query_template=" ", task_config=SQLAlchemyConfig("sqlite://"))


def test_secret_arguments_are_requested_by_the_task() -> None:
    pw = Secret(group="db", key="password")
    extra = Secret(group="other", key="token")
    t = SQLAlchemyTask(
        "secretive",
        query_template="select 1",
        task_config=SQLAlchemyConfig(uri="sqlite://", secret_connect_args={"password": pw}),
        secret_requests=[extra],
    )
    assert [(s.group, s.key) for s in t.template.secrets] == [
        ("db", "password"),
        ("other", "token"),
    ]
    assert t.template.type == "sqlalchemy"
    assert t.template.custom == {
        "query_template": "select 1",
        "uri": "sqlite://",
        "connect_args": [],
        "secret_connect_args": {
            "password": {"group": "db", "key": "password", "group_version": None}
        },
    }
    assert t.config.secret_connect_args_to_dicts() == {
        "password": {"group": "db", "key": "password", "group_version": None}
    }


class Color(enum.Enum):
    RED = "red"


def test_values_are_converted_for_the_driver() -> None:
    bound = parse_template("select {{ .inputs.c }}, {{ .inputs.d }}", {"c", "d"}, "t", "w")
    when = datetime.datetime(2024, 3, 1, 9, 30)
    assert bound.values({"c": Color.RED, "d": when}) == {"c": "red", "d": when}
    assert bound.values({"c": Color.RED, "d": when}, text_dates=True) == {
        "c": "red",
        "d": "2024-03-01 09:30:00",
    }


def test_a_cached_query_is_versioned_by_its_template_and_database() -> None:
    def version(template: str, uri: str) -> str:
        t = SQLite3Task(
            "cached", query_template=template, task_config=SQLite3Config(uri), cache=True
        )
        return t.template.metadata.cache.version  # type: ignore[union-attr]

    first = version("select 1", "a.db")
    assert first.startswith("src-") and first == version("select 1", "a.db")
    assert first != version("select 2", "a.db") and first != version("select 1", "b.db")


def test_a_list_input_is_one_parameter_per_item() -> None:
    bound = parse_template("select * from t where id in ({{ .inputs.ids }})", {"ids"}, "t", "w")
    assert (
        bound.render("sqlite3", {"ids": [4, 5]}) == "select * from t where id in (:ids__0, :ids__1)"
    )
    assert bound.values({"ids": [4, Color.RED]}) == {"ids__0": 4, "ids__1": "red"}
    assert bound.render("sqlalchemy", {"ids": []}) == "select * from t where id in (NULL)"
    assert bound.values({"ids": []}) == {}


def test_the_template_shows_the_database_without_its_password() -> None:
    t = SQLAlchemyTask(
        "shown",
        query_template="select {{ .inputs.n }}",
        inputs=kwtypes(n=int),
        task_config=SQLAlchemyConfig(
            uri="postgresql+psycopg://app:hunter2@db:5432/shop",
            connect_args={"password": "hunter2", "connect_timeout": 5},
        ),
    )
    assert t.template.custom["uri"] == "postgresql+psycopg://app:***@db:5432/shop"
    assert t.template.custom["connect_args"] == ["connect_timeout", "password"]
    assert "hunter2" not in repr(t.template)
    lite = SQLite3Task(
        "lite", query_template="select 1", task_config=SQLite3Config("s3://b/x.zip", True)
    )
    assert lite.template.type == "sqlite"
    assert lite.template.custom == {
        "query_template": "select 1",
        "uri": "s3://b/x.zip",
        "compressed": True,
    }
