"""Try Link from the dashboard: open hosted Link for the signed-in tenant and see its result.

The form makes the configuration ``/link/token/create`` would store (through Plaid's own
request schema, so the same rules apply), with Hosted Link's completion redirect pointing
back here. Link ends on ``/dashboard/try-link/done`` with the public token, which one click
exchanges for an access token, as an app's server would (update mode's needs no exchange: the
item keeps its access token, so the page offers none); the exchange redirects to
``/dashboard/try-link/result`` (post/redirect/get), which shows this browser's last exchange
(kept with the signed-in tenant in the session: the sandbox stores only access tokens'
digests). Update mode needs an access token of the item; the dashboard issues a fresh one.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response as WerkzeugResponse

from ...core import errors, institutions
from ...core.bank import live_items
from ...extensions import current_session
from ...plaid.errors import from_validation
from ...plaid.link_requests import LinkTokenCreateRequest
from ..blueprint import bp
from .overview import owned_item
from .session import SESSION_KEY, back, bank, signed_in

PRODUCTS = ("transactions", "auth", "identity", "liabilities", "investments", "assets")
COUNTRIES = (
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("NL", "Netherlands"),
    ("DE", "Germany"),
    ("FR", "France"),
)
CLIENT_NAME = "Sandbox dashboard"
EXCHANGED = "try_link_exchanged"  # the last exchange, in the signed-in tenant's session entry


@bp.get("/dashboard/try-link")
@signed_in
def dashboard_try_link() -> str:
    """The form: products, country, and a new item or update mode for one of the tenant's."""
    return _form({}, None)


@bp.post("/dashboard/try-link")
@signed_in
def dashboard_try_link_open() -> WerkzeugResponse | tuple[str, int]:
    """Make a link token from the form and send the browser into hosted Link."""
    try:
        link = bank().create_link_token(_config())
    except errors.CoreError as exc:
        return _form(request.form.to_dict(), exc), 400
    return redirect(url_for("web.link_page", token=link.token), 303)


def _config() -> dict[str, Any]:
    form = request.form
    body: dict[str, Any] = {
        "client_name": form.get("client_name", "").strip() or CLIENT_NAME,
        "language": "en",
        "country_codes": [form.get("country", "US")],
        "user": {"client_user_id": f"dashboard-{bank().tenant.client_id[:8]}"},
        "hosted_link": {
            "completion_redirect_uri": url_for("web.dashboard_try_link_done", _external=True)
        },
    }
    if form.get("mode") == "update":
        item = bank().item_by_id(form.get("item_id", ""))
        body["access_token"] = bank().issue_access_token(item)
    else:
        products = form.getlist("products")
        if not products:
            raise errors.MissingFields("choose at least one product", field="products")
        body["products"] = products
    try:
        config: dict[str, Any] = LinkTokenCreateRequest().load(body)
    except ValidationError as err:
        raise from_validation(err) from None
    return config


@bp.get("/dashboard/try-link/done")
@signed_in
def dashboard_try_link_done() -> str:
    """Where Link hands back: the public token (or the exit) of the session."""
    public_token = request.args.get("public_token")
    return render_template(
        "dashboard/try_link_done.html",
        public_token=public_token,
        updated=bank().updated_item(public_token) if public_token else None,
        session_id=request.args.get("link_session_id"),
        status=request.args.get("status"),
        result=None,
    )


@bp.post("/dashboard/try-link/exchange")
@signed_in
def dashboard_try_link_exchange() -> WerkzeugResponse | tuple[str, int]:
    """Exchange the public token as an app's server would, then show the access token and
    item on the result's own page; the token this browser exchanged last goes there again
    (Back, then Exchange once more) instead of failing as spent."""
    public_token = request.form.get("public_token", "")
    held = session[SESSION_KEY]
    if held.get(EXCHANGED, {}).get("public_token") != public_token:
        try:
            access_token, item = bank().exchange_public_token(public_token)
        except errors.CoreError as exc:
            page = render_template(
                "dashboard/try_link_done.html", public_token=public_token, error=exc, result=None
            )
            return page, 400
        exchanged = {"public_token": public_token, "access_token": access_token, "item": item.id}
        # With the tenant's sign-in: signing out, or in as another tenant, forgets it.
        session[SESSION_KEY] = {**held, EXCHANGED: exchanged}
    return back("web.dashboard_try_link_result")


@bp.get("/dashboard/try-link/result")
@signed_in
def dashboard_try_link_result() -> str | WerkzeugResponse:
    """This browser's last exchange: the access token and the item (404 once it is removed)."""
    exchanged = session[SESSION_KEY].get(EXCHANGED)
    if exchanged is None:
        return back("web.dashboard_try_link")
    item = owned_item(exchanged["item"])
    result = {
        "access_token": exchanged["access_token"],
        "item": item,
        "bank": institutions.get(item.institution_id),
    }
    return render_template("dashboard/try_link_done.html", public_token=None, result=result)


def _form(values: dict[str, Any], error: errors.CoreError | None) -> str:
    return render_template(
        "dashboard/try_link.html",
        values=values,
        chosen=request.form.getlist("products") if values else ["transactions"],
        error=error,
        error_field=error.detail.get("field") if error else None,
        products=PRODUCTS,
        countries=COUNTRIES,
        items=[
            (item, institutions.get(item.institution_id))
            for item in live_items(current_session(), bank().tenant)
        ],
        default_name=CLIENT_NAME,
    )
