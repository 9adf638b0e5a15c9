"""The core grant behind TrueLayer's auth server: clients, consent, codes, tokens, no HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.core import errors, institutions, keyring, users
from sandbox.core.bank import (
    Bank,
    Issuer,
    TokenSet,
    authenticate_app_client,
    consent_of_refresh_token,
    create_tenant,
    find_app_client,
    resolve_access,
)
from sandbox.core.grants import clients
from sandbox.core.grants.part import AUTHENTICATION_NEEDED, RECONFIRMATION_NEEDED, RENEWED
from sandbox.core.models import AppClient, TokenKey
from tests.conftest import FROZEN_NOW

ISSUER = Issuer("http://auth.test", lambda institution_id: f"provider-of-{institution_id}")
REDIRECT = clients.DEFAULT_REDIRECT_URIS[0]
SCOPES = ["info", "accounts", "balance", "cards", "transactions", "offline_access"]
VERIFIER = "a-verifier-of-at-least-forty-three-characters-1234567"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode()[:-1]


def mock() -> institutions.Institution:
    return institutions.get("ins_200001")


def connect(
    bank: Bank,
    username: str = "john",
    password: str = "doe",
    scopes: list[str] = SCOPES,
    challenge: str | None = None,
) -> tuple[AppClient, str]:
    client = bank.grants.client(bank.tenant.client_id)
    login = users.check_credentials(username, password)
    code = bank.grants.connect(
        client, mock(), login, scopes, redirect_uri=REDIRECT, code_challenge=challenge
    )
    return client, code


def tokens(bank: Bank, **kwargs: object) -> tuple[AppClient, TokenSet]:
    client, code = connect(bank, **kwargs)  # type: ignore[arg-type]
    return client, bank.grants.exchange_code(
        client, code, redirect_uri=REDIRECT, code_verifier=None, issuer=ISSUER
    )


def at(bank: Bank, delta: dt.timedelta) -> None:
    bank.tenant.clock_frozen_at = FROZEN_NOW + delta


# -- mock users ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password"), [("john", "doe"), ("john1", "doe1"), ("john100", "doe100")]
)
def test_mock_users_john_doe_family_signs_in(username: str, password: str) -> None:
    login = users.check_credentials(username, password)
    assert (login.persona, login.condition, login.eternal) == ("truelayer_mock", None, False)


@pytest.mark.parametrize(
    ("username", "password"),
    [("john", "doe1"), ("john101", "doe101"), ("john01", "doe01"), ("john", "wrong")],
)
def test_mock_users_wrong_pairs_fail(username: str, password: str) -> None:
    with pytest.raises(errors.InvalidCredentials):
        users.check_credentials(username, password)


def test_mock_user_john_eternal_extends_itself() -> None:
    assert users.check_credentials("john", "eternal").eternal


def test_mock_user_iban_gives_each_account_a_distinct_valid_iban(bank: Bank) -> None:
    login = users.check_credentials("john7", "iban7")
    item = bank.create_item(mock(), login, ["transactions"])
    ibans = [a.numbers["iban"] for a in item.accounts]
    assert len(set(ibans)) == len(ibans) == 4
    for iban in ibans:
        rearranged = iban[4:] + iban[:4]
        assert iban.startswith("GB") and int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def test_mock_persona_has_gbp_current_savings_visa_and_mastercard(bank: Bank) -> None:
    item = bank.create_item(mock(), users.check_credentials("john", "doe"), ["transactions"])
    kinds = [(a.subtype, a.currency, a.details["network"]) for a in item.accounts]
    assert kinds == [
        ("checking", "GBP", None),
        ("savings", "GBP", None),
        ("credit card", "GBP", "VISA"),
        ("credit card", "GBP", "MASTERCARD"),
    ]


@pytest.mark.parametrize(("code", "error"), sorted(users.MOCK_ERRORS.items()))
def test_error_users_sign_in_then_every_read_fails(
    bank: Bank, code: str, error: type[errors.CoreError]
) -> None:
    _client, issued = tokens(bank, username=f"error.{code}", password="error")
    grant = resolve_access(bank.session, issued.access_token)
    assert grant.item.error_code == error.condition
    with pytest.raises(error):
        bank._caught_up(grant.item, allow_error=False)  # how the data API reads the item


def test_error_user_with_wrong_password_fails() -> None:
    with pytest.raises(errors.InvalidCredentials):
        users.check_credentials("error.internal_error", "doe")


# -- clients -----------------------------------------------------------------------------------


def test_default_client_is_the_tenant_keys_with_truelayer_redirects(bank: Bank) -> None:
    import sandbox.truelayer  # noqa: F401  (it adds its console page when imported)

    client = find_app_client(bank.session, "sandbox-" + bank.tenant.client_id)
    assert client.client_id == bank.tenant.client_id
    assert client.redirect_uris == [
        "http://localhost:3000/callback",
        "https://console.truelayer.com/redirect-page",
    ]
    assert client.consent_days == 90


def test_default_client_gets_a_dialects_redirect_uris_after_the_local_callback(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clients, "DEFAULT_REDIRECT_URIS", ["http://localhost:3000/callback"])
    clients.add_default_redirect_uris(["https://acme.example/codes"])
    clients.add_default_redirect_uris(["https://acme.example/codes"])  # a second import
    client = find_app_client(bank.session, bank.tenant.client_id)
    assert client.redirect_uris == ["http://localhost:3000/callback", "https://acme.example/codes"]


def test_client_authenticates_with_the_tenant_secret(session: Session) -> None:
    _tenant, keys = create_tenant(session, "t", 1)
    assert authenticate_app_client(session, f"sandbox-{keys.client_id}", keys.secret).tenant_id
    with pytest.raises(errors.InvalidClient):
        authenticate_app_client(session, keys.client_id, "wrong")
    with pytest.raises(errors.InvalidClient):
        authenticate_app_client(session, "nobody", keys.secret)


def test_registered_client_has_its_own_secret_and_consent_days(bank: Bank) -> None:
    client, secret = bank.grants.register_client(
        ["https://app.example/cb"], name="My App", consent_days=30
    )
    assert client.client_id.startswith("sandbox-my-app-")
    assert authenticate_app_client(bank.session, client.client_id, secret) is client
    updated = bank.grants.update_client(client.client_id, add_redirect_uris=["http://x.test/cb"])
    assert updated.redirect_uris == ["https://app.example/cb", "http://x.test/cb"]


def test_update_client_keeps_the_display_name_unless_given_and_none_clears_it(bank: Bank) -> None:
    own = bank.tenant.client_id
    assert bank.grants.update_client(own, display_name="My App").display_name == "My App"
    assert bank.grants.update_client(own, consent_days=7).display_name == "My App"
    assert bank.grants.update_client(own, display_name=None).display_name is None


@pytest.mark.parametrize(
    "uri",
    # the last two cannot be parsed: the dialog could not send the user back to them
    ["ftp://x", "/relative", "https://x/#frag", "http://[::1/cb", "http://x.test:99999/cb"],
)
def test_redirect_uris_must_be_absolute_http(bank: Bank, uri: str) -> None:
    with pytest.raises(errors.InvalidField) as caught:
        bank.grants.register_client([uri])
    assert caught.value.detail["field"] == "redirect_uris"


@pytest.mark.parametrize("days", [0, 3651, True])
def test_consent_days_are_bounded(bank: Bank, days: int) -> None:
    with pytest.raises(errors.InvalidField):
        bank.grants.register_client([REDIRECT], consent_days=days)


# -- codes and tokens ---------------------------------------------------------------------------


def _public_key(bank: Bank, kid: str) -> Any:
    """The public half of the tenant's signing key ``kid``, as an app holding it would verify
    with (the sandbox resolves its tokens by their digest: it publishes no key set)."""
    from cryptography.hazmat.primitives import serialization

    row = bank.session.scalar(select(TokenKey).where(TokenKey.kid == kid))
    assert row is not None and row.tenant_id == bank.tenant.id
    pem = keyring.for_session(bank.session).unseal(row.private_pem)
    return serialization.load_pem_private_key(pem.encode(), password=None).public_key()


def test_code_exchange_issues_a_decodable_jwt_and_a_refresh_token(bank: Bank) -> None:
    _client, issued = tokens(bank)
    grant = resolve_access(bank.session, issued.access_token)
    header = jwt.get_unverified_header(issued.access_token)
    claims = jwt.decode(
        issued.access_token,
        _public_key(bank, header["kid"]),
        algorithms=["RS256"],
        audience="data_api",
        options={"verify_exp": False},
    )
    assert header["typ"] == "at+jwt"
    assert claims["sub"] == grant.credentials_id and claims["consent_id"] == grant.consent_id
    assert claims["connector_id"] == "provider-of-ins_200001" and claims["iss"] == ISSUER.url
    assert claims["exp"] - claims["iat"] == issued.expires_in == 3600
    assert claims["scope"] == SCOPES and issued.refresh_token
    assert grant.scopes == frozenset(SCOPES) and grant.status == "authorised"
    assert grant.expires_at - grant.created_at == dt.timedelta(days=90)


def test_code_works_once(bank: Bank) -> None:
    client, code = connect(bank)
    bank.grants.exchange_code(
        client, code, redirect_uri=REDIRECT, code_verifier=None, issuer=ISSUER
    )
    with pytest.raises(errors.AuthorizationCodeInvalid):
        bank.grants.exchange_code(
            client, code, redirect_uri=REDIRECT, code_verifier=None, issuer=ISSUER
        )


def test_code_expires_after_five_minutes(bank: Bank) -> None:
    client, code = connect(bank)
    at(bank, dt.timedelta(minutes=5))
    with pytest.raises(errors.AuthorizationCodeInvalid):
        bank.grants.exchange_code(
            client, code, redirect_uri=REDIRECT, code_verifier=None, issuer=ISSUER
        )


def test_code_needs_the_same_redirect_uri(bank: Bank) -> None:
    client, code = connect(bank)
    with pytest.raises(errors.GrantInvalid) as caught:
        bank.grants.exchange_code(
            client, code, redirect_uri="https://other", code_verifier=None, issuer=ISSUER
        )
    assert caught.value.detail["field"] == "redirect_uri"


def test_code_of_another_client_is_invalid(bank: Bank) -> None:
    _client, code = connect(bank)
    other, _secret = bank.grants.register_client([REDIRECT])
    with pytest.raises(errors.AuthorizationCodeInvalid):
        bank.grants.exchange_code(
            other, code, redirect_uri=REDIRECT, code_verifier=None, issuer=ISSUER
        )


def test_pkce_code_exchanges_with_its_verifier(bank: Bank) -> None:
    client, code = connect(bank, challenge=CHALLENGE)
    issued = bank.grants.exchange_code(
        client, code, redirect_uri=REDIRECT, code_verifier=VERIFIER, issuer=ISSUER
    )
    assert resolve_access(bank.session, issued.access_token).item.username == "john"


@pytest.mark.parametrize(
    ("redirect_uri", "verifier", "field"),
    [
        (REDIRECT, None, "code_verifier"),
        (REDIRECT, "x" * 50, "code_verifier"),
        ("https://other", VERIFIER, "redirect_uri"),
    ],
)
def test_a_failed_exchange_uses_the_code_up(
    bank: Bank, redirect_uri: str, verifier: str | None, field: str
) -> None:
    client, code = connect(bank, challenge=CHALLENGE)
    with pytest.raises(errors.GrantInvalid) as caught:
        bank.grants.exchange_code(
            client, code, redirect_uri=redirect_uri, code_verifier=verifier, issuer=ISSUER
        )
    assert caught.value.detail["field"] == field
    with pytest.raises(errors.AuthorizationCodeInvalid):
        bank.grants.exchange_code(
            client, code, redirect_uri=REDIRECT, code_verifier=VERIFIER, issuer=ISSUER
        )


def test_no_offline_access_no_refresh_token(bank: Bank) -> None:
    _client, issued = tokens(bank, scopes=["accounts"])
    assert issued.refresh_token is None


def test_refresh_rotates(bank: Bank) -> None:
    client, issued = tokens(bank)
    assert issued.refresh_token
    again = bank.grants.refresh(client, issued.refresh_token, issuer=ISSUER)
    assert again.refresh_token and again.refresh_token != issued.refresh_token
    with pytest.raises(errors.GrantInvalid):
        bank.grants.refresh(client, issued.refresh_token, issuer=ISSUER)
    assert resolve_access(bank.session, again.access_token).consent_id


def test_access_token_expires_after_an_hour(bank: Bank) -> None:
    _client, issued = tokens(bank)
    at(bank, dt.timedelta(hours=1))
    with pytest.raises(errors.TokenExpired) as caught:
        resolve_access(bank.session, issued.access_token)
    assert caught.value.detail["expired_at"] == FROZEN_NOW + dt.timedelta(hours=1)


@pytest.mark.parametrize("token", ["", "garbage", "x" * 5000])
def test_unknown_tokens_are_invalid(bank: Bank, token: str) -> None:
    with pytest.raises(errors.TokenInvalid):
        resolve_access(bank.session, token)


# -- consent -----------------------------------------------------------------------------------


def test_consent_expires_then_refresh_fails_and_reconsent_renews(bank: Bank) -> None:
    client, issued = tokens(bank)
    assert issued.refresh_token
    at(bank, dt.timedelta(days=90))
    with pytest.raises(errors.ConsentExpired):
        resolve_access(bank.session, issued.access_token)
    with pytest.raises(errors.GrantInvalid):
        bank.grants.refresh(client, issued.refresh_token, issuer=ISSUER)
    consent, status = bank.grants.connections()[0]
    assert status == "expired"
    link = bank.grants.reconsent_link(consent, reauthenticate=True)
    bank.grants.open_reconsent(client, link)
    code = bank.grants.reconsent(
        client, link, redirect_uri=REDIRECT, login=users.check_credentials("john", "doe")
    )
    fresh = bank.grants.exchange_code(
        client, code, redirect_uri=REDIRECT, code_verifier=None, issuer=ISSUER
    )
    grant = resolve_access(bank.session, fresh.access_token)
    assert grant.expires_at == FROZEN_NOW + dt.timedelta(days=180)


@pytest.mark.parametrize("username", ["john2", None])
def test_reauthentication_needs_the_same_user_signed_in(bank: Bank, username: str | None) -> None:
    client, _issued = tokens(bank)
    consent, _status = bank.grants.connections()[0]
    link = bank.grants.reconsent_link(consent, reauthenticate=True)
    login = users.check_credentials(username, "doe2") if username else None
    with pytest.raises(errors.InvalidCredentials):
        bank.grants.reconsent(client, link, redirect_uri=REDIRECT, login=login)


def test_a_reconsent_link_opens_once_and_issues_one_code(bank: Bank) -> None:
    client, _issued = tokens(bank)
    consent, _status = bank.grants.connections()[0]
    link = bank.grants.reconsent_link(consent, reauthenticate=False)
    assert bank.grants.open_reconsent(client, link).consent is consent
    with pytest.raises(errors.LinkInvalid):
        bank.grants.open_reconsent(client, link)
    assert bank.grants.reconsent(client, link, redirect_uri=REDIRECT)
    with pytest.raises(errors.LinkInvalid):
        bank.grants.reconsent(client, link, redirect_uri=REDIRECT)


def test_a_reconsent_link_is_its_apps_only(bank: Bank) -> None:
    client, _issued = tokens(bank)
    consent, _status = bank.grants.connections()[0]
    link = bank.grants.reconsent_link(consent, reauthenticate=False)
    other, _secret = bank.grants.register_client([REDIRECT])
    with pytest.raises(errors.LinkInvalid):
        bank.grants.open_reconsent(other, link)
    with pytest.raises(errors.LinkInvalid):
        bank.grants.open_reconsent(client, "unknown")
    assert bank.grants.open_reconsent(client, link)  # another app's try did not use it up


def test_consent_days_come_from_the_client(bank: Bank) -> None:
    bank.grants.update_client(bank.tenant.client_id, consent_days=7)
    _client, issued = tokens(bank)
    grant = resolve_access(bank.session, issued.access_token)
    assert grant.expires_at == FROZEN_NOW + dt.timedelta(days=7)


def test_revoke_stops_tokens_and_removes_the_item(bank: Bank) -> None:
    client, issued = tokens(bank)
    assert issued.refresh_token
    grant = resolve_access(bank.session, issued.access_token)
    bank.grants.revoke(grant.consent_id)
    with pytest.raises(errors.ConsentRevoked):
        resolve_access(bank.session, issued.access_token)
    with pytest.raises(errors.GrantInvalid):
        bank.grants.refresh(client, issued.refresh_token, issuer=ISSUER)
    assert grant.item.removed_at is not None
    assert bank.grants.connections()[0][1] == "revoked"


# -- extension ---------------------------------------------------------------------------------


def test_extend_unconfirmed_needs_reconfirmation(bank: Bank) -> None:
    client, issued = tokens(bank)
    assert issued.refresh_token
    outcome = bank.grants.extend(client, issued.refresh_token, reconfirmed=False, issuer=ISSUER)
    assert (outcome.action, outcome.tokens) == (RECONFIRMATION_NEEDED, None)


def test_extend_john_doe_needs_authentication(bank: Bank) -> None:
    client, issued = tokens(bank)
    assert issued.refresh_token
    outcome = bank.grants.extend(client, issued.refresh_token, reconfirmed=True, issuer=ISSUER)
    assert (outcome.action, outcome.tokens) == (AUTHENTICATION_NEEDED, None)


def test_extend_john_eternal_renews_with_new_tokens(bank: Bank) -> None:
    client, issued = tokens(bank, password="eternal")
    assert issued.refresh_token
    at(bank, dt.timedelta(days=100))  # extension also works after expiry
    outcome = bank.grants.extend(client, issued.refresh_token, reconfirmed=True, issuer=ISSUER)
    assert outcome.action == RENEWED and outcome.tokens is not None
    grant = resolve_access(bank.session, outcome.tokens.access_token)
    assert grant.expires_at == FROZEN_NOW + dt.timedelta(days=190)
    with pytest.raises(errors.GrantInvalid):  # the old refresh token was used up
        bank.grants.refresh(client, issued.refresh_token, issuer=ISSUER)


def test_extend_revoked_connection_is_not_extendable(bank: Bank) -> None:
    client, issued = tokens(bank, password="eternal")
    assert issued.refresh_token
    bank.grants.revoke(resolve_access(bank.session, issued.access_token).consent_id)
    with pytest.raises(errors.GrantInvalid):  # revoking ended the refresh token too
        bank.grants.extend(client, issued.refresh_token, reconfirmed=True, issuer=ISSUER)


def test_a_connection_outside_the_uk_cannot_be_renewed(bank: Bank) -> None:
    client = bank.grants.client(bank.tenant.client_id)
    ing = institutions.get("ins_120512")  # TrueLayer's xs2a-ing (NL)
    code = bank.grants.connect(
        client,
        ing,
        users.check_credentials("user_good", "pass_good"),
        SCOPES,
        redirect_uri=REDIRECT,
    )
    issued = bank.grants.exchange_code(
        client, code, redirect_uri=REDIRECT, code_verifier=None, issuer=ISSUER
    )
    assert issued.refresh_token
    with pytest.raises(errors.ConsentNotExtendable, match="only UK connections"):
        bank.grants.extend(client, issued.refresh_token, reconfirmed=True, issuer=ISSUER)
    consent = consent_of_refresh_token(bank.session, issued.refresh_token)
    with pytest.raises(errors.ConsentNotExtendable, match="only UK connections"):
        bank.grants.reconsent_link(consent, reauthenticate=True)  # /v1/reauthuri's link


@pytest.mark.parametrize("password", ["doe", "eternal"])
def test_a_connection_renews_until_ninety_days_after_its_consent_ended(
    bank: Bank, password: str
) -> None:
    client, issued = tokens(bank, password=password)
    assert issued.refresh_token
    at(bank, dt.timedelta(days=90 + 90) - dt.timedelta(seconds=1))
    consent = consent_of_refresh_token(bank.session, issued.refresh_token)
    assert bank.grants.reconsent_link(consent, reauthenticate=True)
    at(bank, dt.timedelta(days=90 + 90))
    with pytest.raises(errors.ConsentNotExtendable, match="more than 90 days ago"):
        bank.grants.extend(client, issued.refresh_token, reconfirmed=True, issuer=ISSUER)
    with pytest.raises(errors.ConsentNotExtendable, match="more than 90 days ago"):
        bank.grants.reconsent_link(consent, reauthenticate=True)


def test_refresh_token_finds_its_connection_until_revoked(bank: Bank) -> None:
    _client, issued = tokens(bank)
    assert issued.refresh_token
    consent = consent_of_refresh_token(bank.session, issued.refresh_token)
    assert consent.item.username == "john"
    bank.grants.revoke(consent.id)
    with pytest.raises(errors.GrantInvalid):
        consent_of_refresh_token(bank.session, issued.refresh_token)
