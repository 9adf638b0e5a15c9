"""The auth dialog: the auth link, the provider picker, the bank sign-in, consent, redirect.

``GET /?response_type=code&client_id=...`` (the home page hands it to :func:`auth_link`)
checks the app and its redirect URI (a bad one gets an error page: it cannot be trusted
with a redirect), then every other problem goes back to the app as an OAuth ``error``.
The user picks a provider, signs in (the mock bank's form here; other banks on their own
OAuth pages, with this dialog as their client, as Plaid Link is), consents, and returns to
the app with a single-use ``code`` (query string, or a form POST with
``response_mode=form_post``). Cancel returns ``error=access_denied``, a bank outage at Allow
``error=provider_error``, an ``error_<CODE>`` password at a sign-in that code's error.
Extension's links (``reconsent_token``) renew a connection, once each; re-authenticating,
only its own user may sign in. A direct bank link (``/v1/authuri``: ``provider_id`` and the
app's ``consent_id``) opens at the bank's sign-in and returns the code from there: the app
asked the user for consent itself. The link's parameters are checked in ``auth_link``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..core import errors
from ..core.bank import (
    Bank,
    LinkFlow,
    Login,
    check_login,
    find_app_client,
    login_chooses_error,
)
from ..core.models import AppClient
from ..extensions import current_session, tenant_bank
from ..shared import public_url
from ..web import csrf, oauth
from ..web.oauth_clients import register_client
from . import providers
from .auth_errors import end_dialog, render
from .auth_link import RESPONSE_MODES, error, link_problem
from .auth_state import CONSENT, LOGIN, PROVIDERS, by_oauth_state, close, load, open_dialog, save
from .blueprint import bp
from .errors import truelayer_error

Page = WerkzeugResponse | str | tuple[WerkzeugResponse | str, int]
SCOPE_TEXT = {
    "info": "Your full name and contact details",
    "accounts": "Account names, numbers and sort codes",
    "balance": "Account balances",
    "cards": "Credit card details and balances",
    "transactions": "Transactions, including pending ones",
    "direct_debits": "Direct debits",
    "standing_orders": "Standing orders",
    "offline_access": "Access when you are not using the app, for as long as you consent",
}
WRONG_PASSWORD = "Invalid username or password."
EXPIRED = "Your session ended before the form was sent, so nothing was signed in or shared."
# What the dialog asks a bank's OAuth page for, per TrueLayer scope.
BANK_SCOPES = {"transactions": "transactions", "info": "identity", "cards": "liabilities"}


@bp.get("/dialog")
def auth_link() -> Page:
    """The auth link: check the app and its parameters, then open the dialog."""
    try:
        return open_link()
    except errors.CoreError as exc:  # rendered here: the site root is another blueprint's
        return render(exc)


def open_link() -> Page:
    """Validate the link: a bad app gets an error page, other problems go back to it."""
    client = find_app_client(current_session(), request.args.get("client_id"))
    bank = tenant_bank(client.tenant)
    mode = request.args.get("response_mode") or "query"
    back = {
        "redirect_uri": bank.grants.check_redirect(client, request.args.get("redirect_uri")),
        "state": request.args.get("state"),
        "response_mode": mode if mode in RESPONSE_MODES else "query",
    }
    if problem := link_problem(request.args):
        return finish(back, problem.oauth())
    offered = [p.provider_id for p in providers.offered(request.args)]
    dialog: dict[str, Any] = {
        **back,
        "client_id": client.client_id,
        "scopes": request.args["scope"].split(),
        "code_challenge": request.args.get("code_challenge") or None,
        "offered": offered,
        "provider": None,
        "step": PROVIDERS,
    }
    if token := request.args.get("reconsent_token"):
        try:
            dialog.update(reconsent_dialog(bank, client, token))
        except (errors.LinkInvalid, errors.ConsentNotExtendable) as exc:
            return finish(back, link_refused(exc))
    elif provider_id := request.args.get("provider_id"):
        dialog.update(provider=provider_id, step=LOGIN, app_consent=request.args.get("consent_id"))
    dialog_id = open_dialog(dialog)
    if dialog["step"] == LOGIN and providers.get(dialog["provider"]).uses_bank_page:
        return bank_authorize(dialog_id, dialog, client)
    return redirect(url_for("truelayer.dialog_page", dialog_id=dialog_id), 303)


def reconsent_dialog(bank: Bank, client: AppClient, token: str) -> dict[str, Any]:
    """A re-consent link's dialog, the link used up by opening it: the connection's bank and
    scopes, at the sign-in (re-authentication) or the consent page."""
    link = bank.grants.open_reconsent(client, token)
    return {
        "consent_id": link.consent.id,
        "reconsent_token": token,
        "provider": providers.connector_of(link.consent.item.institution_id),
        "scopes": list(link.consent.scopes),
        "step": LOGIN if link.reauthenticate else CONSENT,
    }


def bank_failure(exc: errors.CoreError) -> dict[str, str]:
    """The app's error for a failure at the bank (an outage at Allow, an ``error_<CODE>``
    password at sign-in): TrueLayer's code for it from errors.py's table, the one its Data
    API answers with, e.g. ``provider_error`` ("provider (planned) downtime", truelayer.md
    §4) for an outage, ``account_temporarily_locked`` for a locked account, and
    ``access_denied`` for other refusals."""
    return error(truelayer_error(exc).error, exc.message)


def link_refused(exc: errors.LinkInvalid | errors.ConsentNotExtendable) -> dict[str, str]:
    """The app's error for a re-consent link used already (auth links are single-use,
    truelayer.md §2.1) or whose connection can no longer be renewed: TrueLayer does not say
    with which error, so RFC 6749 §4.1.2.1's ``invalid_request`` (no ``access_denied``: the
    user refused nothing)."""
    return error("invalid_request", exc.message)


def leave(dialog_id: str, dialog: dict[str, Any], params: dict[str, str]) -> Page:
    """End the dialog and go back to the app with ``params``."""
    close(dialog_id)
    return finish(dialog, params)


def finish(dialog: dict[str, Any], params: dict[str, str]) -> Page:
    """Back to the app with ``params`` (and ``state``): a redirect, or a form POST."""
    if dialog.get("state"):
        params = {**params, "state": dialog["state"]}
    if dialog.get("response_mode") == "form_post":
        return render_template(
            "truelayer/form_post.html", action=dialog["redirect_uri"], fields=params
        )
    parts = urlsplit(dialog["redirect_uri"])
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return redirect(urlunsplit(parts._replace(query=query)), 302)


@bp.get("/dialog/<dialog_id>")
def dialog_page(dialog_id: str) -> Page:
    """The dialog's current step."""
    return render_step(dialog_id, load(dialog_id))


def render_step(
    dialog_id: str, dialog: dict[str, Any], problem: str | None = None, status: int = 200
) -> Page:
    """The page of the dialog's step (``problem``: shown above the form)."""
    client = find_app_client(current_session(), dialog["client_id"])
    context: dict[str, Any] = {
        "dialog_id": dialog_id,
        "dialog": dialog,
        "client_name": client.shown_name,
        "problem": problem,
        "reconsent": bool(dialog.get("consent_id")),
    }
    if dialog["step"] == PROVIDERS:
        query = request.args.get("q", "").strip().lower()
        offered = [providers.get(p) for p in dialog["offered"]]
        context.update(
            query=query, providers=[p for p in offered if query in p.display_name.lower()]
        )
    else:
        context["provider"] = providers.get(dialog["provider"])
    if dialog["step"] == CONSENT:
        context.update(consent_context(tenant_bank(client.tenant), client, dialog))
    page = render_template(f"truelayer/{dialog['step']}.html", **context)
    return (page, status) if status != 200 else page


def consent_context(bank: Bank, client: AppClient, dialog: dict[str, Any]) -> dict[str, Any]:
    """What the consent page shows: the data, the accounts, and until when."""
    provider = providers.get(dialog["provider"])
    if dialog.get("login"):
        login = LinkFlow.load_login(dialog["login"])
        accounts = bank.link.preview_accounts(provider.institution, login)
        if dialog.get("accounts") is not None:
            accounts = [a for a in accounts if a.ordinal in dialog["accounts"]]
    else:  # reconfirming: the connection's accounts
        accounts = list(bank.grants.consent(client, dialog["consent_id"]).item.accounts)
    return {
        "accounts": bank.reads.listed(
            accounts, deposits="accounts" in dialog["scopes"], cards="cards" in dialog["scopes"]
        ),
        "scopes": [(s, SCOPE_TEXT[s]) for s in dialog["scopes"] if s in SCOPE_TEXT],
        "until": bank.now().date() + dt.timedelta(days=client.consent_days),
        "consent_days": client.consent_days,
    }


@bp.post("/dialog/<dialog_id>/<action>")
def dialog_action(dialog_id: str, action: str) -> Page:
    """One step of the dialog: choose a provider, sign in, consent, go back or cancel."""
    if not csrf.valid():  # the browser lost its session (cookies cleared), the dialog with it
        end_dialog(400, EXPIRED)
    dialog = load(dialog_id)
    if action == "cancel":
        return leave(dialog_id, dialog, error("access_denied", "the user cancelled"))
    if action == "back" and not dialog.get("consent_id"):
        dialog.update(step=PROVIDERS, provider=None, login=None, accounts=None)
    elif action == "provider":
        return choose_provider(dialog_id, dialog)
    elif action == "login":
        return sign_in(dialog_id, dialog)
    elif action == "consent" and dialog["step"] == CONSENT:
        return grant(dialog_id, dialog)
    elif action not in ("back",):
        abort(404)
    save(dialog_id, dialog)
    return redirect(url_for("truelayer.dialog_page", dialog_id=dialog_id), 303)


def choose_provider(dialog_id: str, dialog: dict[str, Any]) -> Page:
    """The user picked a bank: its sign-in form here, or its own OAuth page. A direct bank
    link's consent (``app_consent``) was the app's for the provider it named: another bank
    (picked after Back, or posted from the sign-in) gets the consent page."""
    provider_id = request.form.get("provider_id", "")
    if provider_id not in dialog["offered"] and provider_id != dialog.get("provider"):
        raise errors.InvalidField("choose one of the banks offered", field="provider_id")
    if provider_id != dialog.get("provider"):
        dialog["app_consent"] = None
    dialog.update(provider=provider_id, step=LOGIN)
    save(dialog_id, dialog)
    if providers.get(provider_id).uses_bank_page:
        client = find_app_client(current_session(), dialog["client_id"])
        return bank_authorize(dialog_id, dialog, client)
    return redirect(url_for("truelayer.dialog_page", dialog_id=dialog_id), 303)


def sign_in(dialog_id: str, dialog: dict[str, Any]) -> Page:
    """The mock bank's form: TrueLayer's mock users (and the sandbox's persona users). A
    wrong password stays here; an ``error_<CODE>`` password goes back to the app with its
    error, as a bank's own page sends it back here."""
    if dialog["step"] != LOGIN:
        end_dialog(409, "This step is already done.")
    password = request.form.get("password", "")
    try:
        login = check_login(request.form.get("username", "").strip(), password)
    except errors.CoreError as exc:
        if login_chooses_error(password):
            return leave(dialog_id, dialog, bank_failure(exc))
        wrong = isinstance(exc, errors.InvalidCredentials)
        return render_step(dialog_id, dialog, WRONG_PASSWORD if wrong else exc.message, 400)
    if problem := other_user(dialog, login):
        return render_step(dialog_id, dialog, problem, 400)
    return signed_in(dialog_id, dialog, LinkFlow.dump_login(login), None)


def signed_in(
    dialog_id: str, dialog: dict[str, Any], login: dict[str, Any], accounts: list[int] | None
) -> Page:
    """The user signed in at the bank: the consent page, or, on a direct bank link (the app
    asked the user itself, ``consent_id``, as TrueLayer's direct bank auth has it), the code
    for the app at once."""
    dialog.update(login=login, accounts=accounts, step=CONSENT)
    if dialog.get("app_consent"):
        return grant(dialog_id, dialog)
    save(dialog_id, dialog)
    return redirect(url_for("truelayer.dialog_page", dialog_id=dialog_id), 303)


def other_user(dialog: dict[str, Any], login: Login) -> str | None:
    """Why ``login`` may not renew the dialog's connection (someone else signed in), or None."""
    if not dialog.get("consent_id"):
        return None
    client = find_app_client(current_session(), dialog["client_id"])
    grants = tenant_bank(client.tenant).grants
    try:
        grants.check_same_user(grants.consent(client, dialog["consent_id"]), login)
    except errors.InvalidCredentials as exc:
        return exc.message
    return None


def grant(dialog_id: str, dialog: dict[str, Any]) -> Page:
    """The user allowed access: back to the app with the code, or with an error when the link
    was used already, its connection can no longer be renewed (deleted, or its renewal time
    over while the user signed in) or the bank is down."""
    try:
        code = issue_code(dialog_id, dialog)
    except (errors.LinkInvalid, errors.ConsentNotExtendable) as exc:
        return leave(dialog_id, dialog, link_refused(exc))
    except errors.InstitutionError as exc:
        return leave(dialog_id, dialog, bank_failure(exc))
    return leave(dialog_id, dialog, {"code": code, "scope": " ".join(dialog["scopes"])})


def issue_code(dialog_id: str, dialog: dict[str, Any]) -> str:
    """A new connection, or the link's connection renewed, and its code for the app: once per
    dialog (a double-clicked Allow gets the first click's code)."""
    client = find_app_client(current_session(), dialog["client_id"])
    grants = tenant_bank(client.tenant).grants
    if (code := grants.answered(dialog_id)) is not None:
        return code
    login = LinkFlow.load_login(dialog["login"]) if dialog.get("login") else None
    if dialog.get("reconsent_token"):
        return grants.reconsent(
            client,
            dialog["reconsent_token"],
            redirect_uri=dialog["redirect_uri"],
            login=login,
            code_challenge=dialog["code_challenge"],
            once=dialog_id,
        )
    assert login is not None  # the consent step follows a sign-in
    return grants.connect(
        client,
        providers.get(dialog["provider"]).institution,
        login,
        dialog["scopes"],
        redirect_uri=dialog["redirect_uri"],
        code_challenge=dialog["code_challenge"],
        selected_accounts=dialog.get("accounts"),
        once=dialog_id,
    )


# -- OAuth banks: the dialog is the bank's client, as Plaid Link is ----------------------------


def callback_uri() -> str:
    """Where the banks send the user back to the dialog."""
    return public_url() + url_for("truelayer.dialog_oauth_callback")


def bank_client_id(client: AppClient, institution_id: str) -> str:
    """The dialog's client id at a bank, one per tenant."""
    return f"{institution_id}-{client.tenant_id}-truelayer"


def bank_authorize(dialog_id: str, dialog: dict[str, Any], client: AppClient) -> WerkzeugResponse:
    """Send the user to the bank's authorize page (PKCE S256 and ``state``)."""
    institution_id = providers.get(dialog["provider"]).institution_id
    client_id = bank_client_id(client, institution_id)
    register_client(client.tenant_id, institution_id, callback_uri(), client_id, replace=True)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    dialog.update(oauth_state=state, code_verifier=verifier)
    save(dialog_id, dialog)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()
    scope = ["accounts", *(BANK_SCOPES[s] for s in dialog["scopes"] if s in BANK_SCOPES)]
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback_uri(),
            "scope": " ".join(dict.fromkeys(scope)),
            "state": state,
            "code_challenge": challenge.rstrip("="),
            "code_challenge_method": "S256",
        }
    )
    return redirect(f"{url_for('web.oauth_authorize', institution_id=institution_id)}?{query}", 303)


@bp.get("/dialog/oauth-callback")
def dialog_oauth_callback() -> Page:
    """The bank sent the user back: redeem its code, then ask for consent here."""
    found = by_oauth_state(request.args.get("state", ""))
    if found is None:
        end_dialog(400, "This sign-in link has already been used or has expired.")
    dialog_id, dialog = found
    if dialog.get("code_verifier") is None:  # the bank's page again, from the history
        return redirect(url_for("truelayer.dialog_page", dialog_id=dialog_id), 303)
    if "code" not in request.args:  # denied at the bank, or an ``error_<CODE>`` password
        return leave(dialog_id, dialog, bank_failure(oauth.refusal(request.args)))
    client = find_app_client(current_session(), dialog["client_id"])
    institution_id = providers.get(dialog["provider"]).institution_id
    tokens = oauth.exchange_code(
        institution_id,
        bank_client_id(client, institution_id),
        request.args["code"],
        callback_uri(),
        dialog["code_verifier"],
    )
    consented = oauth.consented_grant(institution_id, tokens["access_token"])
    dialog.update(code_verifier=None)  # the state stays: a return from the history finds it
    if problem := other_user(dialog, LinkFlow.load_login(consented["login"])):
        save(dialog_id, dialog)
        return render_step(dialog_id, dialog, problem, 400)
    return signed_in(dialog_id, dialog, consented["login"], list(consented["accounts"]))
