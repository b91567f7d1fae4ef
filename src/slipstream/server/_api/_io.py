"""Request bodies in, JSON out, with msgspec; and the OpenAPI schemas generated from the model.

Bodies are decoded by msgspec straight into the model's structs (one source of truth) and the
same structs give the OpenAPI document its schemas, registered here as routes are declared.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from fastapi import Request, Response

from slipstream.errors import ValidationError
from slipstream.model import ExecutionPhase

__all__ = [
    "MAX_JSON_BYTES",
    "doc",
    "json_response",
    "read_body",
    "record_response",
    "schema_components",
]

T = TypeVar("T")
MAX_JSON_BYTES = 64 * 1024 * 1024
_REF = "#/components/schemas/{name}"
_types: list[tuple[Any, dict[str, Any]]] = []


def json_response(obj: Any, status_code: int = 200) -> Response:
    """``obj`` (structs, dicts, ``msgspec.Raw``) encoded as a JSON response."""
    return Response(
        msgspec.json.encode(obj), status_code=status_code, media_type="application/json"
    )


def record_response(record: Any, status_code: int = 200) -> Response:
    """An execution's record (a struct, or its stored JSON as ``msgspec.Raw``) as JSON with its
    ``phase`` always present: the model leaves the default (QUEUED) out, which a client reading
    the JSON would take for no phase at all."""
    raw = bytes(record) if isinstance(record, msgspec.Raw) else msgspec.json.encode(record)
    data: dict[str, Any] = msgspec.json.decode(raw)
    if "phase" in data:
        return json_response(msgspec.Raw(raw), status_code)
    data["phase"] = ExecutionPhase.QUEUED.value
    return json_response(data, status_code)


async def read_body(request: Request, tp: type[T]) -> T:
    """Decode the JSON body into ``tp``; anything malformed is a :class:`ValidationError`."""
    body = await request.body()
    if len(body) > MAX_JSON_BYTES:
        raise ValidationError(f"request body larger than {MAX_JSON_BYTES} bytes")
    if not body:
        raise ValidationError("request body is empty: expected a JSON object")
    try:
        return msgspec.json.decode(body, type=tp)
    except msgspec.ValidationError as e:
        raise ValidationError(f"invalid request body: {e}", details={"reason": str(e)}) from None
    except msgspec.DecodeError as e:
        raise ValidationError(f"request body is not valid JSON: {e}") from None
    except RecursionError:  # msgspec's decoder stops at its own depth limit
        raise ValidationError("request body is nested too deeply") from None


def _hook(tp: Any) -> dict[str, Any]:
    """``object`` fields (free-form literals) accept any JSON."""
    if tp is object:
        return {"description": "any JSON value"}
    raise NotImplementedError(tp)


def _ref(tp: Any) -> dict[str, Any]:
    """A schema placeholder for ``tp``, filled by :func:`schema_components` (computing schemas
    costs tens of milliseconds per type, so it waits until the document is asked for)."""
    placeholder: dict[str, Any] = {}
    _types.append((tp, placeholder))
    return placeholder


def doc(
    *, body: Any = None, response: Any = None, status_code: int = 200, raw_body: str = ""
) -> dict[str, Any]:
    """Route decorator arguments documenting a msgspec ``body`` and ``response``."""
    kwargs: dict[str, Any] = {"status_code": status_code, "response_class": Response}
    if body is not None:
        kwargs["openapi_extra"] = {
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(body)}},
            }
        }
    elif raw_body:
        kwargs["openapi_extra"] = {
            "requestBody": {
                "required": True,
                "content": {raw_body: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    if response is not None:
        kwargs["responses"] = {
            status_code: {
                "description": "OK",
                "content": {"application/json": {"schema": _ref(response)}},
            }
        }
    return kwargs


def schema_components() -> dict[str, Any]:
    """Schemas of every type a route declared, for the OpenAPI ``components``; fills the
    placeholders the routes hold."""
    if not _types:
        return {}
    schemas, components = msgspec.json.schema_components(
        [tp for tp, _ in _types], schema_hook=_hook, ref_template=_REF
    )
    for (_, placeholder), schema in zip(_types, schemas, strict=True):
        placeholder.clear()
        placeholder.update(schema)
    return components
