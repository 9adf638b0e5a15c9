"""Plaid's Statements: ``/statements/list``, ``/statements/download``, ``/statements/refresh``.

The PDFs are the banks' own monthly statements (the same bytes the bank's Statements page
serves). ``/statements/refresh`` finishes at once and queues
``STATEMENTS``/``STATEMENTS_REFRESH_COMPLETE``.
"""

from __future__ import annotations

import hashlib

from flask import Response

from . import requests
from .auth import current_bank
from .blueprint import bp
from .views import file_reply, load, reply


@bp.post("/statements/list")
def statements_list() -> Response:
    """Every statement of the item's depository and card accounts."""
    req = load(requests.AccessTokenRequest)
    bank = current_bank()
    item = bank.statements_item(req["access_token"])
    institution = bank.institution_of(item)
    return reply(
        item_id=item.id,
        institution_id=institution.institution_id,
        institution_name=institution.name,
        accounts=[
            {
                "account_id": account.id,
                "account_mask": account.mask,
                "account_name": account.name,
                # the SDK rejects a null official name
                "account_official_name": account.official_name or account.name,
                "account_type": account.type,
                "account_subtype": account.subtype,
                "statements": [
                    {
                        "statement_id": s.statement_id,
                        "month": s.month,
                        "year": s.year,
                        "date_posted": s.date_posted.isoformat(),
                    }
                    for s in monthly
                ],
            }
            for account, monthly in bank.statements.listing(item)
        ],
    )


@bp.post("/statements/download")
def statements_download() -> Response:
    """One statement as PDF, with its SHA-256 in ``Plaid-Content-Hash`` and the request id
    in ``Plaid-Request-ID``."""
    req = load(requests.StatementsDownloadRequest)
    bank = current_bank()
    found = bank.statements.statement(
        bank.statements_item(req["access_token"]), req["statement_id"]
    )
    return file_reply(
        found.body,
        found.media_type,
        **{
            "Plaid-Content-Hash": hashlib.sha256(found.body).hexdigest(),
            "Content-Disposition": f'attachment; filename="{found.filename}"',
        },
    )


@bp.post("/statements/refresh")
def statements_refresh() -> Response:
    """Fetch statements for a date range again; the webhook reports completion."""
    req = load(requests.StatementsRefreshRequest)
    bank = current_bank()
    item = bank.statements_item(req["access_token"])
    bank.statements.refresh(item)
    return reply()
