"""The ``bank_sandbox`` pytest plugin's fixtures, exercised through child pytest runs."""

from __future__ import annotations

import pytest

from .inner import run


def test_plugin_tenants_are_isolated_between_tests(pytester: pytest.Pytester) -> None:
    result = run(
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
    result = run(
        pytester,
        """
        from plaid.api.plaid_api import PlaidApi
        from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
        from plaid.model.country_code import CountryCode

        def test_sdk(plaid_client):
            assert isinstance(plaid_client, PlaidApi)
            reply = plaid_client.institutions_get_by_id(InstitutionsGetByIdRequest(
                institution_id="ins_109508", country_codes=[CountryCode("US")]))
            assert reply.institution.name == "First Platypus Bank"
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_seed_marker_and_option_pick_the_data(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        def amounts(tenant):
            token = tenant.link_item()
            return [t["amount"] for t in tenant.call(
                "/transactions/sync", access_token=token, count=20)["added"]]

        found = {}

        @pytest.mark.sandbox_seed(11)
        def test_a(sandbox_tenant):
            assert sandbox_tenant.seed == 11
            found["a"] = amounts(sandbox_tenant)

        @pytest.mark.sandbox_seed(11)
        def test_b(sandbox_tenant):
            assert amounts(sandbox_tenant) == found["a"]

        def test_c(sandbox_tenant, bank_sandbox):
            assert sandbox_tenant.seed == 5
            assert amounts(sandbox_tenant) != found["a"]
    """,
        "--sandbox-seed",
        "5",
    )
    result.assert_outcomes(passed=3)


def test_plugin_default_seed_is_seven(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_seed(sandbox_tenant):
            assert sandbox_tenant.seed == 7
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_clock_advances_the_tenants_time(pytester: pytest.Pytester) -> None:
    result = run(
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
            assert sandbox_clock.now() - start == dt.timedelta(days=10)
            page = sandbox_tenant.call("/transactions/sync", access_token=token, cursor=cursor)
            assert page["added"], "ten simulated days bring new transactions"
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_faults_fail_the_next_calls_then_recover(pytester: pytest.Pytester) -> None:
    result = run(
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


def test_plugin_sync_engine_is_the_clients_bank_sync(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from client.sync.connections import BankSync

        def test_sync(sync_engine, sandbox_tenant):
            assert isinstance(sync_engine, BankSync)
            assert sync_engine.plaid.base_url == sandbox_tenant.url
            connection = sync_engine.connect_sandbox("ins_109508", days_requested=30)
            result = sync_engine.sync(connection)
            assert result.ok and result.added > 0
    """,
    )
    result.assert_outcomes(passed=1)


def test_plugin_server_stays_a_private_loopback_one_whatever_the_shell_exports(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "SANDBOX_ADMIN_TOKEN": "team-token",
        "SANDBOX_HOST": "0.0.0.0",
        "SANDBOX_SHARED": "on",
        "SANDBOX_WEBHOOK_DISPATCHER": "off",
        "SANDBOX_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1/0",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }.items():
        monkeypatch.setenv(name, value)
    result = run(
        pytester,
        """
        def test_tenant_and_webhooks(bank_sandbox, sandbox_tenant, webhook_catcher):
            assert bank_sandbox.url.startswith("http://127.0.0.1:")
            sandbox_tenant.link_item(webhook=webhook_catcher.url)
            assert webhook_catcher.codes() == ["INITIAL_UPDATE", "HISTORICAL_UPDATE"]
    """,
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("seed", ["-1", str(2**63)])
def test_a_seed_out_of_range_is_a_usage_error(pytester: pytest.Pytester, seed: str) -> None:
    """It failed under every test, with the server's or the API's traceback."""
    result = run(
        pytester, "def test_never_runs(sandbox_tenant):\n    pass\n", "--sandbox-seed", seed
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--sandbox-seed must be an integer from 0 to *, not {seed}"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_a_bad_seed_marker_fails_its_test_in_one_line(pytester: pytest.Pytester) -> None:
    """A negative seed was the control API's HTTPError, a word or no seed a traceback."""
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.sandbox_seed(-3)
        def test_negative(sandbox_tenant):
            pass

        @pytest.mark.sandbox_seed("x")
        def test_word(sandbox_tenant):
            pass

        @pytest.mark.sandbox_seed
        def test_none(sandbox_tenant):
            pass
        """,
    )
    result.assert_outcomes(errors=3)
    for given in ("-3", "'x'", "None"):
        result.stdout.fnmatch_lines(
            [f"sandbox_seed(n)'s n must be an integer from 0 to *, not {given}"]
        )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "environment", "expected"),
    [
        (
            ("--sandbox-database-url", "postgresql://nobody@127.0.0.1:1/none"),
            {},
            "OperationalError: connection failed: *Connection refused",
        ),
        ((), {"SANDBOX_RATE_LIMITS": "maybe"}, "*SANDBOX_RATE_LIMITS must be one of*"),
    ],
)
def test_a_server_that_cannot_start_fails_each_test_in_one_line(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    environment: dict[str, str],
    expected: str,
) -> None:
    """An unreachable PostgreSQL, or a bad ``SANDBOX_*`` setting in the shell: the same long
    traceback under every test."""
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    source = "def test_one(sandbox_tenant):\n    pass\n\ndef test_two(bank_sandbox):\n    pass\n"
    result = run(pytester, source, *args)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([f"bank_sandbox cannot start: {expected}"] * 2)
    assert "Traceback" not in result.stdout.str()
