"""``/link/token/create``'s ``institution_data.routing_number``: the bank Link highlights.

Plaid's document: "The routing number of the bank to highlight in Link"; a routing number that
several institutions share highlights none. Hosted Link lists the highlighted bank first, and
``/link/token/get`` echoes the field in its ``metadata``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.plaid.contract import openapi_errors
from tests.conftest import PlaidClient

HOUNDSTOOTH_ROUTING = "112000024"  # ins_109512's, no other bank's


def _create(plaid: PlaidClient, **config: Any) -> dict[str, Any]:
    body = {
        "client_name": "Demo",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "u1"},
        "products": ["transactions"],
        "hosted_link": {"completion_redirect_uri": "http://localhost/done"},
        **config,
    }
    return plaid.post("/link/token/create", **body)


def _banks_listed(plaid: PlaidClient, **config: Any) -> list[str]:
    """The institution ids hosted Link's bank picker lists, in order."""
    token = _create(plaid, **config).get_json()["link_token"]
    page = plaid.client.get(f"/link?token={token}").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    plaid.client.post("/link/consent", data={"csrf_token": csrf[1], "token": token})
    picker = plaid.client.get(f"/link?token={token}").text
    return re.findall(r'name="institution_id" value="([^"]+)"', picker)


def test_institution_data_routing_number_lists_its_bank_first(plaid: PlaidClient) -> None:
    plain = _banks_listed(plaid)
    assert plain[0] != "ins_109512" and "ins_109512" in plain
    highlighted = _banks_listed(plaid, institution_data={"routing_number": HOUNDSTOOTH_ROUTING})
    assert highlighted[0] == "ins_109512"
    assert sorted(highlighted) == sorted(plain)  # the same banks, one moved up


def test_a_routing_number_of_no_listed_bank_highlights_nothing(plaid: PlaidClient) -> None:
    plain = _banks_listed(plaid)
    assert _banks_listed(plaid, institution_data={"routing_number": "011000015"}) == plain


def test_link_token_get_echoes_institution_data(plaid: PlaidClient) -> None:
    data = {"routing_number": HOUNDSTOOTH_ROUTING}
    token = _create(plaid, institution_data=data).get_json()["link_token"]
    got = plaid.ok("/link/token/get", link_token=token)
    assert got["metadata"]["institution_data"] == data
    assert openapi_errors("/link/token/get", got) == []
    plain = _create(plaid).get_json()["link_token"]
    assert "institution_data" not in plaid.ok("/link/token/get", link_token=plain)["metadata"]


@pytest.mark.parametrize("routing", ["12345", "1120000240", "112000025", "11200002A", 112000024])
def test_a_routing_number_no_bank_can_have_is_invalid_field(
    plaid: PlaidClient, routing: Any
) -> None:
    reply = _create(plaid, institution_data={"routing_number": routing})
    error = reply.get_json()
    assert (reply.status_code, error["error_code"]) == (400, "INVALID_FIELD")
    assert error["error_message"].startswith("institution_data.routing_number")
