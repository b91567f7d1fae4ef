"""Where the user's code called us: the file and line that compile errors point at."""

from __future__ import annotations

import os
import sys

__all__ = ["caller_location"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def caller_location() -> str:
    """``file.py:LINE`` of the innermost frame outside slipstream itself."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_PACKAGE_DIR):
            return f"{fn}:{f.f_lineno}"
        f = f.f_back  # type: ignore[assignment]
    return ""
