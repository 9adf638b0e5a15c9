"""Hosted Link pages: ``/link?token=...`` walks one Link session; forms POST its steps.

Each POST runs one step of ``bank.link`` and redirects (post/redirect/get). The browser
keeps its session id per link token in the signed Flask session. OAuth banks are a
round trip: Link registers itself at the bank, sends the user to the bank's authorize
page with PKCE and ``state``, and redeems the returned code at the bank's token endpoint.
Link JS's drop-in script shows the same pages in a frame on the app's page (``origin``:
``link_embed`` says what each pane then tells the app).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Response, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..core import errors, institutions
from ..core.bank import Bank, LinkFlow, TypedSteps, link_session_by_oauth_state
from ..core.models import LinkSession, LinkToken, Tenant
from ..extensions import current_session, db, tenant_bank
from ..plaid.errors import display_message
from ..shared import public_url
from . import csrf, link_embed, oauth
from .blueprint import bp
from .forms import form_int
from .oauth_clients import register_client
from .prose import sentences

# Each form's action and the steps whose panes post it (None: every pane). A form from a pane
# the session has since left (another tab, a page from the history) shows the current pane
# instead of failing the session with an error pane.
ACTION_STEPS: dict[str, tuple[str, ...] | None] = {
    "consent": (LinkFlow.CONSENT,),
    "select": (LinkFlow.SELECT,),
    "manual": (LinkFlow.SELECT,),
    "credentials": (LinkFlow.CREDENTIALS,),
    "mfa": (LinkFlow.MFA,),
    "verify": (LinkFlow.VERIFY,),
    "match": (LinkFlow.MATCH,),
    "accounts": (LinkFlow.SELECT_ACCOUNT,),
    "oauth": (LinkFlow.OAUTH,),
    "back": (LinkFlow.CREDENTIALS, LinkFlow.OAUTH),
    "retry": (LinkFlow.ERROR,),
    "exit": None,
}
# The error pane's heading: a few words; Plaid's display message follows it as the body.
TITLES = {
    "INVALID_CREDENTIALS": "Wrong username or password",
    "INVALID_MFA": "That answer didn't work",
    "ITEM_LOGIN_REQUIRED": "Log in to your bank again",
    "ITEM_LOCKED": "Your account is locked",
    "ITEM_NOT_SUPPORTED": "Account not supported",
    "USER_SETUP_REQUIRED": "Action needed at your bank",
    "PASSWORD_RESET_REQUIRED": "Reset your password first",
    "ACCESS_NOT_GRANTED": "Access not granted",
    "NO_ACCOUNTS": "No eligible accounts",
    "NO_AUTH_ACCOUNTS": "No eligible accounts",
    "NO_INVESTMENT_ACCOUNTS": "No eligible accounts",
    "NO_INVESTMENT_AUTH_ACCOUNTS": "No eligible accounts",
    "NO_LIABILITY_ACCOUNTS": "No eligible accounts",
    "INSTITUTION_DOWN": "Your bank is unavailable",
    "INSTITUTION_NOT_RESPONDING": "Your bank isn't responding",
    "INSTITUTION_NOT_AVAILABLE": "Your bank is unavailable",
    "INSTITUTION_NO_LONGER_SUPPORTED": "Bank no longer supported",
    "RATE_LIMIT_EXCEEDED": "Too many attempts",
    "INVALID_FIELD": "Check what you entered",
}
# Numbers typed by hand (Same Day micro-deposits): each field in words and its digits. The
# form lets the browser check them first; the pane for a refused one names it.
NUMBER_FIELDS = {
    "routing_number": ("routing number", TypedSteps.ROUTING_DIGITS, TypedSteps.ROUTING_DIGITS),
    "account_number": ("account number", *TypedSteps.ACCOUNT_DIGITS),
}
# A Canada-only Link's numbers (Database Insights over EFT), in the same form.
EFT_NUMBER_FIELDS = {
    "institution_number": ("institution number", *[TypedSteps.EFT_INSTITUTION_DIGITS] * 2),
    "branch_number": ("transit (branch) number", *[TypedSteps.EFT_BRANCH_DIGITS] * 2),
    "account_number": ("account number", *TypedSteps.EFT_ACCOUNT_DIGITS),
}
# The latest OAuth ``state``s this browser was sent to a bank with, and their link tokens.
OAUTH_STATES, KEPT_STATES = "link_oauth_states", 8
MAX_MFA_ANSWERS = 9  # ``mfa_questions_<n>_<m>`` asks at most 9 questions a round
# Plaid's Link shows a ``client_name`` longer than this as "This Application" (plaid.md §2.1).
LONGEST_CLIENT_NAME = 30


def app_name(link: LinkToken) -> str:
    """The app's name as Link's panes show it."""
    name = str(link.config.get("client_name") or "")
    return name if 0 < len(name) <= LONGEST_CLIENT_NAME else "This Application"


@bp.context_processor
def link_helpers() -> dict[str, Any]:
    """``app_name(link)`` in the Link panes."""
    return {"app_name": app_name}


def _open(token: str | None, embedder: str | None = None) -> tuple[Bank, LinkToken]:
    """The link token's bank and row; Link's 404 page for an unknown one (Link JS's frame,
    opened by ``embedder``, also hands the app ``onExit`` with ``INVALID_LINK_TOKEN``)."""
    link = db.session.get(LinkToken, token) if token else None
    tenant = db.session.get(Tenant, link.tenant_id) if link is not None else None
    if link is None or tenant is None:
        _unavailable(
            404,
            "This link is not valid",
            "Ask the app for a new link to connect.",
            embed=link_embed.invalid_token(embedder),
        )
    return tenant_bank(tenant), link


def _unavailable(
    status: int,
    title: str,
    advice: str,
    resume: str | None = None,
    embed: dict[str, Any] | None = None,
) -> NoReturn:
    """Stop with Link's own page (not the dashboard's): a user followed a bad or old link,
    or sent an old form (``resume``: where its Continue goes back into Link; ``embed``: what
    the page tells the app embedding it)."""
    page = render_template(
        "link/unavailable.html",
        title=title,
        advice=advice,
        status=status,
        resume=resume,
        embed=embed,
    )
    abort(Response(page, status=status, mimetype="text/html"))


def _session_lost(token: str | None, embedder: str | None) -> NoReturn:
    """Stop with Link's page for a browser that lost its session. Hosted Link offers to
    carry on (a new session); Link JS's frame (``embedder``: the origin its ticket vouches
    for) exits to the app instead, since its cookie is likely withheld every time."""
    if embedder:
        advice, resume = "Go back to the app to connect again.", None
    else:
        advice = "Continue to carry on connecting your account."
        resume = url_for("web.link_page", token=token or "")
    _unavailable(
        400,
        "This page has expired",
        f"Link could not keep your place. {advice}",
        resume,
        embed=link_embed.lost_session(embedder),
    )


def _current(bank: Bank, link: LinkToken, embedder: str | None = None) -> LinkSession:
    """This browser's unfinished session of ``link``, or a new one. Link JS's ``open()``
    (``embedder``: the opening page's origin) always starts a new one, as Plaid's does."""
    sessions: dict[str, str] = session.get("link_sessions", {})
    found = None if embedder else bank.link.find(link, sessions.get(link.token))
    if found is None:
        try:
            found = bank.link.start(link)
        except errors.InvalidLinkToken:
            _unavailable(
                410,
                "This link has expired",
                "Ask the app for a new link to connect.",
                embed=link_embed.invalid_token(embedder),
            )
        if embedder:
            link_embed.register(found, embedder)
        db.session.flush()
        session["link_sessions"] = {**sessions, link.token: found.id}
    return found


def _finished_here(link: LinkToken) -> LinkSession | None:
    """This browser's session of ``link`` if it has finished. Opening the link again starts
    a new one (Plaid's sandbox lets a link token be reused), but a form posted from a page of
    the finished one belongs to it."""
    found = db.session.get(LinkSession, session.get("link_sessions", {}).get(link.token, ""))
    if found is None or found.link_token != link.token or found.step not in LinkFlow.FINISHED:
        return None
    return found


@bp.get("/link")
def link_page() -> str:
    """The current step of this browser's Link session (``origin``: Link JS opens it)."""
    embedder, token = link_embed.requested_origin(), request.args.get("token")
    ticketed = link_embed.ticketed_origin(token)  # a pane's search form, from Link JS's frame
    if ticketed and token not in session.get("link_sessions", {}):
        _session_lost(token, ticketed)
    bank, link = _open(token, embedder or ticketed)
    current = _current(bank, link, embedder)
    context: dict[str, Any] = {
        "link": link,
        "ls": current,
        "update": LinkFlow.is_update(link),
        "can_go_back": LinkFlow.can_go_back(current, link),
        "embed": link_embed.pane(current),
    }
    if current.institution_id:
        context["bank"] = institutions.get(current.institution_id)
    if current.step == LinkFlow.SELECT:
        query = request.args.get("q", "").strip()
        context.update(query=query, institutions=LinkFlow.offered(link, query or None))
        context["manual_entry"] = TypedSteps.offers_manual_entry(link)
        context["auth_flags"] = link.config.get("auth") or {}
        eft = TypedSteps.takes_eft_numbers(link)
        context["number_fields"] = EFT_NUMBER_FIELDS if eft else NUMBER_FIELDS
        context["eft"] = eft
    elif current.step == LinkFlow.MFA:
        context["mfa"], context["round"] = LinkFlow.mfa_challenge(current)
        context["expected"] = context["mfa"].expected(context["round"])  # the sandbox's hint
    elif current.step == LinkFlow.SELECT_ACCOUNT:
        context["pane"] = bank.link.account_pane(current, link)
        context["field"], context["one"] = LinkFlow.ACCOUNT_FIELD, LinkFlow.ONE_ACCOUNT
    elif current.step == LinkFlow.MATCH:
        context["account"] = bank.link.typed.match_account(current)
        context["number_fields"] = NUMBER_FIELDS
    elif current.step == LinkFlow.ERROR:
        context["error"] = _error_pane(current.data["error"])
    return render_template(f"link/{current.step}.html", **context)


def _error_pane(error: dict[str, Any]) -> dict[str, Any]:
    """The error pane's title and body: Plaid's display message for the code, or for a field
    of Link's own form the server's reason, naming the field in words (the developer
    details keep the code and the API's message as they are)."""
    condition, field = error["condition"], error.get("field")
    title, body = TITLES.get(condition, "Something went wrong"), display_message(condition)
    words_of = {**NUMBER_FIELDS, **EFT_NUMBER_FIELDS}  # account_number: the same words
    if condition in ("INVALID_FIELD", "INSTANT_MATCH_FAILED") and field in words_of:
        words = words_of[field][0]
        title, body = f"Check the {words}", error["message"].replace(field, words)
    return {**error, "title": title, "display_message": sentences(body) if body else None}


@bp.post("/link/<action>")
def link_action(action: str) -> WerkzeugResponse:
    """Run one step of the session, then show the next one (or leave Link)."""
    if action not in ACTION_STEPS:
        abort(404)
    token = request.form.get("token")
    ticketed = link_embed.ticketed_origin(token)  # Link JS's frame: the app's origin
    if not csrf.valid():  # the browser lost its session (cookies cleared, another site)
        _session_lost(token, ticketed)
    bank, link = _open(token, ticketed)
    answers = _mfa_answers() if action == "mfa" else []  # a bad form is a 400, not a failure
    finished = _finished_here(link)
    if finished is not None:  # a form resubmitted from the history: show how it ended
        return _next(finished, link)
    current = _current(bank, link)
    if bank.link.has_expired(link):
        return _time_out(bank, current, link)
    steps = ACTION_STEPS[action]
    if steps is not None and current.step not in steps:  # a stale pane: show the current one
        return _next(current, link)
    try:
        if action == "oauth":
            return redirect(_authorize_url(bank, current, link), 303)
        _step(action, bank, current, link, answers)
    except errors.CoreError as exc:
        bank.link.fail(current, exc)
    return _next(current, link)


def _time_out(bank: Bank, current: LinkSession, link: LinkToken) -> WerkzeugResponse:
    """The link token expired while its session was open (the user took too long): Link
    exits with ``INVALID_LINK_TOKEN``, as Plaid's does, instead of finishing the session."""
    bank.link.exit_session(current, link, errors.InvalidLinkToken.condition)
    return _next(current, link)


def _mfa_answers() -> list[str]:
    """The answers of an MFA form: ``count`` (at most ``MAX_MFA_ANSWERS``) fields."""
    count = form_int("count", 1, MAX_MFA_ANSWERS, default="1")
    return [request.form.get(f"answer_{i}", "") for i in range(count)]


def _step(
    action: str, bank: Bank, current: LinkSession, link: LinkToken, answers: list[str]
) -> None:
    form = request.form
    if action == "consent":
        bank.link.accept_consent(current, link)
    elif action == "select":
        bank.link.choose_institution(current, link, form.get("institution_id", ""))
    elif action == "credentials":
        bank.link.submit_credentials(
            current, link, form.get("username", ""), form.get("password", "")
        )
    elif action == "manual" and TypedSteps.takes_eft_numbers(link):
        numbers = (form.get(field, "").strip() for field in EFT_NUMBER_FIELDS)
        institution, branch, account = numbers
        name = form.get("verification_name", "")
        bank.link.typed.submit_eft_entry(current, link, (institution, branch, account), name)
    elif action == "manual":
        bank.link.typed.submit_manual_entry(
            current,
            link,
            form.get("routing_number", "").strip(),
            form.get("account_number", "").strip(),
            form.get("verification_name", ""),
        )
    elif action == "match":
        bank.link.typed.submit_instant_match(
            current,
            link,
            form.get("routing_number", "").strip(),
            form.get("account_number", "").strip(),
        )
    elif action == "mfa":
        bank.link.submit_mfa(current, link, answers)
    elif action == "verify":
        bank.link.typed.submit_deposit_code(current, link, form.get("code", ""))
    elif action == "accounts":
        bank.link.submit_accounts(current, link, form.getlist(LinkFlow.ACCOUNT_FIELD))
    elif action == "retry":
        LinkFlow.retry(current, link)
    elif action == "back":
        LinkFlow.back_to_banks(current, link)
    else:
        bank.link.exit_session(current, link, _exit_error(current))


def _exit_error(current: LinkSession) -> str | None:
    """The condition on the error pane when the user exits (None: no error shown)."""
    condition: str | None = (current.data.get("error") or {}).get("condition")
    return condition


def _next(current: LinkSession, link: LinkToken) -> WerkzeugResponse:
    """The next page: the step, the success pane, or (an exit) straight back to the app."""
    finished = url_for("web.link_finished", token=link.token, session=current.id)
    if current.step == LinkFlow.EXITED:
        target = _return_target(current, link)
        return redirect(target or finished, 303)
    if current.step == LinkFlow.DONE:
        return redirect(finished, 303)
    return redirect(url_for("web.link_page", token=link.token), 303)


def _return_target(current: LinkSession, link: LinkToken) -> str | None:
    """The app's completion URI with the session's outcome, if the app gave one (Link JS's
    frame stays on Link's last pane: it tells the app's page instead)."""
    target = _completion_uri(link)
    if not target or link_embed.origin_of(current):
        return None
    params = {"link_session_id": current.id}
    if current.step == LinkFlow.DONE:
        params["public_token"] = current.data["public_token"]
    else:
        params["status"] = "exited"
    return _with_query(target, params)


@bp.get("/link/finished")
def link_finished() -> str:
    """The last pane: success (the accounts shared, then back to the app) or closed."""
    _bank, link = _open(request.args.get("token"))
    found = db.session.get(LinkSession, request.args.get("session", ""))
    if found is None or found.link_token != link.token or found.step not in LinkFlow.FINISHED:
        _unavailable(404, "Nothing to show here", "This Link session is not finished.")
    entry: dict[str, Any] = next(
        (e for e in link.sessions or [] if e.get("session_id") == found.id), {}
    )
    return render_template(
        "link/finished.html",
        link=link,
        ls=found,
        bank=institutions.get(found.institution_id) if found.institution_id else None,
        shared=entry.get("accounts", []),
        timed_out=entry.get("error") == errors.InvalidLinkToken.condition,
        not_added=entry.get("not_added", []),
        target=_return_target(found, link),
        embed=link_embed.outcome(link, found),
    )


def _completion_uri(link: LinkToken) -> str | None:
    hosted = link.config.get("hosted_link") or {}
    uri: str | None = hosted.get("completion_redirect_uri") or link.config.get("redirect_uri")
    return uri


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def _callback_uri() -> str:
    """Link's OAuth redirect URI, on the sandbox's configured (or loopback) address."""
    return public_url() + url_for("web.link_oauth_callback")


def _authorize_url(bank: Bank, current: LinkSession, link: LinkToken) -> str:
    institution_id = current.institution_id or ""
    client = register_client(bank.tenant.id, institution_id, _callback_uri(), replace=True)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    bank.link.begin_oauth(current, state, verifier)
    kept = [*session.get(OAUTH_STATES, {}).items(), (state, link.token)][-KEPT_STATES:]
    session[OAUTH_STATES] = dict(kept)
    if LinkFlow.is_update(link):  # the bank remembers what this user already shares
        oauth.remember_shared(state, bank.link.current_ordinals(link))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    scope = ["accounts", *(p for p in link.config.get("products") or [] if p != "assets")]
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": _callback_uri(),
            "scope": " ".join(dict.fromkeys(scope)),
            "state": state,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
    )
    return f"{url_for('web.oauth_authorize', institution_id=institution_id)}?{query}"


def _moved_on(state: str) -> WerkzeugResponse:
    """Back from the bank with a ``state`` Link has since replaced (the bank's page from the
    history after a denial, an older tab after a newer one went to the bank): Link's pane
    as it is now, as for a stale form. A ``state`` this browser was never sent with is a
    dead end."""
    token = session.get(OAUTH_STATES, {}).get(state)
    if token is None:
        _unavailable(400, "This sign-in has already ended", "Go back to the app and connect again.")
    bank, link = _open(token)
    return _next(_finished_here(link) or _current(bank, link), link)


@bp.get("/link/oauth-callback")
def link_oauth_callback() -> WerkzeugResponse:
    """The bank sent the user back: redeem the code, then create the item with the consent."""
    state = request.args.get("state", "")
    found = link_session_by_oauth_state(current_session(), state)
    if found is None or found.id not in session.get("link_sessions", {}).values():
        return _moved_on(state)
    bank, link = _open(found.link_token)
    if found.step != LinkFlow.OAUTH:  # through the bank again from the history: how it ended
        return _next(found, link)
    if bank.link.has_expired(link):
        return _time_out(bank, found, link)
    try:
        if "code" not in request.args:
            raise oauth.refusal(request.args)
        institution_id = found.institution_id or ""
        client_id = register_client(
            bank.tenant.id, institution_id, _callback_uri(), replace=True
        ).client_id
        tokens = oauth.exchange_code(
            institution_id,
            client_id,
            request.args["code"],
            _callback_uri(),
            found.data["code_verifier"],
        )
        grant = oauth.consented_grant(institution_id, tokens["access_token"])
        login = LinkFlow.load_login(grant["login"])
        bank.link.finish_oauth(found, link, login, list(grant["accounts"]))
    except errors.CoreError as exc:
        bank.link.fail(found, exc)
    return _next(found, link)
