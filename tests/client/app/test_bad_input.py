"""Bad input to the app API and pages is a 4xx naming what is wrong, never a 500: ids beyond
the store's 64-bit columns in paths, edited cursors, bodies that are not JSON objects,
undecodable passwords, dates at the calendar's edge, and sign-in redirects off the site.
(Each case here answered 500, or redirected off the site, before it was fixed; ids and amounts
beyond the columns in query parameters are in `test_api_transactions`' table of bad ones.)"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from client.app import queries
from client.app.params import transaction_filters
from tests.client.app.conftest import USERS, World, basic
from tests.client.app.test_pages import sign_in_form

pytestmark = pytest.mark.e2e

HUGE = str(2**63)  # one past the largest id a 64-bit column holds


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/connections/{HUGE}",
        f"/api/v1/connections/{HUGE}/sync-runs",
        f"/api/v1/accounts/{2**70}",
        f"/api/v1/accounts/{HUGE}/transactions",
        "/api/v1/connections/%D9%A1",  # an Arabic-Indic one: ids are ASCII digits
    ],
)
def test_ids_no_row_can_have_are_not_found(world: World, path: str) -> None:
    reply = world.get("alice", path)
    assert reply.status_code == 404, reply.json


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", f"/api/v1/connections/{HUGE}"),
        ("DELETE", f"/api/v1/connections/{HUGE}"),
        ("POST", f"/api/v1/connections/{HUGE}/sync"),
        ("POST", f"/api/v1/connections/{HUGE}/repaired"),
    ],
)
def test_an_id_beyond_64_bits_is_not_found_by_any_method(
    world: World, method: str, path: str
) -> None:
    """Refused by the URL converter, such an id made the path's other routes answer 405,
    naming methods that did not include the one sent."""
    headers = {"Content-Type": "application/json", **basic("alice")}
    reply = world.client().open(path, method=method, json={"paused": True}, headers=headers)
    assert reply.status_code == 404, (reply.status_code, reply.headers.get("Allow"))
    assert reply.json["error"]["message"] == "no such connection"  # not "no connection 0"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nope", 404), ("PUT", "/api/v1/providers", 405)],
)
def test_http_errors_carry_the_one_error_shape(
    world: World, method: str, path: str, status: int
) -> None:
    """docs/demo-app.md: errors are one shape, ``{"error": {"code", "message", "field"}}``."""
    reply = world.client().open(path, method=method, headers=basic("alice"))
    assert reply.status_code == status
    assert set(reply.json["error"]) == {"code", "message", "field"}, reply.json


@pytest.mark.parametrize("value", ["yes", "on", "1", 1, 0, "false", None])
def test_paused_is_a_json_boolean(world: World, value: object) -> None:
    """marshmallow's Boolean took "yes", "on", 1 and 0 as well."""
    headers = basic("alice")
    path = f"/api/v1/connections/{world.alice}"
    reply = world.client().patch(path, json={"paused": value}, headers=headers)
    assert reply.status_code == 400 and reply.json["error"]["field"] == "paused", reply.json
    assert world.get("alice", path).json["paused"] is False


@pytest.mark.parametrize("field", ["search", "category"])
def test_a_filter_with_a_nul_is_a_400(world: World, field: str) -> None:
    """SQLite's LIKE stopped at the NUL: ``search=%00zzz`` matched every transaction."""
    reply = world.get("alice", "/api/v1/transactions", **{field: "\x00zzzz"})
    assert reply.status_code == 400 and reply.json["error"]["field"] == field, reply.json


def _forged(sort: str, value: str, last_id: int, **fixed: Any) -> str:
    """A cursor as the API writes them, for `sort` (and `fixed` filters: the per-account
    endpoint's account), with the right fingerprint."""
    fingerprint = queries._fingerprint(transaction_filters({"sort": sort}, **fixed))
    raw = json.dumps({"v": value, "i": last_id, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "value", "last_id"),
    [
        ("amount", "NaN", 1),
        ("amount", "sNaN", 1),
        ("amount", "Infinity", 1),
        ("amount", "1.23456789", 1),
        ("amount", "1e30", 1),
        ("amount", "1e400", 1),
        ("amount", "1E+999999999", 1),
        ("date", "2026-01-01", 2**70),
        ("date", "2026-01-01", 0),
    ],
)
def test_an_edited_cursor_is_refused(world: World, sort: str, value: str, last_id: int) -> None:
    account = _an_account(world)
    for path, fixed in (
        ("/api/v1/transactions", {}),
        (f"/api/v1/accounts/{account}/transactions", {"account_id": account}),
    ):
        cursor = _forged(sort, value, last_id, **fixed)
        reply = world.get("alice", path, sort=sort, cursor=cursor)
        assert reply.status_code == 400, reply.json
        error = reply.json["error"]
        assert (error["code"], error["message"]) == (
            "INVALID_CURSOR",
            "cursor: not a cursor from this API",  # not refused for its filters' fingerprint
        )


def test_a_cursor_of_another_sort_is_refused_for_its_sort(world: World) -> None:
    """Its value is another sort's kind (a date, not an amount): it was refused as no cursor
    of this API's at all."""
    first = world.get("alice", "/api/v1/transactions", limit=3).json["pagination"]["next_cursor"]
    reply = world.get("alice", "/api/v1/transactions", sort="amount", cursor=first)
    assert reply.status_code == 400
    assert "other filters or another sort" in reply.json["error"]["message"], reply.json


def test_a_forged_cursor_that_could_be_real_still_pages(world: World) -> None:
    """The checks refuse only what no row has: a well-formed cursor keeps working."""
    reply = world.get(
        "alice", "/api/v1/transactions", sort="amount", cursor=_forged("amount", "12.5", 1)
    )
    assert reply.status_code == 200, reply.json


def _an_account(world: World) -> int:
    accounts = world.get("alice", "/api/v1/accounts").json["accounts"]
    return int(accounts[0]["id"])


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b'"text"', b"1", b"true", b"1e400", str(2**70).encode(), b"[" * 100_000],
)
def test_a_body_that_is_not_a_json_object_is_a_400_naming_the_body(
    world: World, body: bytes
) -> None:
    headers = {"Content-Type": "application/json", **basic("alice")}
    for method, path in (
        ("POST", "/api/v1/session"),
        ("POST", "/api/v1/connections/complete"),
        ("PATCH", f"/api/v1/connections/{world.alice}"),
    ):
        reply = world.client().open(path, method=method, data=body, headers=headers)
        assert reply.status_code == 400, (path, reply.json)
        assert reply.json["error"]["field"] == "body"


@pytest.mark.parametrize("password", ["\\ud800", "a\\udfffb"])
def test_a_password_with_a_lone_surrogate_is_just_wrong(world: World, password: str) -> None:
    body = '{"username": "alice", "password": "' + password + '"}'  # JSON escapes, as sent
    reply = world.client().post(
        "/api/v1/session", data=body, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 401, reply.json


def test_spending_at_the_calendars_first_day_and_an_empty_period(world: World) -> None:
    first = world.get("alice", "/api/v1/spending", end_date="0001-01-01")
    assert first.status_code == 200, first.json
    assert first.json["start_date"] == "0001-01-01"
    backwards = world.get(
        "alice", "/api/v1/spending", start_date="2026-02-02", end_date="2026-02-01"
    )
    assert backwards.status_code == 400 and backwards.json["error"]["field"] == "start_date"
    future = world.get("alice", "/api/v1/spending", start_date="9999-01-01")  # ends today
    assert future.status_code == 400 and future.json["error"]["field"] == "start_date"


@pytest.mark.parametrize(
    ("target", "lands"),
    [
        ("/%09/evil.example", "/"),
        ("/%0a/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/transactions?sort=amount", "/transactions?sort=amount"),
    ],
)
def test_sign_in_redirects_only_within_the_site(world: World, target: str, lands: str) -> None:
    with world.app.test_client() as browser:
        form = sign_in_form(browser, "alice", USERS["alice"])
        reply = browser.post(f"/signin?next={target}", data=form)
        assert reply.status_code == 302
        assert reply.headers["Location"] == lands


@pytest.mark.parametrize("value", ["\u0661", "+1", " 1", "1\n", "0", HUGE])
def test_an_id_in_the_query_is_ascii_digits_naming_a_row(world: World, value: str) -> None:
    """``int()`` took Arabic-Indic digits, a sign and spaces: an account_id of Arabic-Indic
    one filtered on account 1."""
    for path, name in (
        ("/api/v1/transactions", "account_id"),
        ("/api/v1/accounts", "connection_id"),
        ("/api/v1/spending", "account_id"),
    ):
        reply = world.get("alice", path, **{name: value})
        assert reply.status_code == 400, (path, value, reply.json)
        assert reply.json["error"]["field"] == name


@pytest.mark.parametrize(("state", "status"), [("", 400), ("abc", 403), ("x" * 5000, 403)])
def test_a_missing_or_unknown_state_on_the_link_return_page_is_refused(
    world: World, state: str, status: int
) -> None:
    with world.app.test_client() as browser:
        browser.post("/signin", data=sign_in_form(browser, "alice", USERS["alice"]))
        reply = browser.get(
            "/connections/complete", query_string={"public_token": "x", "state": state}
        )
        assert reply.status_code == status, reply.data
        assert "The bank" not in reply.get_data(as_text=True), "nothing was exchanged"


@pytest.mark.parametrize(
    ("field", "value"),
    [("limit", "\u0661"), ("limit", "\uff11"), ("min_amount", "\uff11"), ("max_amount", "\u0665")],
)
def test_numbers_in_the_query_are_ascii(world: World, field: str, value: str) -> None:
    """``int`` and ``Decimal`` read Arabic-Indic and fullwidth digits: an Arabic-Indic one was a
    limit of 1, as ids already were not."""
    reply = world.get("alice", "/api/v1/transactions", **{field: value})
    assert reply.status_code == 400 and reply.json["error"]["field"] == field, reply.json


def test_a_parameter_given_twice_is_a_400(world: World) -> None:
    """The first value won silently: ``account_id=1&account_id=2`` showed account 1 only."""
    query = f"account_id={world.alice}&account_id={world.alice + 1}"
    reply = world.client().get(f"/api/v1/transactions?{query}", headers=basic("alice"))
    assert reply.status_code == 400 and reply.json["error"]["field"] == "account_id", reply.json


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me",
        "/api/v1/connections",
        "/api/v1/categories",
        "/api/v1/connections/{alice}",
        "/api/v1/connections/{alice}/sync-runs",
    ],
)
def test_endpoints_without_parameters_refuse_any(world: World, path: str) -> None:
    reply = world.get("alice", path.format(alice=world.alice), limit="abc")
    assert reply.status_code == 400 and reply.json["error"]["field"] == "limit", reply.json
    assert "not a parameter" in reply.json["error"]["message"]
