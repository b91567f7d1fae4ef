"""pydantic core schemas for the blob-backed value classes (``File``, ``Directory``,
``StructuredDataset``), so that a pydantic model holding them builds, validates and has a JSON
schema. Imported only by pydantic itself, when a model with such a field is defined."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["blob_path_schema", "dataset_schema"]


def blob_path_schema(cls: type[Any]) -> Any:
    """A ``File``/``Directory`` field: an instance as is, a ``str``/``PathLike`` made into one."""

    def validate(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if isinstance(value, str | os.PathLike):
            return cls(value)
        raise ValueError(f"expected a {cls.__name__} or a path, got {type(value).__name__}")

    return _plain(validate, lambda v: v.remote_source or v.path)


def dataset_schema(cls: type[Any]) -> Any:
    """A ``StructuredDataset`` field: an instance as is, a DataFrame wrapped, a URI referenced."""

    def validate(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            return cls(uri=value)
        if hasattr(value, "columns") or hasattr(value, "schema"):
            return cls(dataframe=value)
        raise ValueError(
            f"expected a StructuredDataset, a DataFrame or a URI, got {type(value).__name__}"
        )

    return _plain(validate, lambda v: v.uri)


def _plain(validate: Any, to_json: Any) -> Any:
    from pydantic_core import core_schema

    serialization = core_schema.plain_serializer_function_ser_schema(to_json, when_used="json")
    try:  # pydantic-core >= 2.27 shows the input as a string in JSON schemas
        return core_schema.no_info_plain_validator_function(
            validate,
            json_schema_input_schema=core_schema.str_schema(),
            serialization=serialization,
        )
    except TypeError:
        return core_schema.no_info_plain_validator_function(validate, serialization=serialization)
