"""The Plaid schemas that take ``start_date``..``end_date`` refuse them out of order, so the
call is ``INVALID_FIELD`` before it counts against its rate limits."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError

from sandbox.plaid import investments, processor, requests

SCHEMAS = {
    "access_token": [
        requests.TransactionsGetRequest,
        investments.InvestmentsTransactionsGetRequest,
    ],
    "processor_token": [
        processor.ProcessorTransactionsGetRequest,
        processor.ProcessorInvestmentsTransactionsGetRequest,
    ],
}
CASES = [(token, schema) for token, schemas in SCHEMAS.items() for schema in schemas]


@pytest.mark.parametrize(("token", "schema"), CASES, ids=lambda c: getattr(c, "__name__", c))
def test_end_date_before_start_date_is_refused_naming_end_date(
    token: str, schema: type[Schema]
) -> None:
    body = {token: "token-1", "start_date": "2026-03-10", "end_date": "2026-03-01"}
    with pytest.raises(ValidationError) as refused:
        schema().load(body)
    assert refused.value.messages == {"end_date": ["must not be before start_date"]}
    same_day = schema().load({**body, "start_date": "2026-03-01"})
    assert same_day["start_date"] == same_day["end_date"]
