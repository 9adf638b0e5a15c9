"""Each bank's Statements page: the signed-in tenant's accounts, monthly PDFs and downloads."""

from __future__ import annotations

import re

from sandbox.core import tenants
from tests.api.web.test_dashboard import Dashboard, linked_item
from tests.conftest import PlaidClient


def test_statements_page_lists_accounts_and_serves_pdfs_and_files(
    plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    item_id = linked_item(plaid, institution_id="ins_56")
    dash = Dashboard(plaid.client, tenant_keys)
    assert 'href="/bank/ins_56/statements"' in dash.get(f"/dashboard/items/{item_id}").text
    page = dash.get("/bank/ins_56/statements")
    assert page.status_code == 200
    assert "Statements &amp; downloads" in page.text and "Chase" in page.text
    links = re.findall(rf'href="(/bank/ins_56/statements/{item_id}/stmt-[^"]+)"', page.text)
    assert links, "monthly statements are linked"
    pdf = dash.get(links[0])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    account_id = re.search(r'name="account_id" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    query = f"item_id={item_id}&account_id={account_id}&start=2026-02-01&end=2026-02-28"
    qfx = dash.get(f"/bank/ins_56/statements/export?{query}&format=qfx")
    assert qfx.status_code == 200 and b"<INTU.BID>56" in qfx.data
    chase = dash.get(f"/bank/ins_56/statements/export?{query}&format=csv")
    assert chase.text.startswith("Details,Posting Date,Description,Amount,Type,Balance")


def test_statements_page_needs_a_signed_in_tenant_and_rejects_bad_dates(
    plaid: PlaidClient, tenant_keys: tenants.Keys
) -> None:
    assert plaid.client.get("/bank/ins_56/statements").status_code == 303
    item_id = linked_item(plaid, institution_id="ins_56")
    dash = Dashboard(plaid.client, tenant_keys)
    reply = dash.get(f"/bank/ins_56/statements/export?item_id={item_id}&start=yesterday")
    assert reply.status_code == 400 and "start: must be a date" in reply.text
    assert dash.get(f"/bank/ins_10/statements/{item_id}/stmt-x-202601").status_code == 404
