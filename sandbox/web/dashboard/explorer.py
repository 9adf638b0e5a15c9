"""The dashboard's transactions explorer: ``GET /control/transactions`` as a page.

The filter form is a GET form with the control API's own parameter names, so the page's
address is the query a developer can paste after ``/control/transactions``; the view parses
it with the same function and renders the same reply.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import render_template, request

from ...control.transactions import page_body, parse_query
from ...core import errors, institutions
from ...core.bank import live_items
from ...core.categories import PRIMARIES
from ...extensions import current_session
from ..blueprint import bp
from ..forms import field_message
from .session import bank, signed_in
from .words import category_label


@bp.get("/dashboard/transactions")
@signed_in
def dashboard_transactions() -> str | tuple[str, int]:
    """Every item's transactions with the explorer's filters, sort and cursor pages."""
    try:
        found = page_body(bank().explore_transactions(parse_query(request.args)))
    except errors.CoreError as exc:
        return _page(None, exc), 400
    return _page(found, None)


def _page(found: dict[str, Any] | None, error: errors.CoreError | None) -> str:
    items = live_items(current_session(), bank().tenant)
    args = request.args
    first = {k: v for k, v in args.to_dict().items() if k != "cursor"}
    return render_template(
        "dashboard/transactions.html",
        page=found,
        error_field=error.detail.get("field") if error else None,
        error_message=field_message(error) if error else None,
        args=args,
        items=items,
        item_options=[
            (i.id, f"{institutions.get(i.institution_id).name} · {i.id[:8]}…") for i in items
        ],
        accounts=[
            (institutions.get(item.institution_id).name, account)
            for item in items
            for account in item.accounts
        ],
        category_options=[(p, category_label(p)) for p in PRIMARIES],
        first_args=first,
        next_args={**first, "cursor": found["next_cursor"]} if found else {},
        query_string=urlencode([(k, v) for k, v in args.items(multi=True) if v.strip()]),
    )
