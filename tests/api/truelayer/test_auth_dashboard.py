"""The dashboard lists TrueLayer connections beside the items, and revokes them."""

from __future__ import annotations

import datetime as dt

import jwt

from tests.api.web.test_dashboard import Dashboard

from .auth_helpers import AuthDialog
from .auth_helpers import tl_auth as tl_auth  # the fixture


def test_dashboard_lists_connections_with_status_and_expiry(tl_auth: AuthDialog) -> None:
    tl_auth.tokens(scope="accounts balance offline_access")
    page = Dashboard(tl_auth.client, tl_auth.keys).get("/dashboard").text
    assert 'TrueLayer connections <span class="count">1</span>' in page
    assert "Mock" in page and "john" in page and tl_auth.keys.client_id in page
    assert '<span class="pill pill-good">authorised</span>' in page
    assert "2026-06-14 15:30:00 UTC" in page and '<span class="tag">offline_access</span>' in page


def test_dashboard_names_a_connections_app_by_its_display_name_escaped(
    tl_auth: AuthDialog,
) -> None:
    """The client id stays beneath the name; without a name the id alone names the app."""
    tl_auth.tokens()
    dash = Dashboard(tl_auth.client, tl_auth.keys)
    own = tl_auth.keys.client_id
    plain = dash.get("/dashboard").text
    assert f'<td data-label="Client"><code>{own}</code><br>' in plain
    tl_auth.client.patch(
        f"/control/truelayer/clients/{own}",
        json={"display_name": "Budget <Buddy> & Co"},
        headers={"PLAID-CLIENT-ID": own, "PLAID-SECRET": tl_auth.keys.secret},
    )
    page = dash.get("/dashboard").text
    assert (
        '<td data-label="Client">Budget &lt;Buddy&gt; &amp; Co<br>'
        f'<span class="muted small">client <code>{own}</code></span><br>'
    ) in page
    assert "<Buddy>" not in page


def test_dashboard_shows_expired_consent(tl_auth: AuthDialog) -> None:
    tl_auth.tokens()
    tl_auth.advance(dt.timedelta(days=91))
    page = Dashboard(tl_auth.client, tl_auth.keys).get("/dashboard").text
    assert '<span class="pill pill-bad">expired</span>' in page


def test_dashboard_revoke_ends_the_connection(tl_auth: AuthDialog) -> None:
    tokens = tl_auth.tokens()
    consent_id = jwt.decode(tokens["access_token"], options={"verify_signature": False})[
        "consent_id"
    ]
    dash = Dashboard(tl_auth.client, tl_auth.keys)
    revoked = dash.post(f"/dashboard/connections/{consent_id}/revoke")
    assert revoked.status_code == 303
    page = dash.get("/dashboard").text
    assert "Revoked" in page and '<span class="pill pill-bad">revoked</span>' in page
    after = tl_auth.bearer("GET", "/data/v1/me", tokens["access_token"])
    assert (after.status_code, after.get_json()["error"]) == (401, "invalid_token")


def test_dashboard_revoke_of_unknown_connection_flashes_an_error(tl_auth: AuthDialog) -> None:
    dash = Dashboard(tl_auth.client, tl_auth.keys)
    dash.post("/dashboard/connections/nope/revoke")
    assert "consent_id: unknown consent_id nope" in dash.get("/dashboard").text
