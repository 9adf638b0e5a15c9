"""Web pages: the hosted Link pages, the banks' OAuth servers, the dashboard, the home page
and error pages for every path.

Importing the package registers the page modules on ``bp`` (``blueprint.py``), which they
import directly, so no import points back up to this package.
"""

from __future__ import annotations

from . import dashboard, link, link_embed, marks, oauth, pages, statements
from .blueprint import bp, claim_error_format, register_error_pages

__all__ = [
    "bp",
    "claim_error_format",
    "dashboard",
    "link",
    "link_embed",
    "marks",
    "oauth",
    "pages",
    "register_error_pages",
    "statements",
]
