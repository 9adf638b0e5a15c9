"""The OAuth banks' own pages and endpoints, each bank in its own colours.

| path (``<ins>`` = an OAuth institution id) | what |
|---|---|
| ``GET/POST /oauth/<ins>/authorize`` | sign in, consent to scopes and accounts, approve/deny |
| ``POST /oauth/<ins>/token`` | ``authorization_code`` (PKCE S256), ``refresh_token`` (rotating) |
| ``POST /oauth/<ins>/revoke`` | RFC 7009 token revocation |
| ``GET /oauth/<ins>/accounts`` | the consent behind a bearer token (the bank's data API) |
| ``GET /.well-known/oauth-authorization-server/oauth/<ins>`` | RFC 8414 metadata |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState

from ..core import errors, institutions
from ..core.bank import Bank, LinkFlow, check_login, login_chooses_error
from ..core.institutions import Institution
from ..core.models import Tenant
from ..extensions import db, tenant_bank
from ..plaid.errors import plaid_error
from . import csrf
from .blueprint import bp
from .oauth_clients import SCOPES
from .prose import sentences

if TYPE_CHECKING:
    from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector

EXTENSION = "bank_oauth"
# The sandbox's own clients at the banks, by client-id suffix: Link, and TrueLayer's dialog.
CLIENT_NAMES = {"link": "Plaid", "truelayer": "TrueLayer"}
# What Link's update mode says the user already shares, per authorization request
# (``remember_shared``), and how many such requests the session keeps.
SHARED_KEY, KEPT_SHARED = "bank_shared_accounts", 8


def _init(_state: BlueprintSetupState) -> None:
    # The sandbox serves plain HTTP on purpose (docker compose hostnames included).
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")


bp.record_once(_init)


def _oauth() -> tuple[AuthorizationServer, ResourceProtector]:
    """The app's Authlib server and bearer guard, built at the first OAuth request (Authlib
    is not imported by a start that serves none)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    found: tuple[AuthorizationServer, ResourceProtector] | None = app.extensions.get(EXTENSION)
    if found is None:
        from .oauth_server import build_protector, build_server

        found = app.extensions.setdefault(EXTENSION, (build_server(app), build_protector()))
    return found


def server() -> AuthorizationServer:
    """This app's authorization server."""
    return _oauth()[0]


def protector() -> ResourceProtector:
    """This app's guard for bearer tokens."""
    return _oauth()[1]


def oauth_bank(institution_id: str) -> Institution:
    """The OAuth institution in the URL (404 for unknown or non-OAuth banks)."""
    try:
        institution = institutions.get(institution_id)
    except errors.InvalidInstitution:
        abort(404)
    if not institution.oauth:
        abort(404)
    g.oauth_institution = institution_id
    return institution


@bp.route("/oauth/<institution_id>/authorize", methods=["GET", "POST"])
def oauth_authorize(institution_id: str) -> Response | tuple[str, int] | str:
    """The bank's sign-in and consent page; ends by redirecting back with code and state."""
    from authlib.oauth2 import OAuth2Error

    bank = oauth_bank(institution_id)
    try:
        grant = server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        if getattr(error, "redirect_uri", None):
            response: Response = server().handle_error_response(None, error)
            return response
        return render_template("bank/error.html", bank=bank, error=error), 400
    if request.method == "POST":
        if not csrf.valid():  # the browser lost its session (cookies cleared, a long pause)
            return render_template("bank/expired.html", bank=bank), 400
        action = request.form.get("action")
        if action == "login":
            return _sign_in(bank, grant)
        if action in ("deny", "switch"):  # both sign the user out of the bank
            _logins().pop(institution_id, None)
            session.modified = True
            if action == "switch":  # "Not you?": the bank's sign-in again, the request open
                return Response(status=303, headers={"Location": request.url})
            denied: Response = server().create_authorization_response(grant=grant, grant_user=None)
            return denied
        if action == "approve":
            return _approve(bank, grant)
        abort(400, description="unknown action")
    return _page(bank, grant)


def _page(bank: Institution, grant: Any, error: str | None = None) -> tuple[str, int] | str:
    raw = _logins().get(bank.institution_id)
    if raw is None:
        return render_template("bank/login.html", bank=bank, error=error), 400 if error else 200
    login = LinkFlow.load_login(raw)
    accounts = _tenant_bank(grant).link.preview_accounts(bank, login)
    scopes = [(s, SCOPES[s]) for s in grant.request.scope.split() if s in SCOPES]
    shared = session.get(SHARED_KEY, {}).get(grant.request.payload.state)
    page = render_template(
        "bank/consent.html",
        bank=bank,
        login=login,
        accounts=accounts,
        ticked={a.ordinal for a in accounts} if shared is None else set(shared),
        scopes=scopes,
        client_name=_sandbox_client(grant) or grant.request.client.get_client_id(),
        error=error,
    )
    return (page, 400) if error else page


def _sandbox_client(grant: Any) -> str | None:
    """The name of the sandbox's own client that asked for this grant (Link or TrueLayer's
    dialog), or None for an app of the user's."""
    client_id: str = grant.request.client.get_client_id()
    return CLIENT_NAMES.get(client_id.rsplit("-", 1)[-1])


def _sign_in(bank: Institution, grant: Any) -> Response | tuple[str, int]:
    password = request.form.get("password", "")
    try:
        login = check_login(request.form.get("username", "").strip(), password)
    except errors.CoreError as exc:
        if _sandbox_client(grant) and login_chooses_error(password):
            return _error_to_client(grant, exc)
        message = sentences(plaid_error(exc).display_message or exc.message)
        return render_template("bank/login.html", bank=bank, error=message), 400
    session["bank_logins"] = {**_logins(), bank.institution_id: LinkFlow.dump_login(login)}
    return Response(status=303, headers={"Location": request.url})


def _error_to_client(grant: Any, exc: errors.CoreError) -> Response:
    """Back to Link or TrueLayer's dialog with the error an ``error_<CODE>`` password chose,
    as Plaid's sandbox does: Link's error pane shows it and the app's ``onExit`` gets it, as
    at a bank without OAuth; the dialog hands it to the app's redirect URI, as TrueLayer does
    a provider's failure (a wrong password stays here, as at a real bank). The redirect is an
    OAuth error (``access_denied``) carrying the code in the extension parameter
    ``error_code`` (``refusal`` reads it back)."""
    from .oauth_server import ChosenLoginError

    error = ChosenLoginError(exc.condition, grant.redirect_uri, grant.request.payload.state)
    response: Response = server().handle_error_response(None, error)
    return response


def _approve(bank: Institution, grant: Any) -> Response | tuple[str, int] | str:
    raw = _logins().get(bank.institution_id)
    if raw is None:
        return _page(bank, grant, "Your session ended. Please sign in again.")
    known = {
        a.ordinal for a in _tenant_bank(grant).link.preview_accounts(bank, LinkFlow.load_login(raw))
    }
    chosen = sorted({int(v) for v in request.form.getlist("account") if v.isdigit()} & known)
    if not chosen:
        return _page(bank, grant, "Choose at least one account to share, or deny access.")
    _logins().pop(bank.institution_id, None)
    session.get(SHARED_KEY, {}).pop(grant.request.payload.state, None)
    session.modified = True
    grant_user = {"login": raw, "accounts": chosen, "tenant_id": grant.request.client.row.tenant_id}
    response: Response = server().create_authorization_response(grant=grant, grant_user=grant_user)
    return response


def remember_shared(state: str, ordinals: list[int]) -> None:
    """What the user shares with the app already (update mode): the consent page of the
    authorization request with ``state`` ticks only those, as a bank that remembers an
    earlier consent would. Kept per request, not per bank, so Link open in two tabs at one
    bank does not tick one item's accounts for the other; only the latest few are kept."""
    kept = [*session.get(SHARED_KEY, {}).items(), (state, ordinals)][-KEPT_SHARED:]
    session[SHARED_KEY] = dict(kept)


def refusal(args: Mapping[str, str]) -> errors.CoreError:
    """Why a bank sent its client back without a code: the error an ``error_<CODE>``
    password chose at its sign-in (``error_code``), else the user denied access."""
    chosen = errors.for_condition(args.get("error_code", ""))
    return chosen() if chosen is not None else errors.AccessNotGranted()


def _logins() -> dict[str, Any]:
    logins: dict[str, Any] = session.setdefault("bank_logins", {})
    return logins


def _tenant_bank(grant: Any) -> Bank:
    tenant = db.session.get(Tenant, grant.request.client.row.tenant_id)
    assert tenant is not None
    return tenant_bank(tenant)


@bp.post("/oauth/<institution_id>/token")
def oauth_token(institution_id: str) -> Response:
    """RFC 6749 token endpoint: code (with PKCE verifier) or refresh token for tokens."""
    oauth_bank(institution_id)
    response: Response = server().create_token_response()
    return response


@bp.post("/oauth/<institution_id>/revoke")
def oauth_revoke(institution_id: str) -> Response:
    """RFC 7009: the token (and its pair) stops working at once."""
    oauth_bank(institution_id)
    response: Response = server().create_endpoint_response("revocation")
    return response


@bp.get("/oauth/<institution_id>/accounts")
def oauth_accounts(institution_id: str) -> Response:
    """The bank's data API in miniature: who consented, and to which accounts."""
    from authlib.oauth2 import OAuth2Error

    oauth_bank(institution_id)
    try:
        token = protector().acquire_token(["accounts"])
    except OAuth2Error as error:
        protector().raise_error_response(error)
    grant = token.row.grant
    return jsonify(username=grant["login"]["username"], accounts=grant["accounts"])


@bp.get("/.well-known/oauth-authorization-server/oauth/<institution_id>")
@bp.get("/oauth/<institution_id>/.well-known/oauth-authorization-server")
def oauth_metadata(institution_id: str) -> Response:
    """RFC 8414 authorization server metadata of one bank."""
    oauth_bank(institution_id)

    def url(endpoint: str) -> str:
        return url_for(endpoint, institution_id=institution_id, _external=True)

    return jsonify(
        issuer=url("web.oauth_authorize").rsplit("/", 1)[0],
        authorization_endpoint=url("web.oauth_authorize"),
        token_endpoint=url("web.oauth_token"),
        revocation_endpoint=url("web.oauth_revoke"),
        scopes_supported=list(SCOPES),
        response_types_supported=["code"],
        response_modes_supported=["query"],
        grant_types_supported=["authorization_code", "refresh_token"],
        token_endpoint_auth_methods_supported=["none"],
        revocation_endpoint_auth_methods_supported=["none"],
        code_challenge_methods_supported=["S256"],
    )


def exchange_code(
    institution_id: str, client_id: str, code: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    """Redeem a code at the bank's token endpoint, in process (Link's side of the trip)."""
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    path = f"/oauth/{institution_id}/token"
    with current_app.test_request_context(
        path, method="POST", data=form, base_url=request.host_url
    ):
        response = oauth_token(institution_id)
    body: dict[str, Any] = response.get_json()
    if response.status_code != 200:
        raise errors.AccessNotGranted(str(body.get("error_description") or body.get("error")))
    return body


def consented_grant(institution_id: str, access_token: str) -> dict[str, Any]:
    """The consent behind ``access_token``, read through the bank's bearer-token check."""
    from authlib.oauth2 import OAuth2Error

    path = f"/oauth/{institution_id}/accounts"
    headers = {"Authorization": f"Bearer {access_token}"}
    with current_app.test_request_context(path, headers=headers, base_url=request.host_url):
        oauth_bank(institution_id)
        try:
            token = protector().acquire_token(["accounts"])
        except OAuth2Error:
            raise errors.AccessNotGranted() from None
    grant: dict[str, Any] = token.row.grant
    return grant
