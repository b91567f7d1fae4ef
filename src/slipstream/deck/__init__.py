"""flytekit's ``flytekit.deck`` module path: ``Deck`` and the renderers (they live in
:mod:`slipstream.sdk`)."""

from slipstream.sdk import (
    Deck,
    ImageRenderer,
    MarkdownRenderer,
    TableRenderer,
    TopFrameRenderer,
)

__all__ = ["Deck", "ImageRenderer", "MarkdownRenderer", "TableRenderer", "TopFrameRenderer"]
