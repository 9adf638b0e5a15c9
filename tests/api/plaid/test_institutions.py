"""Institutions: get (paging, filters), get_by_id (metadata, status), search."""

from __future__ import annotations

import pytest

from tests.conftest import PlaidClient


def test_institutions_get_count_offset_pages_and_total(plaid: PlaidClient) -> None:
    everything = plaid.ok("/institutions/get", count=500, offset=0, country_codes=["US"])
    total = everything["total"]
    assert total == len(everything["institutions"]) > 3
    first = plaid.ok("/institutions/get", count=2, offset=0, country_codes=["US"])
    second = plaid.ok("/institutions/get", count=2, offset=2, country_codes=["US"])
    assert first["total"] == second["total"] == total
    ids = [i["institution_id"] for i in first["institutions"] + second["institutions"]]
    assert ids == [i["institution_id"] for i in everything["institutions"][:4]]
    past = plaid.ok("/institutions/get", count=10, offset=total, country_codes=["US"])
    assert past["institutions"] == []


def test_institutions_get_country_filter_returns_only_that_country(plaid: PlaidClient) -> None:
    body = plaid.ok("/institutions/get", count=500, offset=0, country_codes=["GB"])
    ids = {i["institution_id"] for i in body["institutions"]}
    assert "ins_117650" in ids and "ins_109508" not in ids
    assert all("GB" in i["country_codes"] for i in body["institutions"])


def test_institutions_get_products_filter_requires_all_products(plaid: PlaidClient) -> None:
    body = plaid.ok(
        "/institutions/get",
        count=500,
        offset=0,
        country_codes=["US"],
        options={"products": ["auth", "identity"]},
    )
    assert body["institutions"]
    assert all({"auth", "identity"} <= set(i["products"]) for i in body["institutions"])


@pytest.mark.parametrize("oauth", [True, False])
def test_institutions_get_oauth_filter_matches_flag(plaid: PlaidClient, oauth: bool) -> None:
    body = plaid.ok(
        "/institutions/get",
        count=500,
        offset=0,
        country_codes=["US", "GB"],
        options={"oauth": oauth},
    )
    assert body["institutions"]
    assert {i["oauth"] for i in body["institutions"]} == {oauth}


def test_institutions_get_routing_numbers_filter(plaid: PlaidClient) -> None:
    body = plaid.ok(
        "/institutions/get",
        count=500,
        offset=0,
        country_codes=["US"],
        options={"routing_numbers": ["011401533"]},
    )
    assert [i["institution_id"] for i in body["institutions"]] == ["ins_109508"]


def test_institutions_get_optional_metadata_only_when_asked(plaid: PlaidClient) -> None:
    plain = plaid.ok("/institutions/get", count=1, offset=0, country_codes=["US"])
    assert "logo" not in plain["institutions"][0] and "url" not in plain["institutions"][0]
    rich = plaid.ok(
        "/institutions/get",
        count=1,
        offset=0,
        country_codes=["US"],
        options={"include_optional_metadata": True},
    )
    institution = rich["institutions"][0]
    assert {"url", "primary_color", "logo"} <= set(institution)
    assert institution["primary_color"] is None or institution["primary_color"].startswith("#")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"count": 0, "offset": 0, "country_codes": ["US"]}, "INVALID_FIELD", "count"),
        ({"count": 501, "offset": 0, "country_codes": ["US"]}, "INVALID_FIELD", "count"),
        ({"count": 1, "offset": -1, "country_codes": ["US"]}, "INVALID_FIELD", "offset"),
        ({"count": 1, "offset": 0, "country_codes": []}, "INVALID_FIELD", "country_codes"),
        ({"count": 1, "offset": 0, "country_codes": ["XX"]}, "INVALID_FIELD", "country_codes"),
        ({"count": 1, "offset": 0}, "MISSING_FIELDS", "country_codes"),
        ({"offset": 0, "country_codes": ["US"]}, "MISSING_FIELDS", "count"),
    ],
)
def test_institutions_get_bad_request_names_the_field(
    plaid: PlaidClient, body: dict[str, object], code: str, field: str
) -> None:
    error = plaid.error("/institutions/get", **body)
    assert (error["error_type"], error["error_code"]) == ("INVALID_REQUEST", code)
    assert field in error["error_message"]


def test_institutions_get_by_id_returns_the_institution(plaid: PlaidClient) -> None:
    body = plaid.ok("/institutions/get_by_id", institution_id="ins_109508", country_codes=["US"])
    institution = body["institution"]
    assert institution["name"] == "First Platypus Bank"
    assert institution["oauth"] is False
    assert "transactions" in institution["products"]
    assert "status" not in institution and "logo" not in institution


def test_institution_dtc_numbers_are_the_ones_investments_auth_gives(plaid: PlaidClient) -> None:
    """An app checks the ACATS DTC number against the bank's ``dtc_numbers``: a bank with
    Investments lists it, one without lists none."""

    def dtc_numbers(institution_id: str) -> list[str]:
        body = plaid.ok(
            "/institutions/get_by_id", institution_id=institution_id, country_codes=["US"]
        )
        return list(body["institution"]["dtc_numbers"])

    token = plaid.link_item(products=("investments_auth",))
    acats = plaid.ok("/investments/auth/get", access_token=token)["numbers"]["acats"]
    assert acats and all(a["dtc_numbers"] == dtc_numbers("ins_109508") for a in acats)
    assert dtc_numbers("ins_109512") == []  # Houndstooth: no Investments


def test_institutions_get_by_id_include_status_and_metadata(plaid: PlaidClient) -> None:
    body = plaid.ok(
        "/institutions/get_by_id",
        institution_id="ins_109508",
        country_codes=["US"],
        options={"include_status": True, "include_optional_metadata": True},
    )
    institution = body["institution"]
    assert institution["status"]["item_logins"]["status"] == "HEALTHY"
    assert institution["status"]["transactions_updates"]["breakdown"]["success"] > 0.9
    assert institution["url"] and institution["logo"]


def test_institutions_get_by_id_unhealthy_bank_reports_down(plaid: PlaidClient) -> None:
    body = plaid.ok(
        "/institutions/get_by_id",
        institution_id="ins_132361",
        country_codes=["US"],
        options={"include_status": True},
    )
    assert body["institution"]["status"]["item_logins"]["status"] == "DOWN"


def test_institutions_get_by_id_unknown_id_is_invalid_institution(plaid: PlaidClient) -> None:
    error = plaid.error(
        "/institutions/get_by_id", institution_id="ins_999999999", country_codes=["US"]
    )
    assert (error["error_type"], error["error_code"]) == ("INVALID_INPUT", "INVALID_INSTITUTION")


def test_institutions_get_by_id_country_mismatch_is_invalid_institution(plaid: PlaidClient) -> None:
    error = plaid.error(
        "/institutions/get_by_id", institution_id="ins_117650", country_codes=["US"]
    )
    assert error["error_code"] == "INVALID_INSTITUTION"
    assert (
        plaid.ok("/institutions/get_by_id", institution_id="ins_117650", country_codes=["GB"])[
            "institution"
        ]["oauth"]
        is True
    )


def test_institutions_search_matches_name_case_insensitively(plaid: PlaidClient) -> None:
    body = plaid.ok("/institutions/search", query="platypus", country_codes=["US"])
    names = [i["name"] for i in body["institutions"]]
    assert "First Platypus Bank" in names
    assert all("platypus" in n.lower() for n in names)
    assert "total" not in body


def test_institutions_search_no_match_returns_empty_list(plaid: PlaidClient) -> None:
    body = plaid.ok("/institutions/search", query="zzzz no such bank", country_codes=["US"])
    assert body["institutions"] == []


def test_institutions_search_products_and_country_filters(plaid: PlaidClient) -> None:
    body = plaid.ok(
        "/institutions/search", query="Plaid", country_codes=["GB"], products=["transactions"]
    )
    assert body["institutions"]
    for institution in body["institutions"]:
        assert "GB" in institution["country_codes"]
        assert "transactions" in institution["products"]


def test_institutions_search_optional_metadata_when_asked(plaid: PlaidClient) -> None:
    body = plaid.ok(
        "/institutions/search",
        query="Platypus",
        country_codes=["US"],
        options={"include_optional_metadata": True},
    )
    assert all("logo" in i for i in body["institutions"])


METADATA_OPTIONS = {"include_auth_metadata": True, "include_payment_initiation_metadata": True}


def test_auth_and_payment_initiation_metadata_when_asked(plaid: PlaidClient) -> None:
    """The ``include_*_metadata`` options of all three endpoints give the keys plaid-python
    reads (an absent key raises there); Instant Auth where the bank lists ``auth``."""
    replies = {
        "get": plaid.ok(
            "/institutions/get",
            count=500,
            offset=0,
            country_codes=["US", "GB"],
            options=METADATA_OPTIONS,
        )["institutions"],
        "get_by_id": [
            plaid.ok(
                "/institutions/get_by_id",
                institution_id="ins_109508",
                country_codes=["US"],
                options=METADATA_OPTIONS,
            )["institution"]
        ],
        "search": plaid.ok(
            "/institutions/search",
            query="Bank",
            country_codes=["US", "GB"],
            options=METADATA_OPTIONS,
        )["institutions"],
    }
    for endpoint, found in replies.items():
        assert found, endpoint
        for institution in found:
            methods = institution["auth_metadata"]["supported_methods"]
            assert methods == {
                "instant_auth": "auth" in institution["products"],
                "instant_match": institution["institution_id"] == "ins_109512",
                "automated_micro_deposits": "US" in institution["country_codes"],
                "instant_micro_deposits": institution["institution_id"] == "ins_135858",
            }, (endpoint, institution["institution_id"])
            assert institution["payment_initiation_metadata"] is None
    platypus = replies["get_by_id"][0]
    assert platypus["auth_metadata"]["supported_methods"]["instant_auth"] is True
    assert {"GB"} <= {c for i in replies["get"] for c in i["country_codes"]}
    plain = plaid.ok("/institutions/get_by_id", institution_id="ins_109508", country_codes=["US"])
    assert "auth_metadata" not in plain["institution"]
    assert "payment_initiation_metadata" not in plain["institution"]


@pytest.mark.parametrize("institution_id", ["ins_109512", "ins_135858"])
def test_instant_match_and_instant_micro_deposits_banks_serve_auth_by_instant_auth(
    plaid: PlaidClient, institution_id: str
) -> None:
    """Houndstooth (Instant Match) and Windowpane (Instant Micro-deposits) list ``auth``, as
    seeds/README.md says: an item made without Link's panes gets its numbers by Instant
    Auth. ``auth_metadata`` also offers Windowpane's Instant Micro-deposits and
    Houndstooth's Instant Match (typed numbers, in Link)."""
    institution = plaid.ok(
        "/institutions/get_by_id",
        institution_id=institution_id,
        country_codes=["US"],
        options=METADATA_OPTIONS,
    )["institution"]
    assert "auth" in institution["products"]
    methods = institution["auth_metadata"]["supported_methods"]
    assert methods["instant_auth"] is True
    assert methods["instant_match"] is (institution_id == "ins_109512")
    assert methods["instant_micro_deposits"] is (institution_id == "ins_135858")
    token = plaid.link_item(institution_id, products=("auth",))
    assert plaid.ok("/auth/get", access_token=token)["numbers"]["ach"]
    assert plaid.ok("/item/get", access_token=token)["item"]["auth_method"] == "INSTANT_AUTH"


def test_institutions_search_empty_query_is_invalid_field(plaid: PlaidClient) -> None:
    error = plaid.error("/institutions/search", query="", country_codes=["US"])
    assert error["error_code"] == "INVALID_FIELD" and "query" in error["error_message"]
