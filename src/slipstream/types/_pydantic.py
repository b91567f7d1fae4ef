"""pydantic v2 models: structs of their fields (registered lazily; pydantic is imported only when a
model class already exists, that is when the user imported pydantic)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ._contract import Codec, CodecSource, TypeTransformer
from ._struct_codec import StructCodec, StructField

__all__ = ["PydanticTransformer"]


class PydanticTransformer(TypeTransformer):
    """Subclasses of ``pydantic.BaseModel``; values are rebuilt with ``model_validate``."""

    name = "pydantic"

    def codec(self, python_type: Any, engine: CodecSource) -> Codec | None:
        pydantic = sys.modules.get("pydantic")
        if pydantic is None or not isinstance(python_type, type):
            return None
        if not issubclass(python_type, pydantic.BaseModel) or python_type is pydantic.BaseModel:
            return None
        model: Any = python_type
        fields = []
        aliases: dict[str, str] = {}
        for name, info in model.model_fields.items():
            default: Callable[[], Any] | None = None
            if not info.is_required():
                default = _default_of(info)
            if info.alias and info.alias != name:
                aliases[name] = info.alias
            annotation = info.rebuild_annotation() if info.metadata else info.annotation
            fields.append(StructField(name, engine.codec(annotation), default))

        def build(kwargs: dict[str, Any]) -> Any:
            if aliases:
                kwargs = {aliases.get(k, k): v for k, v in kwargs.items()}
            return model.model_validate(kwargs)

        return StructCodec(python_type, fields, build)


def _default_of(info: Any) -> Callable[[], Any]:
    return lambda: info.get_default(call_default_factory=True)
