"""Control API for the unhappy paths: fault rules, the fault log, institution health, rate limits.

| method and path | does |
|---|---|
| ``POST /control/faults`` | add a rule (``sandbox.core.faults.spec`` fields) |
| ``GET /control/faults`` / ``DELETE /control/faults`` | list / remove every rule |
| ``DELETE /control/faults/<id>`` | remove one rule |
| ``GET /control/faults/log`` | injected faults, oldest first, with the rule that fired |
| ``GET /control/institutions/health`` | the tenant's health overrides |
| ``PUT``/``DELETE /control/institutions/<id>/health`` | set DOWN, DEGRADED, HEALTHY / undo |
| ``GET``/``PUT /control/rate-limits`` | effective limits / switch them and override per endpoint |
"""

from __future__ import annotations

from flask import Response, current_app, g, jsonify
from werkzeug.exceptions import HTTPException

from ..core import institutions
from ..core.bank import Bank
from ..core.errors import InvalidField, InvalidInstitution, NotFound
from .blueprint import bp
from .routes import json_object


def _bank() -> Bank:
    bank: Bank = g.bank
    return bank


@bp.post("/faults")
def faults_add() -> tuple[Response, int]:
    """Store a fault rule for the tenant; it applies from the next call."""
    bank = _bank()
    rule = bank.faults.add_rule(json_object(), bank.now())
    return jsonify(bank.faults.rule_json(rule)), 201


@bp.get("/faults")
def faults_list() -> Response:
    """The tenant's rules in evaluation order, with their match and fire counts."""
    faults = _bank().faults
    return jsonify(rules=[faults.rule_json(r) for r in faults.rules()])


@bp.delete("/faults")
def faults_clear() -> Response:
    """Remove every rule of the tenant."""
    return jsonify(removed=_bank().faults.clear_rules())


@bp.delete("/faults/<int:rule_id>")
def faults_delete(rule_id: int) -> Response:
    """Remove one rule."""
    _bank().faults.delete_rule(rule_id)
    return jsonify(removed=1)


@bp.get("/faults/log")
def faults_log() -> Response:
    """Injected faults (rules, header, health, rate limits), oldest first."""
    return jsonify(requests=_bank().faults.log())


@bp.get("/institutions/health")
def institutions_health() -> Response:
    """The tenant's institution health overrides."""
    return jsonify(institutions=_bank().faults.health_overrides())


@bp.put("/institutions/<institution_id>/health")
def institution_health_set(institution_id: str) -> Response:
    """Mark an institution DOWN, DEGRADED (``failure_rate``, default 0.5) or HEALTHY."""
    _known_institution(institution_id)
    data = json_object()
    if unknown := set(data) - {"status", "failure_rate"}:
        raise InvalidField(f"unknown field: {sorted(unknown)[0]}", field=sorted(unknown)[0])
    status, rate = data.get("status"), data.get("failure_rate")
    if not isinstance(status, str):
        raise InvalidField("status is required: HEALTHY, DEGRADED or DOWN", field="status")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)):
        raise InvalidField("failure_rate must be a number from 0 to 1", field="failure_rate")
    bank = _bank()
    row = bank.faults.set_health(institution_id, status.upper(), bank.now(), rate)
    return jsonify(
        institution_id=row.institution_id, status=row.status, failure_rate=row.failure_rate
    )


@bp.delete("/institutions/<institution_id>/health")
def institution_health_clear(institution_id: str) -> Response:
    """Back to the catalogue's status."""
    _known_institution(institution_id)
    removed = _bank().faults.clear_health(institution_id)
    return jsonify(removed=removed)


def _known_institution(institution_id: str) -> None:
    """A 404 ``NOT_FOUND`` for an id the catalogue lacks, as for every unknown id in a
    control path (setting one was a 400 ``INVALID_INSTITUTION``, clearing one a 200)."""
    try:
        institutions.get(institution_id)
    except InvalidInstitution:
        raise NotFound(f"unknown institution_id {institution_id}", field="institution_id") from None


@bp.get("/rate-limits")
def rate_limits_get() -> Response:
    """The tenant's effective limits per endpoint (empty when switched off)."""
    return _limits_reply(_bank())


@bp.put("/rate-limits")
def rate_limits_put() -> Response:
    """Switch limits on or off and override ``per_item``/``per_client`` per endpoint."""
    data = json_object()
    if unknown := set(data) - {"enabled", "limits"}:
        raise InvalidField(f"unknown field: {sorted(unknown)[0]}", field=sorted(unknown)[0])
    enabled, overrides = data.get("enabled", True), data.get("limits") or {}
    if not isinstance(enabled, bool):
        raise InvalidField("enabled must be true or false", field="enabled")
    if not isinstance(overrides, dict) or not all(isinstance(v, dict) for v in overrides.values()):
        raise InvalidField("limits maps endpoints to {per_item, per_client}", field="limits")
    for endpoint in overrides:
        _served(endpoint)
    bank = _bank()
    bank.faults.configure_limits(enabled, overrides)
    return _limits_reply(bank)


# The blueprints whose calls pass a dialect's fault gate, where rate limits are counted.
_COUNTED_BLUEPRINTS = {"plaid", "truelayer", "truelayer_data"}


def _served(endpoint: str) -> None:
    """Refuse a limit for a path no provider API endpoint answers: a typo, or a path of the
    control API or the dashboard, would be stored and limit nothing. Any provider endpoint's
    path will do, ids included: calls are counted by their path. A catch-all (``<path:…>``:
    the Data API's 404 in TrueLayer's format) is none."""
    routes = current_app.url_map.bind("sandbox.invalid")
    for method in ("GET", "POST", "PUT", "DELETE"):
        try:
            rule, _args = routes.match(endpoint, method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint.split(".")[0] in _COUNTED_BLUEPRINTS and "<path:" not in rule.rule:
            return
    raise InvalidField(
        f"no Plaid or TrueLayer endpoint answers at {endpoint}", field=f"limits.{endpoint}"
    )


def _limits_reply(bank: Bank) -> Response:
    """The tenant's switch (the one the dialects' quotas follow too) and effective limits."""
    on = _default_on()
    table = bank.faults.limits(on)
    return jsonify(
        enabled=bank.faults.limits_enabled(on), limits=bank.faults.describe_limits(table)
    )


def _default_on() -> bool:
    return str(current_app.config["RATE_LIMITS"]) != "off"
