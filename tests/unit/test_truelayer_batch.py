"""A batch's body read without HTTP: TrueLayer's ``BatchRequest`` fields, their defaults, the
whitelist's filter, the scopes it adds, and each bad field refused naming it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sandbox.core import errors
from sandbox.core.models import Account
from sandbox.core.webhooks.egress import EgressPolicy
from sandbox.truelayer.batch import BatchRequest, parse, results
from sandbox.truelayer.days import day_of

ANYWHERE = EgressPolicy()  # the default: any host but link-local and metadata addresses


def test_a_full_body_is_read_field_by_field() -> None:
    asked = parse(
        {
            "from": "2020-01-01",
            "to": "2020-07-01T23:00:00-05:00",
            "pending": True,
            "balance": True,
            "webhook_uri": "https://receiver.test/hook",
            "account_ids_whitelist": ["a1", "c1"],
        },
        ANYWHERE,
    )
    assert asked == BatchRequest(
        start=dt.date(2020, 1, 1),
        end=dt.date(2020, 7, 2),  # 23:00 at UTC-5 is the 2nd in UTC, as for a query's ``to``
        pending=True,
        balance=True,
        webhook_uri="https://receiver.test/hook",
        whitelist=frozenset({"a1", "c1"}),
    )
    assert asked.scopes == ("balance",)


def test_every_field_may_be_left_out_or_null() -> None:
    expected = BatchRequest(None, None, False, False, None, frozenset())
    assert parse({}, ANYWHERE) == expected
    blank = dict.fromkeys(("from", "to", "pending", "balance", "webhook_uri"))
    assert parse(blank, ANYWHERE) == expected
    assert parse({}, ANYWHERE).scopes == ()


def test_the_whitelist_filters_and_an_empty_one_lets_all_through() -> None:
    accounts = [Account(id="a1"), Account(id="a2"), Account(id="c1")]
    chosen = parse({"account_ids_whitelist": ["c1", "a1", "elsewhere"]}, ANYWHERE).chosen(accounts)
    assert [a.id for a in chosen] == ["a1", "c1"]  # the connection's order, unknown ids unmatched
    assert parse({"account_ids_whitelist": []}, ANYWHERE).chosen(accounts) == accounts


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        ([], errors.InvalidBody, "body"),
        (None, errors.InvalidBody, "body"),
        ({"from": 1}, errors.InvalidField, "from"),
        ({"to": "01/07/2020"}, errors.InvalidDateRange, "to"),
        ({"pending": "true"}, errors.InvalidField, "pending"),
        ({"balance": 0}, errors.InvalidField, "balance"),
        ({"webhook_uri": "/relative"}, errors.InvalidField, "webhook_uri"),
        ({"account_ids_whitelist": {"a1": True}}, errors.InvalidField, "account_ids_whitelist"),
        ({"account_ids_whitelist": [""]}, errors.InvalidField, "account_ids_whitelist"),
    ],
)
def test_a_bad_field_is_refused_naming_it(
    body: Any, error: type[errors.CoreError], field: str
) -> None:
    with pytest.raises(error) as refused:
        parse(body, ANYWHERE)
    assert type(refused.value) is error and refused.value.detail["field"] == field


def test_the_results_frame_is_truelayers_batch_results() -> None:
    window = (dt.date(2020, 1, 1), dt.date(2020, 7, 1))
    assert results("t-1", window, [{"account_id": "a1"}], []) == {
        "status": "Succeeded",
        "task_id": "t-1",
        "request": {"from": "2020-01-01T00:00:00+00:00", "to": "2020-07-01T00:00:00+00:00"},
        "results": {"accounts": [{"account_id": "a1"}], "cards": []},
    }


def test_a_day_reads_a_date_or_a_date_time_on_its_utc_day() -> None:
    assert day_of("from", None) is None and day_of("from", "") is None
    assert day_of("from", "2026-03-09") == dt.date(2026, 3, 9)
    assert day_of("to", "2026-03-09T23:00:00-05:00") == dt.date(2026, 3, 10)
    assert day_of("to", "2026-03-09T23:00:00Z") == dt.date(2026, 3, 9)


@pytest.mark.parametrize(
    "uri", ["http://[::1/hook", "http://127.0.0.1:99999/hook", "http://169.254.169.254/"]
)
def test_a_webhook_uri_that_can_never_be_called_is_refused_naming_it(uri: str) -> None:
    with pytest.raises(errors.InvalidField) as refused:
        parse({"webhook_uri": uri}, ANYWHERE)
    assert refused.value.detail["field"] == "webhook_uri"
