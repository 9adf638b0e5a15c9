"""``sandbox.core.faults.spec``: rule validation, matching, every trigger and every action."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sandbox.core import errors
from sandbox.core.faults import spec as faults
from sandbox.core.faults.spec import Context
from sandbox.truelayer import errors as truelayer_errors

assert truelayer_errors.CODES  # imported: TrueLayer's codes are announced to the core

NOW = dt.datetime(2026, 3, 16, 15, 30, tzinfo=dt.UTC)
SYNC = Context(endpoint="/transactions/sync", item_id="item-a", institution_id="ins_109508")


def rule(**fields: object) -> dict[str, object]:
    return faults.validate(fields)


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"error_code": "ITEM_LOCKED", "bogus": 1}, "bogus"),
        ({}, "error_code"),
        ({"error_code": "ITEM LOCKED"}, "error_code"),
        ({"error_code": "ß" * 40}, "error_code"),  # 80 characters once upper-cased ("SS")
        ({"error_code": "ǰ"}, "error_code"),  # upper-cased: J and a combining caron
        ({"error_code": "ÉCHEC_DU_PRÊT"}, "error_code"),  # letters, but not the ASCII documented
        ({"http_status": 600}, "http_status"),
        ({"http_status": 100}, "http_status"),  # a 1xx is no final reply: the server hung up
        ({"http_status": 199}, "http_status"),
        ({"http_status": 503, "error_code": "ITEM_LOCKED"}, "http_status"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"latency": {"distribution": "zipf"}}, "latency"),
        ({"latency": {"distribution": "uniform", "min_ms": 9, "max_ms": 1}}, "latency"),
        ({"drop": True, "trigger": "nth"}, "n"),
        ({"drop": True, "trigger": "probability", "probability": 1.5}, "probability"),
        ({"drop": True, "trigger": "window"}, "start"),
        ({"drop": True, "trigger": "window", "start": "2026-03-16T10:00:00"}, "start"),
        ({"drop": True, "dialect": "gocardless"}, "dialect"),
    ],
)
def test_validate_bad_rule_names_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(errors.InvalidRequest) as caught:
        faults.validate(fields)
    assert caught.value.detail["field"] == field


def test_validate_fills_defaults_and_normalises() -> None:
    spec = rule(error_code="item_locked", start="2026-03-16T10:00:00Z", trigger="window")
    assert spec == {
        "endpoint": "*",
        "dialect": "plaid",
        "trigger": "window",
        "error_code": "ITEM_LOCKED",
        "start": "2026-03-16T10:00:00+00:00",
    }


# -- matching -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({}, True),
        ({"endpoint": "/transactions/*"}, True),
        ({"endpoint": "/accounts/*"}, False),
        ({"item_id": "item-a"}, True),
        ({"item_id": "item-b"}, False),
        ({"institution_id": "ins_109508"}, True),
        ({"institution_id": "ins_56"}, False),
        ({"dialect": "*"}, True),
    ],
)
def test_matches_on_endpoint_item_institution_dialect(
    match: dict[str, object], expected: bool
) -> None:
    assert faults.matches(rule(error_code="ITEM_LOCKED", **match), SYNC) is expected


# -- triggers -----------------------------------------------------------------------------


def fired(spec: dict[str, object], calls: int = 6, now: dt.datetime = NOW) -> list[int]:
    return [k for k in range(1, calls + 1) if faults.fires(spec, k, now, seed=7)]


def test_trigger_always_fires_every_call() -> None:
    assert fired(rule(drop=True)) == [1, 2, 3, 4, 5, 6]


def test_trigger_nth_fires_only_on_that_call() -> None:
    assert fired(rule(drop=True, trigger="nth", n=3)) == [3]


def test_trigger_next_fires_for_the_first_n_calls() -> None:
    assert fired(rule(drop=True, trigger="next", n=2)) == [1, 2]


def test_trigger_window_follows_the_simulated_clock() -> None:
    spec = rule(
        drop=True, trigger="window", start="2026-03-16T15:00:00Z", end="2026-03-16T16:00:00Z"
    )
    assert faults.fires(spec, 1, NOW, seed=7)
    assert not faults.fires(spec, 1, NOW + dt.timedelta(hours=1), seed=7)
    assert not faults.fires(spec, 1, NOW - dt.timedelta(hours=1), seed=7)


def test_trigger_probability_is_a_pure_function_of_seed_and_call_index() -> None:
    spec = rule(error_code="INSTITUTION_NOT_RESPONDING", trigger="probability", probability=0.3)
    first, second = fired(spec, 200), fired(spec, 200)
    assert first == second
    assert 40 <= len(first) <= 80  # about 30% of 200
    assert fired({**spec, "seed": 8}, 200) != first


def test_draw_does_not_depend_on_evaluation_order() -> None:
    forwards = [faults.draw(42, k) for k in range(1, 20)]
    backwards = [faults.draw(42, k) for k in reversed(range(1, 20))]
    assert forwards == list(reversed(backwards))


# -- actions ------------------------------------------------------------------------------


def test_action_error_carries_the_code() -> None:
    assert faults.action(rule(error_code="ITEM_LOCKED"), 1, 7) == faults.Action(
        "error", error_code="ITEM_LOCKED"
    )


def test_action_status_drop_truncate() -> None:
    assert faults.action(rule(http_status=503), 1, 7).http_status == 503
    assert faults.action(rule(drop=True), 1, 7).kind == "drop"
    assert faults.action(rule(truncate=True), 1, 7).kind == "truncate"


def test_action_fixed_latency_alone_or_with_an_error() -> None:
    assert faults.action(rule(latency_ms=250), 1, 7) == faults.Action("latency", 250)
    combined = faults.action(rule(latency_ms=250, error_code="ITEM_LOCKED"), 1, 7)
    assert (combined.kind, combined.latency_ms) == ("error", 250)


@pytest.mark.parametrize(
    "shape",
    [
        {"distribution": "uniform", "min_ms": 100, "max_ms": 300},
        {"distribution": "normal", "mean_ms": 200, "stddev_ms": 50},
        {"distribution": "exponential", "mean_ms": 200},
    ],
)
def test_action_latency_distribution_is_seeded(shape: dict[str, object]) -> None:
    spec = rule(latency=shape)
    draws = [faults.latency_for(spec, k, 7) for k in range(1, 50)]
    assert draws == [faults.latency_for(spec, k, 7) for k in range(1, 50)]
    assert len(set(draws)) > 10
    if shape["distribution"] == "uniform":
        assert all(100 <= d <= 300 for d in draws)


def test_error_for_known_and_unknown_codes() -> None:
    """A code no dialect knows (a rule stored before codes were checked) is the documented
    generic error, not one carrying that code; TrueLayer's own codes are TrueLayer's only."""
    assert isinstance(faults.error_for("ITEM_LOCKED"), errors.ItemLocked)
    for code, dialect in (("SOMETHING_NEW", "plaid"), ("PROVIDER_TIMEOUT", "plaid")):
        generic = faults.error_for(code, dialect)
        assert isinstance(generic, errors.InternalError) and generic.detail == {}
    assert faults.error_for("PROVIDER_TIMEOUT", "truelayer").detail["code"] == "PROVIDER_TIMEOUT"


def test_validate_refuses_a_code_of_no_dialect_naming_error_code() -> None:
    with pytest.raises(errors.InvalidField, match="error_code NOT_A_CODE is not") as refused:
        faults.validate({"error_code": "NOT_A_CODE"})
    assert refused.value.detail["field"] == "error_code"
    with pytest.raises(errors.InvalidField) as header:
        faults.parse_header("code=NOT_A_CODE")
    assert header.value.detail["field"] == "Sandbox-Fault.error_code"


def test_a_refused_code_is_worded_as_its_dialect_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The core names no dialect: the name in a refusal and the page listing the dialect's own
    codes are what the dialect registered (a dialect that registered nothing: its id)."""
    listed = errors.DialectCodes("Acme Open Banking", frozenset({"ACME_DOWN"}), "docs/acme.md")
    monkeypatch.setitem(errors.DIALECT_CODES, "truelayer", listed)
    monkeypatch.delitem(errors.DIALECT_CODES, "plaid", raising=False)
    assert faults.validate({"dialect": "truelayer", "error_code": "acme_down"})
    with pytest.raises(errors.InvalidField) as refused:
        faults.validate({"dialect": "truelayer", "error_code": "PROVIDER_TIMEOUT"})
    assert refused.value.message == (
        "error_code PROVIDER_TIMEOUT is not an error code Acme Open Banking knows: use one of "
        "the README's error table (Errors you can trigger) or Acme Open Banking's own in upper "
        "case (docs/acme.md), such as ITEM_LOCKED"
    )
    with pytest.raises(errors.InvalidField, match="is not an error code plaid knows: use one "):
        faults.validate({"dialect": "plaid", "error_code": "ACME_DOWN"})


def test_own_codes_come_with_the_page_listing_them() -> None:
    """A refusal points at where a dialect's own codes are listed: there must be one."""
    with pytest.raises(ValueError, match="Acme's own codes need the page that lists them"):
        errors.add_dialect_codes("acme", "Acme", ["ACME_DOWN"])
    assert "acme" not in errors.DIALECT_CODES


# -- the Sandbox-Fault header -------------------------------------------------------------


def test_parse_header_key_values_with_aliases() -> None:
    spec = faults.parse_header("code=INSTITUTION_NOT_RESPONDING, latency_ms=20")
    assert spec["error_code"] == "INSTITUTION_NOT_RESPONDING"
    assert spec["latency_ms"] == 20


def test_parse_header_json_and_flags() -> None:
    assert faults.parse_header('{"status": 502}')["http_status"] == 502
    assert faults.parse_header("drop")["drop"] is True


def test_parse_header_bad_value_names_the_header() -> None:
    with pytest.raises(errors.InvalidField) as caught:
        faults.parse_header("status=abc")
    assert caught.value.detail["field"] == "Sandbox-Fault.http_status"


def test_parse_header_json_nested_too_deep_names_the_header() -> None:
    """JSON deeper than the decoder recurses was a RecursionError (a 500): a rule nests one
    object (``latency``), so the header is refused past that depth, as bodies are past theirs."""
    with pytest.raises(errors.InvalidField) as caught:
        faults.parse_header('{"a": ' + "[" * 30_000 + "]" * 30_000 + "}")
    assert caught.value.detail["field"] == "Sandbox-Fault"
    assert caught.value.message.startswith("Sandbox-Fault: ")


@pytest.mark.parametrize("distribution", [{}, [], None, 3])
def test_validate_latency_distribution_of_wrong_type_names_the_field(distribution: Any) -> None:
    """A distribution that is not a name (found by schemathesis: a dict used to be a 500)."""
    with pytest.raises(errors.InvalidField) as caught:
        faults.validate({"latency": {"distribution": distribution}})
    assert caught.value.detail["field"] == "latency"
