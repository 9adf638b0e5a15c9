"""Dashboard page of the unhappy paths: fault rules, institution health, the fault log.

The add-rule form posts the fields of ``sandbox.core.faults.spec`` (the control API's JSON
and the CLI's options), so a rule made here is the same rule as one made over HTTP.
"""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from ...core import errors, institutions
from ..blueprint import bp
from ..forms import form_number
from .session import attempt, back, bank, signed_in

ACTIONS = ("error_code", "http_status", "drop", "truncate", "latency_only")
TEXT_FIELDS = ("endpoint", "item_id", "institution_id", "latency_ms", "trigger")
TRIGGER_FIELDS = {
    "nth": ("n",),
    "next": ("n",),
    "probability": ("probability", "seed"),
    "window": ("start", "end"),
}
COMMON_CODES = (
    "ITEM_LOGIN_REQUIRED",
    "INSTITUTION_DOWN",
    "INSTITUTION_NOT_RESPONDING",
    "RATE_LIMIT",
    "PRODUCT_NOT_READY",
    "INTERNAL_SERVER_ERROR",
    "ITEM_LOCKED",
)
LOG_SHOWN = 100
# The field each action cannot do without (drop and truncate need none).
ACTION_NEEDS = {
    "error_code": "error_code",
    "http_status": "http_status",
    "latency_only": "latency_ms",
}
LABELS = {
    "endpoint": "Endpoint glob",
    "institution_id": "Institution id",
    "item_id": "Item id",
    "action": "Action",
    "error_code": "Provider error code",
    "http_status": "HTTP status",
    "latency_ms": "Added latency (ms)",
    "trigger": "When",
    "n": "n",
    "probability": "Probability",
    "seed": "Seed",
    "start": "Window start",
    "end": "Window end",
}


@bp.get("/dashboard/faults")
@signed_in
def dashboard_faults() -> str:
    """Rules, health overrides and the injected-fault log of the tenant."""
    return _page(MultiDict(), None)


@bp.post("/dashboard/faults")
@signed_in
def dashboard_faults_add() -> str | WerkzeugResponse | tuple[str, int]:
    """Add a rule from the form; a bad field re-shows the form with the core's message."""
    try:
        rule = bank().faults.add_rule(rule_fields(request.form), bank().now(), _seen_count())
    except errors.CoreError as exc:
        return _page(request.form, exc), 400
    flash(f"Rule {rule.id} added: it applies from the next call.", "ok")
    return back("web.dashboard_faults")


def _seen_count() -> int | None:
    """How many rules the page that sent the form showed (none from an older page)."""
    raw = request.form.get("seen", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise errors.InvalidField("seen is not a rule count this page showed", field="seen")
    return int(raw)


def rule_fields(form: MultiDict[str, str]) -> dict[str, Any]:
    """The non-empty rule fields of the form, as the control API would receive them."""
    raw: dict[str, Any] = {k: form[k].strip() for k in TEXT_FIELDS if form.get(k, "").strip()}
    action = form.get("action", "")
    if action not in ACTIONS:
        raise errors.InvalidField(f"action must be one of {', '.join(ACTIONS)}", field="action")
    needed = ACTION_NEEDS.get(action)
    if needed and not form.get(needed, "").strip():
        raise errors.MissingFields(f"{needed}: required for this action", field=needed)
    if action in ("drop", "truncate"):
        raw[action] = True
    elif action != "latency_only":
        raw[action] = form[action].strip()
    for name in TRIGGER_FIELDS.get(raw.get("trigger", ""), ()):
        if form.get(name, "").strip():
            raw[name] = form[name].strip()
    return raw


@bp.post("/dashboard/faults/<int:rule_id>/delete")
@signed_in
def dashboard_fault_delete(rule_id: int) -> WerkzeugResponse:
    """Remove one rule."""

    def delete() -> str:
        bank().faults.delete_rule(rule_id)
        return f"Rule {rule_id} deleted."

    attempt(delete)
    return back("web.dashboard_faults")


@bp.get("/dashboard/faults/clear")
@signed_in
def dashboard_faults_clear_confirm() -> str:
    """Ask before removing every rule."""
    count = len(bank().faults.rules())
    return render_template(
        "dashboard/confirm.html",
        title="Clear every fault rule?",
        consequence=f"All {count} rule(s) of this tenant go; calls behave normally again.",
        action=url_for("web.dashboard_faults_clear"),
        verb="Clear all rules",
        cancel=url_for("web.dashboard_faults"),
    )


@bp.post("/dashboard/faults/clear")
@signed_in
def dashboard_faults_clear() -> WerkzeugResponse:
    """Remove every rule of the tenant (after the confirmation page)."""
    if request.form.get("confirm") != "yes":
        return back("web.dashboard_faults_clear_confirm")
    removed = bank().faults.clear_rules()
    flash(f"Removed {removed} rule(s).", "ok")
    return back("web.dashboard_faults")


@bp.post("/dashboard/health/<institution_id>")
@signed_in
def dashboard_health(institution_id: str) -> WerkzeugResponse:
    """Set an institution DOWN, DEGRADED or HEALTHY for the tenant, or back to the catalogue."""
    status = request.form.get("status", "")

    def change() -> str:
        if status == "CATALOGUE":
            bank().faults.clear_health(institution_id)
            return f"{institution_id} follows the catalogue again."
        rate = form_number("failure_rate")
        row = bank().faults.set_health(institution_id, status, bank().now(), rate)
        return f"{institution_id} is now {row.status}."

    attempt(change, place="health")
    return back("web.dashboard_faults", _anchor="health")


def _page(form: MultiDict[str, str], error: errors.CoreError | None) -> str:
    faults = bank().faults
    overrides = {o["institution_id"]: o for o in faults.health_overrides()}
    banks = [
        (ins, faults.health_of(iid), overrides.get(iid))
        for iid, ins in institutions.catalogue().items()
    ]
    return render_template(
        "dashboard/faults.html",
        rules=faults.rules(),
        rule_count=faults.rule_count,
        log=list(reversed(faults.log(LOG_SHOWN))),
        banks=banks,
        statuses=faults.STATUSES,
        triggers=faults.TRIGGERS,
        codes=COMMON_CODES,
        form=form,
        error=error,
        error_field=error.detail.get("field") if error else None,
        labels=LABELS,
    )
