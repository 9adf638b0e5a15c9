"""TrueLayer's one error table: every core error has a documented code with its status, and
each mock user's ``error.<code>`` comes back as exactly that code."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.core import errors
from sandbox.core.users import MOCK_ERRORS
from sandbox.truelayer.errors import AUTH_ERRORS, CODES, envelope, truelayer_error


def _subclasses(cls: type[errors.CoreError]) -> list[type[errors.CoreError]]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


@pytest.mark.parametrize("cls", _subclasses(errors.CoreError), ids=lambda c: c.__name__)
def test_every_core_error_has_a_truelayer_code_with_its_documented_status(
    cls: type[errors.CoreError],
) -> None:
    for auth in (False, True):
        row = truelayer_error(cls(), auth=auth)
        assert row.error in CODES
        if cls not in AUTH_ERRORS:  # the auth server's own statuses (422 extend) aside
            assert row.status == CODES[row.error]


@pytest.mark.parametrize("code", sorted(MOCK_ERRORS))
def test_a_mock_users_error_is_rendered_with_its_own_code(code: str) -> None:
    body, _status = envelope(MOCK_ERRORS[code]())
    assert body["error"] == code


@pytest.mark.parametrize("code", sorted(CODES))
def test_any_truelayer_code_can_be_injected_by_name(code: str) -> None:
    injected = errors.InternalError(f"injected fault: {code}", code=code.upper())
    body, status = envelope(injected)
    assert (body["error"], body["error_description"], status) == (
        code,
        f"injected fault: {code}",
        CODES[code],
    )


def test_an_expired_token_says_when() -> None:
    at = dt.datetime(2026, 3, 16, 16, 30, tzinfo=dt.UTC)
    body, status = envelope(errors.TokenExpired(expired_at=at))
    assert (status, body["error"]) == (401, "invalid_token")
    assert body["error_description"] == "The token expired at '2026-03-16 16:30:00Z'"


def test_a_bad_parameter_is_named() -> None:
    body, status = envelope(errors.InvalidDateRange("from must not be after to", field="from"))
    assert (status, body["error"], body["error_details"]) == (
        400,
        "invalid_date_range",
        {"parameter": "from"},
    )
