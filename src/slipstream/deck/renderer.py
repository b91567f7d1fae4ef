"""flytekit's ``flytekit.deck.renderer`` (and ``flytekitplugins.deck.renderer``) names."""

from slipstream.sdk import ImageRenderer, MarkdownRenderer, TableRenderer, TopFrameRenderer

__all__ = ["ImageRenderer", "MarkdownRenderer", "TableRenderer", "TopFrameRenderer"]
