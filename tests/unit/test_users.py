"""Test credentials select personas, MFA challenges and errors."""

from __future__ import annotations

import pytest

from sandbox.core import errors, users


def test_check_credentials_user_good_selects_classic_persona() -> None:
    login = users.check_credentials("user_good", "pass_good")
    assert (login.persona, login.mfa) == ("classic", None)


@pytest.mark.parametrize(
    ("password", "kind", "expected"),
    [
        ("mfa_device", "device", ["1234"]),
        ("mfa_questions_2_1", "questions", ["answer_0_0"]),
        ("mfa_selections", "selections", ["Yes"]),
    ],
)
def test_check_credentials_mfa_passwords_ask_for_a_challenge(
    password: str, kind: str, expected: list[str]
) -> None:
    mfa = users.check_credentials("user_good", password).mfa
    assert mfa is not None and mfa.kind == kind
    assert mfa.expected(0) == expected


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("error_ITEM_LOCKED", errors.ItemLocked),
        ("error_INSTITUTION_NOT_RESPONDING", errors.InstitutionNotResponding),
        ("error_NOT_A_REAL_CODE", errors.InvalidCredentials),
        ("pass_bad", errors.InvalidCredentials),
        ("mfa_questions_2_1\n", errors.InvalidCredentials),  # ``$`` matched before a newline
        ("mfa_selections\n", errors.InvalidCredentials),
        ("mfa_questions_\u0662_1", errors.InvalidCredentials),  # ``\d`` took Arabic-Indic digits
    ],
)
def test_check_credentials_error_passwords_raise_their_error(
    password: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        users.check_credentials("user_good", password)


def test_check_credentials_custom_user_reads_json_password() -> None:
    login = users.check_credentials(
        "user_custom", '{"override_accounts": [{"type": "depository"}]}'
    )
    assert login.custom == {"override_accounts": [{"type": "depository"}]}


def test_check_credentials_custom_user_force_error() -> None:
    with pytest.raises(errors.ItemLocked):
        users.check_credentials("user_custom", '{"force_error": "ITEM_LOCKED"}')


def test_check_credentials_unknown_user_is_invalid() -> None:
    with pytest.raises(errors.InvalidCredentials):
        users.check_credentials("nobody", "pass_good")


def test_a_truelayer_mock_username_is_the_whole_name() -> None:
    assert users.truelayer_login("john1", "doe1") is not None
    assert users.truelayer_login("john1\n", "doe1") is None  # ``$`` matched before a newline


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("NaN", "the password holds NaN, which is not a JSON number"),
        ("-Infinity", "the password holds -Infinity"),
        ("1e999", "the password holds 1e999, out of a number's range"),
        ('"a\\u0000b"', r"override_accounts\[0\]\.x must not contain NUL characters"),
        ('"a\\ud800b"', r"override_accounts\[0\]\.x must not contain unpaired surrogates"),
    ],
)
def test_check_credentials_custom_user_refuses_what_no_column_stores(
    value: str, reason: str
) -> None:
    """Python's parser takes them; PostgreSQL's columns do not (the link failed with a 500
    when the item was stored), and no UTF-8 encodes a lone surrogate."""
    with pytest.raises(errors.InvalidCredentials, match=reason):
        users.check_credentials("user_custom", f'{{"override_accounts": [{{"x": {value}}}]}}')
