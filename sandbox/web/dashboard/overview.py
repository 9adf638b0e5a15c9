"""The dashboard's overview pages: signing in, the clock, the items and one item."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from ...control.transactions import page_body, parse_query
from ...core import errors, institutions
from ...core.bank import Clock, authenticate, live_items
from ...core.models import Item
from ...extensions import current_session
from .. import csrf
from ..blueprint import bp
from ..forms import form_int
from .connections import connection_rows
from .session import attempt, back, bank, sign_in, sign_out, signed_in
from .webhooks import event_states

CLOCK_STEPS = (1, 7, 30)
CLOCK_STATES = ("frozen", "running")  # what a clock set to a date and time does next
SPARK_DAYS = 90
ITEM_PAGE = 25
# -- signing in -------------------------------------------------------------------------------


@bp.route("/dashboard/login", methods=["GET", "POST"])
def dashboard_login() -> str | WerkzeugResponse | tuple[str, int]:
    """Sign in with a tenant's API keys (those printed by ``bank-sandbox serve``)."""
    if request.method == "GET":
        return render_template("dashboard/login.html", client_id="")
    csrf.check()
    client_id = request.form.get("client_id", "").strip()
    try:
        tenant = authenticate(current_session(), client_id, request.form.get("secret"))
    except errors.CoreError:
        message = "Those keys do not match a tenant of this sandbox."
        return render_template("dashboard/login.html", client_id=client_id, error=message), 401
    sign_in(tenant)
    session.pop(csrf.FIELD, None)  # a fresh token for the signed-in session
    target = request.args.get("next", "")
    safe = target.startswith("/dashboard") and not target.startswith("//")
    return redirect(target if safe else url_for("web.dashboard_overview"), 303)


@bp.post("/dashboard/logout")
def dashboard_logout() -> WerkzeugResponse:
    """Sign out: this browser and every other signed in as the tenant (``sign_out``)."""
    csrf.check()
    sign_out()
    flash("Signed out.", "ok")
    return back("web.dashboard_login")


# -- overview: clock and items ----------------------------------------------------------------


@bp.get("/dashboard")
@signed_in
def dashboard_overview() -> str:
    """The clock and every live item of the tenant."""
    rows = [
        {"item": item, "bank": institutions.get(item.institution_id)}
        for item in live_items(current_session(), bank().tenant)
    ]
    return render_template(
        "dashboard/overview.html",
        clock=bank().clock,
        rows=rows,
        steps=CLOCK_STEPS,
        clock_states=CLOCK_STATES,
        earliest=_next_minute(bank().now()),
        connections=connection_rows(),
    )


def _next_minute(now: dt.datetime) -> str:
    """The first whole minute not before ``now``, as a ``datetime-local`` value: the set form
    starts there (the clock only moves forward, and the field holds no seconds)."""
    whole = now.replace(second=0, microsecond=0)
    return f"{whole if whole == now else whole + dt.timedelta(minutes=1):%Y-%m-%dT%H:%M}"


@bp.post("/dashboard/clock")
@signed_in
def dashboard_clock() -> WerkzeugResponse:
    """Advance the simulated clock by whole days, set it to a date and time (frozen there or
    running on), or freeze / unfreeze it."""
    change = request.form.get("change", "")
    if change in ("freeze", "unfreeze"):
        attempt(lambda: _freeze(change == "freeze"))
        return back("web.dashboard_overview")
    # A malformed form is a 400 page naming the field; what the clock refuses is flashed.
    if change == "set":
        to, then = _form_instant("set"), _form_choice("then", CLOCK_STATES)
        attempt(lambda: _set(to, then))
    else:
        days = form_int("days", 1, 3650)
        attempt(lambda: _advance(days))
    return back("web.dashboard_overview")


def _freeze(freeze: bool) -> str:
    bank().move_clock(freeze=freeze)
    state = "frozen" if freeze else "unfrozen"
    return f"Clock {state} at {bank().now():%Y-%m-%d %H:%M} UTC."


def _set(to: dt.datetime, then: str) -> str:
    changed = bank().move_clock(to=to, freeze=then == "frozen", seen=_seen_clock())
    return (
        f"Clock set to {bank().now():%Y-%m-%d %H:%M} UTC, {then}; {len(changed)} item(s) changed."
    )


def _advance(days: int) -> str:
    changed = bank().move_clock(advance=dt.timedelta(days=days), seen=_seen_clock())
    return f"Advanced {days} day(s) to {bank().now():%Y-%m-%d}; {len(changed)} item(s) changed."


def _form_choice(name: str, choices: tuple[str, ...]) -> str:
    raw = request.form.get(name, "")
    if raw not in choices:
        raise errors.InvalidField(f"{name} must be one of {', '.join(choices)}", field=name)
    return raw


def _form_instant(name: str) -> dt.datetime:
    """A ``datetime-local`` field (``2026-04-01T09:00``, the page's times are UTC) as a UTC
    instant; an offset, if a script sends one, is honoured."""
    raw = request.form.get(name, "").strip()
    try:
        when = dt.datetime.fromisoformat(raw)
        return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise errors.InvalidField(
            f"{name} must be a date and time such as 2026-04-01T09:00 (UTC)", field=name
        ) from None


def _seen_clock() -> Clock | None:
    """The clock the page showed (None: a form without it, such as a script's)."""
    raw = request.form.get("seen")
    if raw is None:
        return None
    try:
        return Clock.of_version(raw)
    except ValueError:
        raise errors.InvalidField("seen is not a clock this page showed", field="seen") from None


@bp.get("/dashboard/items/<item_id>/remove")
@signed_in
def dashboard_item_remove_confirm(item_id: str) -> str:
    """Ask before removing: the item's access tokens stop working for good."""
    item = owned_item(item_id)
    return render_template(
        "dashboard/confirm.html",
        title=f"Remove {institutions.get(item.institution_id).name} item?",
        consequence=(
            f"Item {item.id} and its {len(item.accounts)} account(s) go away; every access "
            "token of it fails with ITEM_NOT_FOUND from now on. This cannot be undone."
        ),
        action=url_for("web.dashboard_item_action", item_id=item.id, action="remove"),
        verb="Remove item",
        cancel=url_for("web.dashboard_item", item_id=item.id),
    )


@bp.post("/dashboard/items/<item_id>/<any(reset_login, remove):action>")
@signed_in
def dashboard_item_action(item_id: str, action: str) -> WerkzeugResponse:
    """``reset_login`` (force ``ITEM_LOGIN_REQUIRED``) or ``remove`` an item (confirmed).

    Reset login comes back to the page it was clicked on: the overview's rows say
    ``return_to=overview``; otherwise the item's page."""
    item = owned_item(item_id)
    if action == "reset_login":
        attempt(lambda: f"{bank().force_login_required(item).id} now needs a new login.")
        if request.form.get("return_to") == "overview":
            return back("web.dashboard_overview")
        return back("web.dashboard_item", item_id=item.id)
    if request.form.get("confirm") != "yes":
        return back("web.dashboard_item_remove_confirm", item_id=item.id)
    bank().remove(item)
    flash(f"Removed {item.id}; its access tokens now fail with ITEM_NOT_FOUND.", "ok")
    return back("web.dashboard_overview")


# -- one item ---------------------------------------------------------------------------------


def owned_item(item_id: str) -> Item:
    """A live item of the signed-in tenant, caught up to its clock; 404 for anyone else's."""
    try:
        return bank().item_by_id(item_id)
    except errors.InvalidField:
        abort(404, description="No such item for this tenant.")


@bp.get("/dashboard/items/<item_id>")
@signed_in
def dashboard_item(item_id: str) -> str | WerkzeugResponse:
    """Accounts with balance sparklines, the latest transactions and the item's webhooks."""
    item, tenant_bank_ = owned_item(item_id), bank()
    today = tenant_bank_.clock.today()
    start = max(today - dt.timedelta(days=SPARK_DAYS - 1), item.history_start)
    series = tenant_bank_.balance_history(item, list(item.accounts), start, today)
    query = MultiDict(
        {"item_id": item.id, "limit": str(ITEM_PAGE), "cursor": request.args.get("cursor", "")}
    )
    try:
        found = tenant_bank_.explore_transactions(parse_query(query))
    except errors.InvalidField:  # a stale or edited cursor: start again at the newest
        return redirect(url_for("web.dashboard_item", item_id=item.id), 303)
    return render_template(
        "dashboard/item.html",
        item=item,
        bank_row=institutions.get(item.institution_id),
        charts=[(s.account, sparkline(s.points)) for s in series],
        page=page_body(found),
        paged=bool(request.args.get("cursor")),
        names={a.id: a.name for a in item.accounts},
        **event_states(tenant_bank_.outbox.events(item_id=item.id, limit=20)),
    )


def sparkline(
    points: list[tuple[dt.date, int]], width: int = 160, height: int = 40
) -> dict[str, Any]:
    """SVG coordinates of a balance series (line and area), with its range for the label."""
    values = [v for _, v in points] or [0]
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = width / max(len(values) - 1, 1)
    coords = " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
    )
    return {
        "points": coords,
        "area": f"0,{height} {coords} {width},{height}",
        "width": width,
        "height": height,
        "first": values[0],
        "last": values[-1],
        "low": low,
        "high": high,
        "days": len(points),
    }


@bp.app_template_filter("money")
def money_filter(minor: int | None, currency: str = "") -> str:
    """Minor units as ``1,234.56 USD`` (an em dash for no value)."""
    if minor is None:
        return "—"
    return f"{minor / 100:,.2f} {currency}".strip()


@bp.app_template_filter("when")
def when_filter(moment: dt.datetime | None) -> str:
    """A timestamp as ``2026-03-16 15:30:00 UTC``."""
    if moment is None:
        return "—"
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


# Webhook and fault pages register on ``bp`` when imported.
