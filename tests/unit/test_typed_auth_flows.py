"""Auth's manual flows without HTTP or a database: which flow typed numbers start, the
deposit code's tries, Database Insights' verdicts and evidence (plaid-products.md §5)."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.core import database_auth, microdeposits, users
from sandbox.core.errors import InstantMatchFailed, InvalidField, ProductNotReady
from sandbox.core.link import config as link_config
from sandbox.core.link import typed
from sandbox.core.models import Account, Item

INSTANT = {"instant_microdeposits_enabled": True}
SAME_DAY = {"same_day_microdeposits_enabled": True}
INSIGHTS = {"database_insights_enabled": True}
MATCH = {"database_match_enabled": True}
ACCOUNT = "1111222233330000"


def _route(auth: dict[str, Any], routing: str, account: str = ACCOUNT, name: str | None = None):
    entry = typed.route(auth, routing, account, name)
    return entry.institution_id, entry.typed.status, entry.typed.method, entry.awaits_code


def test_windowpane_routing_starts_instant_micro_deposits_awaiting_the_code() -> None:
    assert _route(INSTANT, "333333334") == (
        "ins_135858",
        "pending_manual_verification",
        "INSTANT_MICRODEPOSITS",
        True,
    )


def test_instant_with_another_banks_routing_falls_to_same_day_when_enabled() -> None:
    """Plaid's guide: any other routing number tests the "upgrade path"."""
    assert _route({**INSTANT, **SAME_DAY}, "110000000") == (
        "ins_109508",
        "pending_manual_verification",
        "SAME_DAY_MICRODEPOSITS",
        False,
    )


def test_instant_alone_refuses_another_banks_routing_naming_the_field() -> None:
    with pytest.raises(InvalidField) as caught:
        typed.route(INSTANT, "110000000", ACCOUNT, None)
    assert caught.value.detail == {"field": "routing_number"}


@pytest.mark.parametrize(
    ("account", "status"),
    [
        ("1111222233331111", "database_insights_pass"),
        ("1111222233333333", "database_insights_pass_with_caution"),
        ("1111222233330000", "database_insights_fail"),
        ("1234", "database_insights_fail"),
    ],
)
def test_database_insights_verdict_follows_the_account_number(account: str, status: str) -> None:
    # Any valid routing number: Windowpane's and First Platypus's both.
    for routing in ("011401533", "053000138"):
        assert _route(INSIGHTS, routing, account) == (
            "ins_109508",
            status,
            "DATABASE_INSIGHTS",
            False,
        )


def test_database_insights_refuses_a_routing_number_failing_the_aba_check() -> None:
    with pytest.raises(InvalidField) as caught:
        typed.route(INSIGHTS, "123456789", "1111222233331111", None)
    assert caught.value.detail == {"field": "routing_number"}


@pytest.mark.parametrize("name", ["John Smith", "  john   SMITH "])
def test_database_match_knows_john_smiths_numbers(name: str) -> None:
    assert _route(MATCH, "110000000", "1111222233331111", name)[1:3] == (
        "database_matched",
        "DATABASE_MATCH",
    )


@pytest.mark.parametrize(
    ("routing", "account", "name"),
    [
        ("110000000", "1111222233331111", "Jane Doe"),
        ("110000000", "1111222233331111", None),
        ("110000000", "1111222233330000", "John Smith"),
        ("011401533", "1111222233331111", "John Smith"),
    ],
)
def test_database_match_falls_to_same_day_otherwise(
    routing: str, account: str, name: str | None
) -> None:
    assert _route(MATCH, routing, account, name)[1:3] == (
        "pending_manual_verification",
        "SAME_DAY_MICRODEPOSITS",
    )


@pytest.mark.parametrize(
    ("routing", "account", "name", "field"),
    [
        ("12345", ACCOUNT, None, "routing_number"),
        ("33333333a", ACCOUNT, None, "routing_number"),
        ("333333334", "123", None, "account_number"),
        ("333333334", "1" * 18, None, "account_number"),
        ("333333334", ACCOUNT, "x" * 101, "verification_name"),
    ],
)
def test_malformed_input_names_the_field(
    routing: str, account: str, name: str | None, field: str
) -> None:
    with pytest.raises(InvalidField) as caught:
        typed.route({**INSTANT, **INSIGHTS}, routing, account, name)
    assert caught.value.detail == {"field": field}


def test_no_manual_flag_offers_no_manual_entry() -> None:
    assert not typed.offers_manual_entry({"automated_microdeposits_enabled": True})
    for flags in (INSTANT, SAME_DAY, INSIGHTS, MATCH):
        assert typed.offers_manual_entry(flags)
    with pytest.raises(InvalidField, match="manual entry is not enabled"):
        typed.route({}, "333333334", ACCOUNT, None)


def test_the_code_is_case_insensitive_and_three_wrong_tries_lock_it() -> None:
    assert microdeposits.check_code(" abc ", 0) == (True, 0)
    assert microdeposits.check_code("XYZ", 0) == (False, 1)
    assert microdeposits.check_code("XYZ", 2) == (False, 3)
    assert microdeposits.check_code("ABC", 3) == (False, 3)  # locked: too late


def test_pass_insights_show_the_network_match_and_the_name_score() -> None:
    assert database_auth.verification_insights("database_insights_pass", "John Smith") == {
        "name_match_score": 100,
        "network_status": {"has_numbers_match": True, "is_numbers_match_verified": True},
        "previous_returns": {"has_previous_administrative_return": False},
        "account_number_format": "valid",
    }
    other = database_auth.verification_insights("database_insights_pass", "Jane Doe")
    assert other is not None and other["name_match_score"] == 0
    unnamed = database_auth.verification_insights("database_insights_pass", None)
    assert unnamed is not None and unnamed["name_match_score"] is None


@pytest.mark.parametrize(
    ("status", "number_format"),
    [("database_insights_pass_with_caution", "valid"), ("database_insights_fail", "invalid")],
)
def test_unmatched_insights_have_no_name_score(status: str, number_format: str) -> None:
    found = database_auth.verification_insights(status, "John Smith")
    assert found == {
        "name_match_score": None,
        "network_status": {"has_numbers_match": False, "is_numbers_match_verified": False},
        "previous_returns": {"has_previous_administrative_return": False},
        "account_number_format": number_format,
    }


@pytest.mark.parametrize(
    "status", [None, "manually_verified", "database_matched", "pending_manual_verification"]
)
def test_only_database_insights_accounts_have_insights(status: str | None) -> None:
    assert database_auth.verification_insights(status, "John Smith") is None


@pytest.mark.parametrize("status", database_auth.STATUSES)
def test_database_accounts_are_typed_by_hand_and_release_their_numbers(status: str) -> None:
    accounts = [Account(id="acc0", subtype="checking", details={})]
    item = Item(accounts=accounts)
    microdeposits.start(item, status, "DATABASE_INSIGHTS", "John Smith")
    assert (accounts[0].auth_method, accounts[0].verification_name) == (
        "DATABASE_INSIGHTS",
        "John Smith",
    )
    assert microdeposits.typed_by_hand(accounts)
    microdeposits.check_verified(accounts)  # no PRODUCT_NOT_READY


def test_a_locked_instant_or_same_day_account_releases_no_numbers() -> None:
    accounts = [Account(id="acc0", subtype="checking", details={})]
    microdeposits.start(Item(accounts=accounts), microdeposits.FAILED, microdeposits.INSTANT)
    with pytest.raises(ProductNotReady):
        microdeposits.check_verified(accounts)


@pytest.mark.parametrize("flag", [*typed.MANUAL_FLAGS, "automated_microdeposits_enabled"])
def test_a_verification_flag_needs_auth_or_transfer_among_the_products(flag: str) -> None:
    with pytest.raises(InvalidField) as caught:
        link_config.check_micro_deposits({flag: True}, ["US"], {"transactions"})
    assert caught.value.detail == {"field": f"auth.{flag}"}
    link_config.check_micro_deposits({flag: True}, ["US"], {"transactions", "auth"})
    link_config.check_micro_deposits({flag: True}, ["US"], {"transfer"})
    link_config.check_micro_deposits({flag: False}, ["US"], {"transactions"})


@pytest.mark.parametrize(
    ("institution", "branch", "account", "status"),
    [
        ("110", "11111", "11223311", database_auth.PASS),
        ("110", "11111", "11223333", database_auth.CAUTION),
        ("110", "11111", "1122331100", database_auth.FAIL),
        ("110", "11112", "11223311", database_auth.FAIL),
        ("111", "11111", "11223311", database_auth.FAIL),
    ],
)
def test_canadian_insights_verdict_needs_the_known_branch_and_account(
    institution: str, branch: str, account: str, status: str
) -> None:
    entry = typed.route_eft(INSIGHTS, institution, branch, account, None)
    assert (entry.institution_id, entry.typed.status, entry.typed.method) == (
        typed.EFT_ENTRY_INSTITUTION,
        status,
        database_auth.INSIGHTS_METHOD,
    )
    assert not entry.awaits_code


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        (("11", "11111", "11223311"), "institution_number"),
        (("1100", "11111", "11223311"), "institution_number"),
        (("110", "1111", "11223311"), "branch_number"),
        (("110", "1111x", "11223311"), "branch_number"),
        (("110", "11111", "112233"), "account_number"),
        (("110", "11111", "1122331122334"), "account_number"),
    ],
)
def test_malformed_canadian_numbers_name_the_field(
    numbers: tuple[str, str, str], field: str
) -> None:
    with pytest.raises(InvalidField) as caught:
        typed.route_eft(INSIGHTS, *numbers, None)
    assert caught.value.detail == {"field": field}


def test_canadian_entry_needs_database_insights() -> None:
    with pytest.raises(InvalidField):
        typed.route_eft(SAME_DAY, "110", "11111", "11223311", None)


@pytest.mark.parametrize("flag", typed.MANUAL_FLAGS)
def test_only_database_insights_may_be_offered_to_a_canada_only_link(flag: str) -> None:
    def check(countries: list[str]) -> None:
        link_config.check_micro_deposits({flag: True}, countries, {"auth"})

    for refused in (["US", "CA"], ["GB"]):
        with pytest.raises(InvalidField):
            check(refused)
    if flag == database_auth.INSIGHTS_FLAG:
        check(["CA"])
    else:
        with pytest.raises(InvalidField):
            check(["CA"])


# -- Instant Match -----------------------------------------------------------------------------

SAVING_ROUTING, SAVING_ACCOUNT = "021000021", "1111222233331111"


def test_instant_match_takes_plaids_numbers_for_plaid_saving() -> None:
    typed.instant_match(SAVING_ROUTING, SAVING_ACCOUNT, "Plaid Saving", "1111")  # no raise


def test_the_account_instant_match_verifies_ends_in_its_test_numbers() -> None:
    """``typed.instant_match`` checks only the numbers: Link asks for them for
    ``user_good``'s first savings account alone, whose mask must be their last four."""
    recipe = users.persona(users.personas()["users"]["user_good"])
    target = next(a for a in recipe["accounts"] if a["subtype"] == typed.INSTANT_MATCH_SUBTYPE)
    assert target["mask"] == typed.INSTANT_MATCH_ACCOUNT[-4:] == SAVING_ACCOUNT[-4:]


@pytest.mark.parametrize(
    ("routing", "account", "mask", "field"),
    [
        ("110000000", SAVING_ACCOUNT, "1111", "routing_number"),
        (SAVING_ROUTING, "1111222233330000", "1111", "account_number"),
    ],
)
def test_numbers_that_do_not_match_fail_naming_the_field(
    routing: str, account: str, mask: str, field: str
) -> None:
    with pytest.raises(InstantMatchFailed) as failed:
        typed.instant_match(routing, account, "Plaid Saving", mask)
    assert failed.value.condition == "INSTANT_MATCH_FAILED"
    assert failed.value.detail["field"] == field
    assert failed.value.message == f"{field} does not match Plaid Saving ••{mask}"


@pytest.mark.parametrize(
    ("routing", "account", "field"),
    [("02100002", SAVING_ACCOUNT, "routing_number"), (SAVING_ROUTING, "111", "account_number")],
)
def test_malformed_instant_match_numbers_are_invalid_field(
    routing: str, account: str, field: str
) -> None:
    with pytest.raises(InvalidField) as failed:
        typed.instant_match(routing, account, "Plaid Saving", "1111")
    assert failed.value.detail["field"] == field


@pytest.mark.parametrize(
    ("auth", "products", "bank_method", "offered"),
    [
        ({}, ["auth"], "INSTANT_MATCH", True),  # the flag is on unless turned off
        ({"instant_match_enabled": True}, ["transactions", "auth"], "INSTANT_MATCH", True),
        ({"instant_match_enabled": False}, ["auth"], "INSTANT_MATCH", False),
        ({}, ["transactions"], "INSTANT_MATCH", False),
        ({}, ["auth"], "INSTANT_MICRODEPOSITS", False),
        ({}, ["auth"], None, False),
    ],
)
def test_instant_match_is_offered_at_its_bank_to_auth_unless_turned_off(
    auth: dict[str, Any], products: list[str], bank_method: str | None, offered: bool
) -> None:
    assert typed.offers_instant_match(auth, products, bank_method) is offered


def test_instant_match_marks_only_the_matched_account() -> None:
    item = Item(accounts=[Account(ordinal=0, subtype="checking"), Account(ordinal=1)])
    microdeposits.match_instantly(item, 1)
    assert [a.auth_method for a in item.accounts] == [None, "INSTANT_MATCH"]
    assert [a.verification_status for a in item.accounts] == [None, None]
    assert microdeposits.auth_method(["auth"], "INSTANT_MATCH") == "INSTANT_MATCH"
