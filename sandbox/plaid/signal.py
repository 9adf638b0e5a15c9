"""Plaid's Signal endpoints: score an ACH debit, then report the decision and any return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Response
from marshmallow import fields, validate

from ..core import errors
from ..core.bank import Evaluation
from . import requests
from .auth import current_bank
from .blueprint import bp
from .responses import money, timestamp
from .views import load, reply

CLIENT_TRANSACTION_ID = validate.Length(1, 36)
DECISION_OUTCOMES = ("APPROVE", "REVIEW", "REJECT", "TAKE_OTHER_RISK_MEASURES", "NOT_EVALUATED")
PAYMENT_METHODS = ("SAME_DAY_ACH", "NEXT_DAY_ACH", "STANDARD_ACH", "MULTIPLE_PAYMENT_METHODS")
# ``SignalEvaluateRequest.default_payment_method``: the spec lists no NEXT_DAY_ACH here.
DEFAULT_PAYMENT_METHODS = ("SAME_DAY_ACH", "STANDARD_ACH", "MULTIPLE_PAYMENT_METHODS")


class Amount(fields.Decimal):
    """A JSON number (the spec's ``number``): ``"10"`` is refused, as ``true`` is."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _text() -> fields.String:
    """An optional string the spec allows to be null."""
    return fields.String(allow_none=True)


class SignalPersonName(requests.PlaidRequest):
    prefix = _text()
    given_name = _text()
    middle_name = _text()
    family_name = _text()
    suffix = _text()


class SignalAddressData(requests.PlaidRequest):
    city = fields.String()
    region = _text()
    street = fields.String()
    postal_code = _text()
    country = _text()


class SignalUser(requests.PlaidRequest):
    name = fields.Nested(SignalPersonName, allow_none=True)
    phone_number = _text()
    email_address = _text()
    address = fields.Nested(SignalAddressData, allow_none=True)


class SignalDevice(requests.PlaidRequest):
    ip_address = _text()
    user_agent = _text()


class EvaluateFields(requests.PlaidRequest):
    """What ``/signal/evaluate`` and its processor twin share (the user and device fields
    carry no sandbox behaviour, but they have the spec's types)."""

    client_transaction_id = fields.String(required=True, validate=CLIENT_TRANSACTION_ID)
    amount = Amount(required=True, places=2, validate=validate.Range(min=0, min_inclusive=False))
    ruleset_key = fields.String(allow_none=True, load_default=None)
    user_present = requests.StrictBoolean(allow_none=True)
    client_user_id = fields.String()
    is_recurring = requests.StrictBoolean(allow_none=True)
    default_payment_method = fields.String(
        allow_none=True, validate=validate.OneOf(DEFAULT_PAYMENT_METHODS)
    )
    user = fields.Nested(SignalUser, allow_none=True)
    device = fields.Nested(SignalDevice, allow_none=True)
    risk_profile_key = _text()


class SignalEvaluateRequest(EvaluateFields, requests.AccessTokenRequest):
    """``/signal/evaluate``."""

    account_id = fields.String(required=True, validate=validate.Length(min=1))


class DecisionFields(requests.PlaidRequest):
    """What ``/signal/decision/report`` and its processor twin share."""

    client_transaction_id = fields.String(required=True, validate=CLIENT_TRANSACTION_ID)
    initiated = requests.StrictBoolean(required=True)
    days_funds_on_hold = requests.StrictInteger(allow_none=True, validate=validate.Range(min=0))
    decision_outcome = fields.String(allow_none=True, validate=validate.OneOf(DECISION_OUTCOMES))
    payment_method = fields.String(allow_none=True, validate=validate.OneOf(PAYMENT_METHODS))
    amount_instantly_available = fields.Float(allow_none=True)


class SignalDecisionReportRequest(DecisionFields):
    """``/signal/decision/report``."""

    submitted_at = requests.UtcDateTime()


class ReturnFields(requests.PlaidRequest):
    """``/signal/return/report`` and its processor twin: ``return_code`` is a NACHA code
    such as ``R01`` (ASCII digits, and nothing after them: ``$`` would allow a newline)."""

    client_transaction_id = fields.String(required=True, validate=CLIENT_TRANSACTION_ID)
    return_code = fields.String(
        required=True, validate=validate.Regexp(r"^R[0-9]{2}\Z", error="must be a code like R01")
    )
    returned_at = requests.UtcDateTime(allow_none=True, load_default=None)


class SignalReturnReportRequest(ReturnFields):
    """``/signal/return/report``."""


def bank_tier(score: int) -> int:
    """Plaid's deprecated bank-initiated risk tier (1-8), monotone in the score."""
    return 1 + (score - 1) * 8 // 99


def customer_tier(score: int) -> int:
    """Plaid's deprecated customer-initiated risk tier (1-5), monotone in the score."""
    return 1 + (score - 1) * 5 // 99


@bp.post("/signal/prepare")
def signal_prepare() -> Response:
    """Add Signal to an item linked without it."""
    req = load(requests.AccessTokenRequest)
    current_bank().signal.prepare(req["access_token"])
    return reply()


@bp.post("/signal/evaluate")
def signal_evaluate() -> Response:
    """Return risk scores, the default ruleset's verdict and the attributes behind them."""
    req = load(SignalEvaluateRequest)
    evaluation = current_bank().signal.evaluate(
        req["access_token"],
        req["account_id"],
        req["client_transaction_id"],
        amount_minor(req),
        req["ruleset_key"],
    )
    return reply(**evaluation_json(evaluation))


@bp.post("/signal/decision/report")
def signal_decision_report() -> Response:
    """Record whether the app went ahead with a scored debit."""
    req = load(SignalDecisionReportRequest)
    ctid, initiated = req.pop("client_transaction_id"), req.pop("initiated")
    current_bank().signal.report_decision(ctid, initiated, decision_details(req))
    return reply()


@bp.post("/signal/return/report")
def signal_return_report() -> Response:
    """Record that a scored debit came back; the account's later scores rise."""
    req = load(SignalReturnReportRequest)
    current_bank().signal.report_return(
        req["client_transaction_id"], req["return_code"], req["returned_at"]
    )
    return reply()


def amount_minor(req: dict[str, Any]) -> int:
    """The request's ``amount`` (currency units, two places) in minor units."""
    amount: Decimal = req["amount"]
    return int(amount * 100)


def decision_details(req: dict[str, Any]) -> dict[str, Any]:
    """What a decision report records besides the id and ``initiated``, stored as JSON."""
    if "submitted_at" in req:
        req["submitted_at"] = timestamp(req["submitted_at"])
    return req


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    """The body of ``/signal/evaluate`` and its processor twin, ``request_id`` aside."""
    return {
        "scores": scores_json(evaluation),
        "core_attributes": attributes_json(evaluation.attributes),
        "ruleset": ruleset_json(evaluation),
        "warnings": warnings_json(evaluation.item_error),
    }


def scores_json(evaluation: Evaluation) -> dict[str, Any]:
    """Plaid's ``scores``: each risk with its (deprecated) tier."""
    return {
        "customer_initiated_return_risk": {
            "score": evaluation.customer_score,
            "risk_tier": customer_tier(evaluation.customer_score),
        },
        "bank_initiated_return_risk": {
            "score": evaluation.bank_score,
            "risk_tier": bank_tier(evaluation.bank_score),
        },
    }


def attributes_json(attributes: dict[str, Any]) -> dict[str, Any]:
    """Core attributes on the wire: money in currency units, instants as timestamps."""
    found: dict[str, Any] = {}
    for name, value in attributes.items():
        if name.endswith("_minor"):
            found[name.removesuffix("_minor")] = money(value)
        elif isinstance(value, dt.datetime):
            found[name] = timestamp(value)
        else:
            found[name] = value
    return found


def ruleset_json(evaluation: Evaluation) -> dict[str, Any]:
    """The default ruleset's verdict, with the rule that fired when it is not ACCEPT."""
    details = (
        None if evaluation.triggered_by is None else {"internal_note": evaluation.triggered_by}
    )
    return {
        "ruleset_key": evaluation.ruleset_key,
        "result": evaluation.result,
        "triggered_rule_details": details,
    }


def warnings_json(item_error: str | None) -> list[dict[str, Any]]:
    """An item in error is scored (or scheduled) from its last data, with the error as a
    warning."""
    if item_error is None:
        return []
    cls = errors.for_condition(item_error) or errors.LoginRequired
    return [
        {
            "warning_type": "ITEM_ERROR",
            "warning_code": item_error,
            "warning_message": cls().message,
        }
    ]
