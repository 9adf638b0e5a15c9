"""The ``bank_sandbox`` pytest plugin, exercised through inner pytest runs (pytester)."""

from __future__ import annotations

import pytest


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    """Run ``source`` as a test module in a child pytest (in-process runs would re-import
    the sandbox's modules between sessions and mix two copies of its classes)."""
    pytester.makepyfile(source)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", *args)


def test_plugin_tenants_are_isolated_between_tests(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        seen = {}

        def test_first(sandbox_tenant):
            seen["token"] = sandbox_tenant.link_item()
            seen["keys"] = sandbox_tenant.client_id
            assert sandbox_tenant.call("/accounts/get", access_token=seen["token"])["accounts"]

        def test_second(sandbox_tenant):
            assert sandbox_tenant.client_id != seen["keys"]
            error = sandbox_tenant.post("/accounts/get", access_token=seen["token"]).json()
            assert error["error_code"] == "INVALID_ACCESS_TOKEN"
    """,
    )
    result.assert_outcomes(passed=2)


def test_plugin_plaid_client_is_the_official_sdk(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
        from plaid.model.country_code import CountryCode

        def test_sdk(plaid_client):
            reply = plaid_client.institutions_get_by_id(InstitutionsGetByIdRequest(
                institution_id="ins_109508", country_codes=[CountryCode("US")]))
            assert reply.institution.name == "First Platypus Bank"
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_seed_marker_and_option_pick_the_data(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import pytest

        def balances(tenant):
            token = tenant.link_item()
            return [t["amount"] for t in tenant.call(
                "/transactions/sync", access_token=token, count=20)["added"]]

        found = {}

        @pytest.mark.sandbox_seed(11)
        def test_a(sandbox_tenant):
            assert sandbox_tenant.seed == 11
            found["a"] = balances(sandbox_tenant)

        @pytest.mark.sandbox_seed(11)
        def test_b(sandbox_tenant):
            assert balances(sandbox_tenant) == found["a"]

        def test_c(sandbox_tenant):
            assert sandbox_tenant.seed == 5
            assert balances(sandbox_tenant) != found["a"]
    """,
        "--sandbox-seed",
        "5",
    )
    result.assert_outcomes(passed=3)


def test_plugin_clock_advances_the_tenants_time(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import datetime as dt

        def test_clock(sandbox_tenant, sandbox_clock):
            start = sandbox_clock.freeze()
            token = sandbox_tenant.link_item()
            cursor = ""
            while True:
                page = sandbox_tenant.call("/transactions/sync", access_token=token, cursor=cursor)
                cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
            assert sandbox_clock.advance(days=10) - start == dt.timedelta(days=10)
            page = sandbox_tenant.call("/transactions/sync", access_token=token, cursor=cursor)
            assert page["added"], "ten simulated days bring new transactions"
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_faults_fail_the_next_calls_then_recover(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        def test_faults(sandbox_tenant, sandbox_faults):
            token = sandbox_tenant.link_item()
            sandbox_faults.fail("/transactions/sync", code="INSTITUTION_NOT_RESPONDING", times=2)
            codes = [sandbox_tenant.post("/transactions/sync", access_token=token).json().get(
                "error_code") for _ in range(3)]
            assert codes == ["INSTITUTION_NOT_RESPONDING"] * 2 + [None]
            assert len(sandbox_faults.log()) == 2
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_webhook_catcher_collects_the_tenants_webhooks(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        def test_catcher(sandbox_tenant, webhook_catcher):
            token = sandbox_tenant.link_item(webhook=webhook_catcher.url)
            sandbox_tenant.call("/sandbox/item/reset_login", access_token=token)
            assert "ERROR" in webhook_catcher.codes()
    """,
    )
    result.assert_outcomes(passed=1)
