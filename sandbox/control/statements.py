"""Statement files through the control API: the same downloads as the banks' Statements pages.

- ``GET /control/items/<item_id>/statements``: monthly statements per account, formats, layouts
- ``GET /control/items/<item_id>/statements/<statement_id>``: one monthly statement (PDF)
- ``GET /control/items/<item_id>/accounts/<account_id>/export?start=&end=&format=&layout=``:
  posted activity as CSV, OFX, OFX 2, QFX or PDF
"""

from __future__ import annotations

import datetime as dt

from flask import Response, g, jsonify, request

from ..core.bank import Bank, Download
from .balances import date_arg
from .blueprint import bp
from .routes import item_in_path

DEFAULT_DAYS = 30


def days_before(day: dt.date, days: int) -> dt.date:
    """``day`` minus ``days``, or the first representable date (a default never overflows)."""
    return day - dt.timedelta(days=days) if day.toordinal() > days else dt.date.min


def file_response(found: Download) -> Response:
    """A download: the file's bytes, media type and name (the bank pages send the same)."""
    response = Response(found.body, mimetype=found.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


@bp.get("/items/<item_id>/statements")
def item_statements(item_id: str) -> Response:
    """The item's monthly statements, and what ``export`` accepts."""
    bank: Bank = g.bank
    item = item_in_path(item_id)
    return jsonify(
        item_id=item.id,
        formats=sorted(bank.statements.formats),
        layouts=bank.statements.layouts,
        accounts=[
            {
                "account_id": account.id,
                "mask": account.mask,
                "statements": [
                    {
                        "statement_id": s.statement_id,
                        "year": s.year,
                        "month": s.month,
                        "start": s.start.isoformat(),
                        "end": s.end.isoformat(),
                    }
                    for s in monthly
                ],
            }
            for account, monthly in bank.statements.listing(item)
        ],
    )


@bp.get("/items/<item_id>/statements/<statement_id>")
def item_statement(item_id: str, statement_id: str) -> Response:
    """One monthly statement as PDF."""
    bank: Bank = g.bank
    return file_response(bank.statements.statement(item_in_path(item_id), statement_id))


@bp.get("/items/<item_id>/accounts/<account_id>/export")
def account_export(item_id: str, account_id: str) -> Response:
    """An account's posted activity between ``start`` and ``end`` as a file."""
    bank: Bank = g.bank
    item = item_in_path(item_id)
    end = date_arg("end", bank.clock.today())
    start = date_arg("start", days_before(end, DEFAULT_DAYS - 1))
    fmt = request.args.get("format", "csv")
    found = bank.statements.export(item, account_id, start, end, fmt, request.args.get("layout"))
    return file_response(found)
