"""Plaid's institution catalogue endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response

from ..core import institutions
from ..core.errors import InvalidInstitution
from ..core.institutions import Institution
from . import requests
from .auth import current_bank
from .blueprint import bp
from .responses import InstitutionSchema, timestamp
from .views import load, reply

# DIVERGES: health comes from the catalogue, so every status dates from one fixed instant.
STATUS_SINCE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
STATUS_PRODUCTS = (
    "item_logins",
    "transactions_updates",
    "auth",
    "identity",
    "balance",
    "investments_updates",
    "liabilities_updates",
    "investments",
    "liabilities",
)
BREAKDOWN = {
    "HEALTHY": (0.99, 0.005, 0.005),
    "DEGRADED": (0.62, 0.03, 0.35),
    "DOWN": (0.0, 0.01, 0.99),
}


def status_json(
    institution: Institution, now_text: str | None, level: str | None = None
) -> dict[str, Any]:
    """Per-product health: ``level`` (a tenant's override) or the catalogue's ``status``."""
    level = level or institution.status
    success, error_plaid, error_institution = BREAKDOWN[level]
    entry = {
        "status": level,
        "last_status_change": now_text,
        "breakdown": {
            "success": success,
            "error_plaid": error_plaid,
            "error_institution": error_institution,
            "refresh_interval": "NORMAL",
        },
    }
    return {product: entry for product in STATUS_PRODUCTS}


@bp.post("/institutions/get")
def institutions_get() -> Response:
    """A page of the catalogue, filtered by country and options."""
    req = load(requests.InstitutionsGetRequest)
    options = req["options"]
    found = institutions.search(
        country_codes=req["country_codes"],
        products=options.get("products"),
        oauth=options.get("oauth"),
        routing_numbers=options.get("routing_numbers"),
    )
    page = found[req["offset"] : req["offset"] + req["count"]]
    return reply(institutions=_schema(options).dump(page, many=True), total=len(found))


@bp.post("/institutions/get_by_id")
def institutions_get_by_id() -> Response:
    """One institution, optionally with metadata and health status."""
    req = load(requests.InstitutionsGetByIdRequest)
    institution = institutions.get(req["institution_id"])
    if not set(institution.country_codes) & set(req["country_codes"]):
        raise InvalidInstitution(field="institution_id")
    options = req["options"]
    status = None
    if options.get("include_status"):
        bank = current_bank()
        level = bank.faults.health_of(institution.institution_id)
        since = bank.faults.health_changed_at(institution.institution_id)
        status = status_json(institution, timestamp(since or STATUS_SINCE), level)
    return reply(institution=_schema(options, status).dump(institution))


@bp.post("/institutions/search")
def institutions_search() -> Response:
    """Institutions whose name matches ``query``."""
    req = load(requests.InstitutionsSearchRequest)
    options = req["options"]
    found = institutions.search(
        country_codes=req["country_codes"],
        query=req["query"],
        products=req.get("products"),
        oauth=options.get("oauth"),
    )
    return reply(institutions=_schema(options).dump(found, many=True))


def _schema(options: dict[str, Any], status: dict[str, Any] | None = None) -> InstitutionSchema:
    """The ``Institution`` dump with what the request's ``include_*`` options ask for."""
    return InstitutionSchema(
        optional_metadata=bool(options.get("include_optional_metadata")),
        auth_metadata=bool(options.get("include_auth_metadata")),
        payment_initiation_metadata=bool(options.get("include_payment_initiation_metadata")),
        status=status,
    )
