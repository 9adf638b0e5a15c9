"""Each bank's Statements page: monthly PDF statements and activity downloads per account.

Like online banking's "Statements & documents": pick an account, a date range and a file
type (the bank's own CSV layout, another layout, OFX, QFX, PDF). The page shows the signed-in
dashboard tenant's items at this bank, so the files reconcile with that tenant's API data.

- ``/bank/<institution_id>/statements``: the accounts, their statements and the download form
- ``/bank/<institution_id>/statements/<item_id>/<statement_id>``: one monthly statement (PDF)
- ``/bank/<institution_id>/statements/export``: posted activity as a file (query: item_id,
  account_id, start, end, format, layout)
"""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, render_template, request

from ..control.statements import days_before, file_response
from ..core import institutions
from ..core.bank import live_items
from ..core.errors import InvalidField
from ..core.models import Item
from .blueprint import bp
from .dashboard.session import bank, signed_in

DEFAULT_DAYS = 90


def _items(institution_id: str) -> list[Item]:
    return [
        i for i in live_items(bank().session, bank().tenant) if i.institution_id == institution_id
    ]


def _item(institution_id: str, item_id: str) -> Item:
    item = bank().item_by_id(item_id)
    if item.institution_id != institution_id:
        abort(404)
    return item


def _day(name: str, default: dt.date) -> dt.date:
    raw = request.args.get(name, "").strip()
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        raise InvalidField(f"{name} must be a date (YYYY-MM-DD)", field=name) from None


@bp.get("/bank/<institution_id>/statements")
@signed_in
def bank_statements(institution_id: str) -> str:
    """The accounts at this bank with their statements and the download form."""
    institution = institutions.get(institution_id)
    today = bank().clock.today()
    return render_template(
        "bank/statements.html",
        bank=institution,
        items=[(item, bank().statements.listing(item)) for item in _items(institution_id)],
        formats=bank().statements.formats,
        layouts=bank().statements.layouts,
        start=today - dt.timedelta(days=DEFAULT_DAYS - 1),
        end=today,
    )


@bp.get("/bank/<institution_id>/statements/<item_id>/<statement_id>")
@signed_in
def bank_statement(institution_id: str, item_id: str, statement_id: str) -> Response:
    """One monthly statement as PDF."""
    return file_response(bank().statements.statement(_item(institution_id, item_id), statement_id))


@bp.get("/bank/<institution_id>/statements/export")
@signed_in
def bank_statements_export(institution_id: str) -> Response:
    """An account's activity as a file in the chosen format."""
    item = _item(institution_id, request.args.get("item_id", ""))
    end = _day("end", bank().clock.today())
    start = _day("start", days_before(end, DEFAULT_DAYS - 1))
    found = bank().statements.export(
        item,
        request.args.get("account_id", ""),
        start,
        end,
        request.args.get("format", "csv"),
        request.args.get("layout") or None,
    )
    return file_response(found)
