"""flytekit's ``StructuredDatasetTransformerEngine``: the facade that registers dataset handlers on
the process-wide registry, and makes the default type engine take a registered type as a dataset.
"""

from __future__ import annotations

from typing import Any

from slipstream.model import Kind

from ._builtins import default_engine
from ._sd_handlers import (
    Handler,
    StructuredDatasetDecoder,
    StructuredDatasetEncoder,
    default_handlers,
    normalize_protocol,
)

__all__ = ["StructuredDatasetTransformerEngine"]

_default = default_handlers()


class StructuredDatasetTransformerEngine:
    """flytekit's facade for registering dataset handlers on the process-wide registry."""

    DEFAULT_FORMATS = _default.default_formats
    DEFAULT_PROTOCOLS = _default.default_protocols
    RENDERERS = _default.renderers

    @classmethod
    def register(
        cls,
        h: Handler,
        default_for_type: bool = False,
        override: bool = False,
        default_format_for_type: bool = False,
        default_storage_for_type: bool = False,
    ) -> None:
        """Register an encoder or decoder (for its own protocol, or every protocol)."""
        cls.register_for_protocol(
            h,
            h.protocol or "",
            default_for_type,
            override,
            default_format_for_type,
            default_storage_for_type,
        )

    @classmethod
    def register_for_protocol(
        cls,
        h: Handler,
        protocol: str,
        default_for_type: bool = False,
        override: bool = False,
        default_format_for_type: bool = False,
        default_storage_for_type: bool = False,
    ) -> None:
        """Register a handler under ``protocol`` (``""``: every protocol)."""
        engine = default_engine()
        tp = h.python_type
        adopt = False
        if tp not in _default.dataset_types:
            try:  # a type nobody else handles (it would be pickled) becomes a dataset type
                adopt = engine.literal_type(tp).kind is Kind.PICKLE
            except Exception:
                adopt = True
        _default.register(
            h,
            protocol=protocol,
            default_for_type=default_for_type,
            override=override,
            default_format_for_type=default_format_for_type,
            default_storage_for_type=default_storage_for_type,
        )
        if adopt:
            _default.dataset_types.add(tp)
        engine.clear_cache()

    @classmethod
    def register_renderer(cls, python_type: type, renderer: Any) -> None:
        """The renderer that shows values of ``python_type`` in decks (``to_html(value)``)."""
        _default.renderers[python_type] = renderer

    @classmethod
    def get_encoder(
        cls, df_type: type, protocol: str, format: str
    ) -> StructuredDatasetEncoder[Any] | None:
        """The registered encoder for a type, protocol and format, or None."""
        return _default.encoder(df_type, normalize_protocol(protocol), format)

    @classmethod
    def get_decoder(
        cls, df_type: type, protocol: str, format: str
    ) -> StructuredDatasetDecoder[Any] | None:
        """The registered decoder for a type, protocol and format, or None."""
        return _default.decoder(df_type, normalize_protocol(protocol), format)
