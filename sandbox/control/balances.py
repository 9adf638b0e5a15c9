"""``GET /control/items/<item_id>/balances``: daily balance snapshots per account, for charts."""

from __future__ import annotations

import datetime as dt

from flask import Response, g, jsonify, request
from marshmallow import RAISE, Schema, fields, validate

from ..core.bank import Bank
from ..core.errors import InvalidAccountId, InvalidField
from ..plaid.responses import money
from .blueprint import bp
from .routes import item_in_path, load_args

DEFAULT_DAYS = 90


def date_arg(name: str, default: dt.date) -> dt.date:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidField(f"{name} must be a date (YYYY-MM-DD)", field=name) from None


class BalancesQuery(Schema):
    """The query string; unknown parameters are refused, naming them (dates: ``date_arg``)."""

    class Meta:
        unknown = RAISE

    start = fields.String()
    end = fields.String()
    account_id = fields.List(fields.String(validate=validate.Length(1, 64)))


@bp.get("/items/<item_id>/balances")
def item_balances(item_id: str) -> Response:
    """End-of-day ``current`` balances of an item's accounts between ``start`` and ``end``."""
    query = load_args(BalancesQuery(), lists=("account_id",))
    bank: Bank = g.bank
    item = item_in_path(item_id)
    today = bank.clock.today()
    end = min(date_arg("end", today), today)
    # (from the history's start at the earliest: ``end`` may be 0001-01-01, and 89 days
    # before it is no date)
    default_start = max(end, item.history_start) - dt.timedelta(days=DEFAULT_DAYS - 1)
    start = max(date_arg("start", default_start), item.history_start)
    wanted = query.get("account_id", [])
    if unknown := sorted(set(wanted) - {a.id for a in item.accounts}):
        raise InvalidAccountId(f"no account {unknown[0]} in item {item.id}", field="account_id")
    accounts = [a for a in item.accounts if not wanted or a.id in wanted]
    series = bank.balance_history(item, accounts, start, end)
    return jsonify(
        item_id=item.id,
        start=start.isoformat(),
        end=end.isoformat(),
        accounts=[
            {
                "account_id": s.account.id,
                "name": s.account.name,
                "type": s.account.type,
                "subtype": s.account.subtype,
                "iso_currency_code": s.account.currency,
                "balances": [{"date": d.isoformat(), "current": money(v)} for d, v in s.points],
            }
            for s in series
        ],
    )
