"""The registry: registration (with its walls: the rule checks a workflow must pass), references,
code bundles (and the spool their bodies stream to), diffs of specs and of sources, promotion.
"""

from ._bundles import BundleStore
from ._promotion import PromotionService
from ._references import check_reference, is_reference
from ._registry import Registry, decode_spec
from ._spool import spool

__all__ = [
    "BundleStore",
    "PromotionService",
    "Registry",
    "check_reference",
    "decode_spec",
    "is_reference",
    "spool",
]
