"""The web console under ``/console``: server-rendered pages (Jinja2) made live with htmx, the
workflow graph laid out in the browser by dagre (both vendored in ``static/``, see
``static/VENDORED.json``; there is no front-end build).

It reads through the same services as the API and never imports the engine or the API.
"""

from fastapi import APIRouter

from . import _actions, _clusters_page, _execution_pages, _lineage_panel, _pages

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(_pages.router)
router.include_router(_execution_pages.router)
router.include_router(_actions.router)
router.include_router(_lineage_panel.router)
router.include_router(_clusters_page.router)
