"""The demo web app: server-rendered pages over the same queries and actions as the API.

Every change is a POST form carrying the session's CSRF token; failures from the provider are
shown with its message and what to do, never as a stack trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from client.api.errors import APIConnectionError, ClientError, PlaidError
from client.app import charts, queries
from client.app.api import SPENDING_DAYS, service, store
from client.app.auth import (
    check_password,
    csrf_ok,
    csrf_token,
    current_user,
    session_key,
    session_user,
    sign_in,
    sign_out,
)
from client.app.errors import AppError, NotSignedIn
from client.app.params import transaction_filters
from client.app.serialize import action_for, needs_you
from client.app.service import sync_states
from client.notify import Attempt, advice_for
from client.plural import counted, plural
from client.providers.plaid import CONNECTION_ERROR
from client.store.models import Connection, ConnectionStatus

bp = Blueprint("web", __name__)
bp.add_app_template_filter(counted)  # `{{ n | counted("page") }}`: "1 page", "2 pages"
bp.add_app_template_filter(plural)  # `{{ n | plural("matches", "match") }}`
F = TypeVar("F", bound=Callable[..., Any])
SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "CAD": "$"}
# What to do, in terms of this page's own buttons, where the fix is a button here.
BUTTON_ADVICE = {
    ConnectionStatus.LOGIN_REQUIRED: "Press “Sign in again” and sign in at your bank; the sync "
    "then catches up by itself.",
    ConnectionStatus.DISCONNECTED: "Press “Link again” to connect this bank once more.",
}
# The same, for failures whose fix starts at the bank (`serialize.UPDATE_MODE_CODES`).
CODE_BUTTON_ADVICE = {
    "ITEM_LOCKED": "Unlock your account at the bank (signing in on its own site often does), "
    "then press “Sign in again”.",
}
# What the connections page says after Link returned, by `LinkOutcome.outcome`.
LINK_MESSAGES = {
    "connected": ("Bank connected. The first sync has started.", "success"),
    "relinked": ("Linked again: the connection works and is catching up.", "success"),
    "repaired": ("Signed in again: the connection works and is catching up.", "success"),
    "still_broken": ("The bank still wants you to sign in.", "error"),
    "already": ("That Link is already finished: here is the connection.", "info"),
    "duplicate": (
        "You had already connected this bank with these accounts: nothing new was added, "
        "here is your existing connection.",
        "info",
    ),
    "duplicate_login_required": (
        "You had already connected this bank with these accounts: nothing new was added. "
        "Your existing connection below needs you to sign in again: use its Sign in again.",
        "info",
    ),
    "pending": ("That Link is still being finished: the connection appears here shortly.", "info"),
}
# The HTTP errors a visitor can reach by typing or following an address, explained on the
# app's own page; any other keeps Werkzeug's.
HTTP_PAGES = {
    404: ("Page not found", "There is no page at this address."),
    405: ("That did not work", "This page cannot be opened that way; use the app's links."),
    413: ("That was too much", "What the form sent is too large for the app to read."),
    500: ("Something went wrong", "The app failed on this page; its log says why."),
}


def signed_in(view: F) -> F:
    """Send a visitor without a session to the sign-in page (and back afterwards)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if session_user() is None:
            return redirect(url_for("web.signin", next=request.full_path.rstrip("?")))
        current_user()  # checks the CSRF token of a POST
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.app_template_filter("money")
def money(value: Decimal | None, currency: str = "USD") -> str:
    """`-$1,234.56` (a minus sign, not a hyphen, so screen readers say it)."""
    if value is None:
        return "—"
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "\N{MINUS SIGN}" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


@bp.app_template_filter("when")
def when(value: dt.datetime | None) -> str:
    """A timestamp as people read it (UTC)."""
    return value.strftime("%-d %b %Y, %H:%M UTC") if value else "never"


@bp.app_template_filter("advice")
def advice(conn: Connection) -> str:
    """What the user should do about a connection's problem. A filter, not a template
    global: filters have a namespace of their own, so a page's `advice` text can neither
    hide it nor, when left out, show it (the error page once said "What to do: <function>")."""
    return (
        BUTTON_ADVICE.get(conn.status)
        or CODE_BUTTON_ADVICE.get(conn.last_error_code or "")
        or advice_for(conn.last_error_code, paused=conn.paused)
    )


@bp.app_template_filter("sentence")
def sentence(text: str | None) -> str:
    """A provider's message as a sentence: capital first letter (some send lower case)."""
    text = (text or "").strip()
    return text[:1].upper() + text[1:]


@bp.app_context_processor
def globals_() -> dict[str, Any]:
    """What every page reads besides its own variables; helpers that take a value are
    filters instead, and no page variable may share a name with these."""
    return {"csrf_token": csrf_token, "user": session_user()}


@bp.after_app_request
def headers(reply: Response) -> Response:
    """No inline script, no framing, nothing from another origin."""
    reply.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    )
    reply.headers.setdefault("X-Content-Type-Options", "nosniff")
    reply.headers.setdefault("Referrer-Policy", "same-origin")
    return reply


def error_page(
    title: str, message: str, status: int, *, code: str | None = None, advice: str | None = None
) -> tuple[str, int]:
    """The error page, given every variable it reads: what to do only where there is advice,
    the provider's code only where it sent one."""
    page = render_template("error.html", title=title, message=message, code=code, advice=advice)
    return page, status


@bp.errorhandler(AppError)
def app_error(exc: AppError) -> Any:
    if isinstance(exc, NotSignedIn):
        return redirect(url_for("web.signin"))
    return error_page("That did not work", exc.message, exc.status)


def http_error(exc: HTTPException) -> Any:
    """Any HTTP error outside the API (an unknown address, a wrong method, a form too big to
    read, a crash): the app's page with its header and a way back, not Werkzeug's bare one;
    its headers (a 405's `Allow`) are kept."""
    status = exc.code or 500
    title, message = HTTP_PAGES.get(status, ("That did not work", exc.description or exc.name))
    page, status = error_page(title, message, status)
    return page, status, [(k, v) for k, v in exc.get_headers() if k != "Content-Type"]


@contextmanager
def attempting(attempt: str) -> Iterator[None]:
    """Calls to the provider made for `attempt` (a `notify.Attempt`): if one fails, the error
    page's advice is for that, not for a change to a connection (the pages' default)."""
    try:
        yield
    except ClientError:
        g.attempt = attempt
        raise


@bp.errorhandler(ClientError)
def provider_error(exc: ClientError) -> Any:
    """The provider refused what the user started here (pages never sync: the worker does),
    so the advice is theirs to follow, never to wait for the next scheduled sync. A provider
    that did not answer at all (the sandbox stopped) refused nothing: the page says it could
    not be reached, with the code the worker records for it, not to pick another bank."""
    plaid = exc if isinstance(exc, PlaidError) else None
    unreachable = isinstance(exc, APIConnectionError)
    code = plaid.error_code if plaid else (CONNECTION_ERROR if unreachable else None)
    message = (plaid.display_message or plaid.error_message) if plaid else str(exc)
    advice = advice_for(code, g.get("attempt", Attempt.CHANGE))
    title = "The bank's service " + ("could not be reached" if unreachable else "said no")
    return error_page(title, message, 502, code=code, advice=advice)


# -- sign-in -----------------------------------------------------------------------------------


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Any:
    """The demo's sign-in form (users from BANK_APP_USERS). Its CSRF token keeps another site
    from signing a visitor in as someone else (whose banks they would then connect)."""
    if request.method == "GET":
        return render_template("signin.html", error=None)
    if not csrf_ok(request.form.get("csrf_token", "")):
        return render_template("signin.html", error="The form expired: sign in again."), 403
    name = request.form.get("username", "").strip()
    if check_password(name, request.form.get("password", "")):
        sign_in(name)
        return redirect(_local_target(request.args.get("next", "")))
    return render_template("signin.html", error="Wrong user name or password."), 401


def _local_target(target: str) -> str:
    """Only a path on this site: no open redirect after sign-in. Browsers read `//host` and
    a backslash as a slash (`/\\host`), and drop tabs and newlines first, so a target with a
    backslash or any control character goes home instead."""
    local = target.startswith("/") and not target.startswith("//")
    return target if local and target.isprintable() and "\\" not in target else "/"


@bp.post("/signout")
@signed_in
def signout() -> BaseResponse:
    sign_out()
    return redirect(url_for("web.signin"))


# -- pages -------------------------------------------------------------------------------------


@bp.get("/")
@signed_in
def overview() -> str:
    """Balances, connections needing attention, spending by category, recent transactions."""
    user = current_user()
    end = dt.date.today()
    with store().session() as session:
        accounts = queries.accounts(session, user)
        conns = queries.connections(session, user)
        spend = queries.spending(session, user, end - dt.timedelta(days=SPENDING_DAYS), end)
        recent = queries.transactions_page(session, user, transaction_filters({"limit": "8"}))
    return render_template(
        "overview.html",
        accounts=accounts,
        connections={c.id: c for c in conns},
        attention=[c for c in conns if needs_you(c)],
        spending=charts.shares(spend),
        spending_days=SPENDING_DAYS,
        recent=recent.items,
        names={a.id: a.name for a in accounts},
    )


@bp.get("/connect")
@signed_in
def connect() -> str:
    """Connect a bank: the provider and its institutions, and the button that opens Link."""
    try:
        institutions = service().institutions()
    except ClientError:
        institutions = []  # the grid is a nicety; Link itself lists the banks
    return render_template("connect.html", institutions=institutions)


@bp.post("/connect")
@signed_in
def connect_start() -> BaseResponse:
    """Open the provider's hosted Link."""
    with attempting(Attempt.CONNECT):
        link = service().start_link(current_user(), request.host_url, session_key())
    return redirect(link.url or url_for("web.connections"), 303)


@bp.get("/connections/complete")
@signed_in
def connections_complete() -> BaseResponse:
    """Where Link returns: finish the Link this session opened (connect, link again or
    repair), once; say so when the user left."""
    public_token = request.args.get("public_token")
    if request.args.get("status") == "exited" or not public_token:
        flash("You left before finishing; nothing was connected.", "info")
        return redirect(url_for("web.connections"))
    key, state = session_key(), request.args.get("state", "")
    assert key is not None  # signed in
    with attempting(Attempt.CONNECT):
        done = service().finish_link(current_user(), key, state, public_token)
    flash(*LINK_MESSAGES[done.outcome if done.connection_id else "pending"])
    if done.outcome.startswith("duplicate"):  # nothing syncs: point at the existing one
        return redirect(url_for("web.connections", _anchor=f"connection-{done.connection_id}"))
    return redirect(url_for("web.connections", syncing=done.connection_id))


@bp.get("/connections")
@signed_in
def connections() -> str:
    """Connections with status, last sync, progress and actions."""
    user = current_user()
    with store().session() as session:
        conns = queries.connections(session, user)
        states = sync_states(session, [c.id for c in conns])
        counts = {c.id: len(queries.accounts(session, user, connection_id=c.id)) for c in conns}
    return render_template(
        "connections.html",
        connections=conns,
        states=states,
        counts=counts,
        action_for=action_for,
    )


@bp.post("/connections/<int:connection_id>/sync")
@signed_in
def connection_sync(connection_id: int) -> BaseResponse:
    service().sync(current_user(), connection_id)
    return redirect(url_for("web.connections", _anchor=f"connection-{connection_id}"), 303)


@bp.post("/connections/<int:connection_id>/pause")
@signed_in
def connection_pause(connection_id: int) -> BaseResponse:
    paused = request.form.get("paused") == "1"
    service().pause(current_user(), connection_id, paused)
    flash("Automatic syncs paused." if paused else "Automatic syncs resumed.", "success")
    return redirect(url_for("web.connections"), 303)


@bp.post("/connections/<int:connection_id>/reconnect")
@signed_in
def connection_reconnect(connection_id: int) -> BaseResponse:
    link = service().reconnect(current_user(), connection_id, request.host_url, session_key())
    return redirect(link.url or url_for("web.connections"), 303)


@bp.get("/connections/<int:connection_id>/disconnect")
@signed_in
def connection_disconnect_confirm(connection_id: int) -> str:
    """Ask first: disconnecting cannot be undone without linking again."""
    with store().session() as session:
        conn = queries.owned_connection(session, current_user(), connection_id)
    return render_template("disconnect.html", conn=conn)


@bp.post("/connections/<int:connection_id>/disconnect")
@signed_in
def connection_disconnect(connection_id: int) -> BaseResponse:
    service().disconnect(current_user(), connection_id)
    flash("Disconnected. The bank no longer shares data; your history stays here.", "success")
    return redirect(url_for("web.connections"), 303)


@bp.get("/accounts/<int:account_id>")
@signed_in
def account(account_id: int) -> str:
    """One account: balances, limits, last month's statement, the balance chart."""
    user = current_user()
    with store().session() as session:
        acc = queries.owned_account(session, user, account_id)
        history = queries.balance_history(session, acc)
        stmt = queries.statement(session, acc)
        recent = queries.transactions_page(
            session, user, transaction_filters({"limit": "10"}, account_id=account_id)
        )
        conn = acc.connection
    return render_template(
        "account.html",
        acc=acc,
        conn=conn,
        charts={"wide": charts.line(history), "narrow": charts.line(history, charts.NARROW, 3)},
        statement=stmt,
        recent=recent.items,
    )


@bp.get("/transactions")
@signed_in
def transactions() -> Any:
    """The transactions table: filters, sort by date or amount, cursor pages, the total."""
    user = current_user()
    try:
        filters = transaction_filters(request.args)
    except AppError as exc:
        flash(exc.message, "error")
        filters = transaction_filters({})
    with store().session() as session:
        page = queries.transactions_page(session, user, filters)
        accounts = queries.accounts(session, user)
        categories = queries.categories(session, user)
    base = filters.without_page()
    return render_template(
        "transactions.html",
        page=page,
        f=filters,
        accounts=accounts,
        names={a.id: a.name for a in accounts},
        categories=categories,
        sort_link=lambda sort, order: "?" + urlencode({**base, "sort": sort, "order": order}),
        next_link="?" + urlencode({**base, "cursor": page.next_cursor})
        if page.next_cursor
        else None,
        first_link="?" + urlencode(base) if filters.cursor else None,
    )
