"""Plaid's binary replies (PDFs) carry the request id in the ``Plaid-Request-ID`` header.

Plaid's document says so of every PDF endpoint: with no JSON body there is no
``request_id`` key, and support asks for the id all the same.
"""

from __future__ import annotations

import re

from tests.conftest import PlaidClient

REQUEST_ID = re.compile(r"[0-9A-Za-z]{15}")


def _request_ids(plaid: PlaidClient, path: str, **body: str) -> list[str]:
    """The ``Plaid-Request-ID`` of two calls of ``path``: each a fresh id of Plaid's form."""
    found = []
    for _ in range(2):
        reply = plaid.post(path, **body)
        assert reply.status_code == 200 and reply.data.startswith(b"%PDF-")
        found.append(reply.headers.get("Plaid-Request-ID", ""))
    assert all(REQUEST_ID.fullmatch(value) for value in found), found
    assert found[0] != found[1]
    return found


def test_statements_download_carries_the_request_id_header(plaid: PlaidClient) -> None:
    token = plaid.link_item("ins_109508")
    listed = plaid.ok("/statements/list", access_token=token)
    statement_id = listed["accounts"][0]["statements"][0]["statement_id"]
    _request_ids(plaid, "/statements/download", access_token=token, statement_id=statement_id)


def test_asset_report_and_audit_copy_pdfs_carry_the_request_id_header(
    plaid: PlaidClient,
) -> None:
    token = plaid.link_item(products=("transactions", "assets"))
    report = plaid.ok("/asset_report/create", access_tokens=[token], days_requested=30)
    report_token = report["asset_report_token"]
    _request_ids(plaid, "/asset_report/pdf/get", asset_report_token=report_token)
    copy = plaid.ok(
        "/asset_report/audit_copy/create", asset_report_token=report_token, auditor_id="fannie_mae"
    )
    _request_ids(
        plaid, "/asset_report/audit_copy/pdf/get", audit_copy_token=copy["audit_copy_token"]
    )
