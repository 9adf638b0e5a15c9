"""Views of the control API."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import Response, g, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.exc import SQLAlchemyError

from ..config import LARGEST_SEED
from ..core import bank as facade
from ..core import institutions
from ..core.bank import Bank, create_tenant
from ..core.errors import CoreError, InvalidBody, InvalidField, NotFound
from ..core.models import Item
from ..extensions import current_session, db, tenant_bank
from ..plaid.errors import error_type_and_status, from_validation
from ..plaid.requests import StrictBoolean, StrictInteger, UtcDateTime
from ..shared import require_admin
from . import quotas
from .blueprint import bp

OPEN_ENDPOINTS = {
    "control.tenants_create",
    "control.health",
    # the catcher is a webhook receiver: senders carry no tenant keys
    "control.webhook_catcher_receive",
    "control.webhook_catcher_list",
    "control.webhook_catcher_clear",
}


@bp.errorhandler(CoreError)
def render_error(exc: CoreError, status: int | None = None) -> tuple[Response, int]:
    """Control errors: a small JSON envelope with the condition and the field."""
    field = exc.detail.get("field")
    body = {"code": exc.condition, "message": exc.message, "field": field}
    return jsonify(error=body), status or error_type_and_status(exc)[1]


@bp.before_request
def authenticate() -> None:
    """Resolve the tenant from the Plaid headers or HTTP Basic credentials."""
    if request.endpoint in OPEN_ENDPOINTS:
        return
    auth = request.authorization
    client_id = request.headers.get("PLAID-CLIENT-ID") or (auth.username if auth else None)
    secret = request.headers.get("PLAID-SECRET") or (auth.password if auth else None)
    g.bank = tenant_bank(facade.authenticate(current_session(), client_id, secret))


def json_object() -> dict[str, Any]:
    """The request's JSON object (already screened by ``sandbox.inputs``), ``{}`` if empty."""
    if not request.get_data(cache=True):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidBody("the body must be a JSON object", field="body")
    return data


def _load(schema: Schema) -> dict[str, Any]:
    try:
        data: dict[str, Any] = schema.load(json_object())
    except ValidationError as err:
        raise from_validation(err) from None
    return data


class NoFields(Schema):
    """The body of an action that takes none: empty or ``{}``, any field refused by name."""

    class Meta:
        unknown = RAISE


def no_fields() -> None:
    """Refuse a body with fields, as the endpoints that take some refuse unknown ones."""
    _load(NoFields())


def item_in_path(item_id: str) -> Item:
    """The tenant's live item a path names (caught up to its clock); any other id is a 404
    ``NOT_FOUND``, as every unknown id in a control path is (an ``item_id`` in a query or a
    body stays ``INVALID_FIELD``, the field's error)."""
    bank: Bank = g.bank
    try:
        return bank.item_by_id(item_id)
    except InvalidField:
        raise NotFound(f"unknown item_id {item_id}", field="item_id") from None


def load_args(schema: Schema, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """The query string loaded with ``schema`` (``unknown = RAISE``: unknown parameters are
    refused, naming them); the parameters in ``lists`` may repeat."""
    raw = {
        name: request.args.getlist(name) if name in lists else request.args[name]
        for name in request.args
    }
    try:
        data: dict[str, Any] = schema.load(raw)
    except ValidationError as err:
        raise from_validation(err) from None
    return data


@bp.get("/health")
def health() -> Response | tuple[Response, int]:
    """Readiness: the database is reachable and the seed catalogue loads (else 503)."""
    try:
        db.session.execute(db.select(1))
    except SQLAlchemyError as exc:
        return jsonify(
            status="error", error=f"database unreachable: {str(exc).splitlines()[0]}"
        ), 503
    if problem := institutions.catalogue_problem():
        return jsonify(status="error", error=problem), 503
    return jsonify(status="ok")


# No control characters (Unicode's Cc): names are printed to terminals (``bank-sandbox
# tenants list``), where an escape sequence would run. ``(?![\s\S])`` is the end of the text in
# Python and in the OpenAPI document's ECMAScript alike (``$`` would let a final newline by).
PRINTABLE = validate.Regexp(
    r"^[^\x00-\x1f\x7f-\x9f]*(?![\s\S])", error="must not contain control characters"
)


class TenantCreate(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(load_default="tenant", validate=[validate.Length(1, 120), PRINTABLE])
    seed = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(0, LARGEST_SEED)
    )


@bp.post("/tenants")
def tenants_create() -> tuple[Response, int]:
    """A new isolated tenant; the secret is shown only in this reply."""
    require_admin("create tenants")
    quotas.tenant_creation()
    req = _load(TenantCreate())
    seed = req["seed"] if req["seed"] is not None else secrets.randbits(31)
    tenant, keys = create_tenant(current_session(), req["name"], seed)
    return jsonify(
        client_id=keys.client_id, secret=keys.secret, seed=tenant.seed, name=tenant.name
    ), 201


@bp.post("/reset")
def reset() -> Response:
    """Forget the tenant's items, link tokens, webhooks and clock changes (keys stay valid)."""
    no_fields()
    bank: Bank = g.bank
    bank.reset()
    return jsonify(reset=True)


class ClockChange(Schema):
    class Meta:
        unknown = RAISE

    # Whole JSON numbers: ``0.5`` days was read as 0, and the clock did not move.
    advance_days = StrictInteger(validate=validate.Range(min=0, max=3650))
    advance_seconds = StrictInteger(validate=validate.Range(min=0, max=3650 * 86400))
    set = UtcDateTime(data_key="set")
    freeze = StrictBoolean()

    @validates_schema
    def _one_change(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError(
                "give advance_days, advance_seconds, set or freeze", "advance_days"
            )


def _clock_json(bank: Bank, changed: int = 0) -> Response:
    clock = bank.clock
    return jsonify(
        now=clock.now().isoformat(),
        today=clock.today().isoformat(),
        frozen=clock.frozen_at is not None,
        items_changed=changed,
    )


@bp.get("/clock")
def clock_get() -> Response:
    """The tenant's simulated time."""
    return _clock_json(g.bank)


@bp.post("/clock")
def clock_post() -> Response:
    """Freeze, set or advance the tenant's clock; items catch up at once."""
    req = _load(ClockChange())
    bank: Bank = g.bank
    changed = bank.move_clock(
        to=req.get("set"),
        advance=dt.timedelta(
            days=req.get("advance_days", 0), seconds=req.get("advance_seconds", 0)
        ),
        freeze=req.get("freeze"),
    )
    return _clock_json(bank, len(changed))
