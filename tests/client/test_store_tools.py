"""Store on PostgreSQL, token encryption and rotation, audit purge, health, CSV, rules, CLI."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from client.api.plaid import PlaidClient
from client.audit import AuditLog
from client.cli import main
from client.crypto import TokenCipher, TokenDecryptError, rotate_stored_tokens
from client.health import health, metrics_text
from client.providers.csv_format import read_csv, write_csv
from client.providers.model import LocalTransaction, normalise_payee
from client.providers.plaid import map_transaction
from client.store.db import Store
from client.store.details import OAuthFlow
from client.store.models import AuditEvent, Connection, Transaction
from client.sync.connections import BankSync
from client.sync.rules import Outcome, RuleError, apply_rules, from_settings
from tests.client.conftest import Tenant, ground_truth
from tests.client.helpers import assert_store_matches
from tests.conftest import POSTGRES_URL


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """The client's tables on this suite's own PostgreSQL database, recreated per test."""
    store = Store(POSTGRES_URL, create=False)
    store.drop_all()
    store.create_all()
    yield store
    store.close()


def test_postgresql_store_full_sync(pg_store: Store, tenant: Tenant) -> None:
    plaid = PlaidClient(tenant.url, tenant.client_id, tenant.secret, timeout=30)
    bank = BankSync(plaid, pg_store, TokenCipher([TokenCipher.generate_key()]))
    cid = bank.connect_sandbox("ins_109508", days_requested=180)
    assert bank.sync(cid).ok and bank.sync(cid).ok  # the second run is an empty delta
    assert_store_matches(pg_store, cid, ground_truth(bank, cid))
    plaid.close()


def test_tokens_encrypted_and_rotated(store: Store) -> None:
    old, new = TokenCipher.generate_key(), TokenCipher.generate_key()
    with store.session() as s:
        s.add(
            Connection(access_token_enc=TokenCipher([old]).encrypt("access-sandbox-1"), settings={})
        )
    rotated = TokenCipher([new, old])
    assert rotate_stored_tokens(store, rotated) == (1, 0)
    with store.session() as s:
        enc = s.scalars(select(Connection.access_token_enc)).one()
    assert enc is not None and "access-sandbox" not in enc
    assert TokenCipher([new]).decrypt(enc) == "access-sandbox-1"
    with pytest.raises(TokenDecryptError) as info:
        TokenCipher([old]).decrypt(enc)
    assert enc not in str(info.value)


def test_rotation_without_a_tokens_key_changes_nothing_and_names_its_connection(
    tmp_path: Path,
) -> None:
    """`rotate-keys` with the old key left out of BANK_CLIENT_KEYS was a
    `cryptography.fernet.InvalidToken` traceback."""
    old, lost, new = (TokenCipher.generate_key() for _ in range(3))
    db = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(db)
    with store.session() as s:
        s.add(Connection(access_token_enc=TokenCipher([old]).encrypt("access-1"), settings={}))
        s.add(Connection(access_token_enc=TokenCipher([lost]).encrypt("access-2"), settings={}))
    with store.session() as s:
        before = list(s.scalars(select(Connection.access_token_enc).order_by(Connection.id)))
    result = CliRunner(env={"BANK_CLIENT_DB": db}).invoke(
        main, ["--keys", f"{new},{old}", "rotate-keys"]
    )
    assert result.exit_code == 1 and result.output == (
        "Error: connection 2: stored token does not decrypt with the configured keys; nothing "
        "was re-encrypted (list the new key first, then every key in use)\n"
    )
    with store.session() as s:
        assert (
            list(s.scalars(select(Connection.access_token_enc).order_by(Connection.id))) == before
        )
    store.close()


def test_rotation_names_an_open_sign_in_no_key_reads_and_skips_closed_ones(store: Store) -> None:
    old, lost, new = (TokenCipher.generate_key() for _ in range(3))
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with store.session() as s:
        s.add(
            OAuthFlow(
                state="used",
                provider="truelayer",
                user_ref="a",
                used_at=stale,
                verifier_enc=TokenCipher([lost]).encrypt("v1"),
            )
        )
        s.add(
            OAuthFlow(
                state="expired",
                provider="truelayer",
                user_ref="b",
                created_at=stale,
                verifier_enc=TokenCipher([lost]).encrypt("v2"),
            )
        )
        s.add(
            OAuthFlow(
                state="open",
                provider="truelayer",
                user_ref="carol",
                verifier_enc=TokenCipher([old]).encrypt("v3"),
            )
        )
    assert rotate_stored_tokens(store, TokenCipher([new, old])) == (0, 1)
    with store.session() as s:
        s.add(
            OAuthFlow(
                state="lost",
                provider="truelayer",
                user_ref="dave",
                verifier_enc=TokenCipher([lost]).encrypt("v4"),
            )
        )
    with pytest.raises(TokenDecryptError, match=r"^sign-in in progress for user 'dave': "):
        rotate_stored_tokens(store, TokenCipher([new, old]))


def test_audit_purge_respects_retention(store: Store) -> None:
    log = AuditLog(store, retention_days=30)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with store.session() as s:
        s.add(AuditEvent(kind="call", name="/item/get", at=now - dt.timedelta(days=31)))
        s.add(AuditEvent(kind="call", name="/item/get", at=now - dt.timedelta(days=29)))
    assert log.purge(now) == 1


def test_health_and_prometheus(bank: BankSync, tenant: Tenant) -> None:
    cid = bank.connect_sandbox("ins_109508", days_requested=30)
    assert bank.sync(cid).ok
    tenant.post("/sandbox/item/reset_login", access_token=bank.access_token(cid))
    assert not bank.sync(cid).ok
    data = health(bank.store)
    assert data["connections"]["login_required"] == 1
    assert data["failures_by_code"] == {"ITEM_LOGIN_REQUIRED": 1}
    text = metrics_text(bank.store).decode()
    assert 'bank_connections{status="login_required"} 1.0' in text
    assert 'bank_sync_failures{code="ITEM_LOGIN_REQUIRED"} 1.0' in text
    assert "bank_sync_duration_seconds_count 2.0" in text
    assert f'bank_last_success_age_seconds{{connection="{cid}"}}' in text


def test_mapping_sign_category_payee() -> None:
    raw = {
        "transaction_id": "t1",
        "account_id": "a1",
        "amount": 4.33,
        "date": "2026-03-01",
        "iso_currency_code": None,
        "unofficial_currency_code": "BTC",
        "name": "UBER 063015 SF**POOL**",
        "merchant_name": None,
        "pending": False,
        "personal_finance_category": {
            "primary": "TRANSPORTATION",
            "detailed": "TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
        },
    }
    txn = map_transaction(raw)
    assert txn.amount == Decimal("-4.33") and txn.currency == "BTC"
    assert txn.details.unofficial_currency_code == "BTC" and txn.details.iso_currency_code is None
    assert txn.category == "TRANSPORTATION_TAXIS_AND_RIDE_SHARES" and txn.payee == "Uber Sf Pool"
    assert normalise_payee("  STARBUCKS #1234  ") == "Starbucks"


def test_payees_keep_their_apostrophe_endings_lower_case() -> None:
    """``str.title`` made Plaid's "McDonald's" "Mcdonald'S"; a name after an apostrophe
    still keeps its capital."""
    assert normalise_payee("McDonald's") == normalise_payee("MCDONALD'S #1234") == "Mcdonald's"
    assert normalise_payee("WENDY\u2019S") == "Wendy\u2019s"
    assert normalise_payee("WE'LL FIX IT") == "We'll Fix It"
    assert normalise_payee("O'REILLY AUTO PARTS") == "O'Reilly Auto Parts"


def test_csv_round_trip_uses_the_same_model() -> None:
    txn = LocalTransaction(
        "t1",
        "acc",
        Decimal("-12.50"),
        "EUR",
        dt.date(2026, 1, 2),
        "Coffee",
        "Cafe",
        "Food & Drink",
        False,
        source="csv",
    )
    out = io.StringIO()
    assert write_csv([txn], out) == 1
    (back,) = list(read_csv(io.StringIO(out.getvalue())))
    assert back == txn


def test_rules_rename_payee_and_ignore_transfers() -> None:
    txn = LocalTransaction(
        "t",
        "a",
        Decimal(5),
        "USD",
        dt.date(2026, 1, 1),
        "Transfer from 1111",
        None,
        "TRANSFER_IN_ACCOUNT_TRANSFER",
        False,
    )
    rules = from_settings(
        [
            {"type": "rename_payee", "match": "transfer", "payee": "Savings"},
            {"type": "set_category", "match": "from 1111", "category": "TRANSFER_IN_SAVINGS"},
            {"type": "ignore_transfers"},
        ],
        {"TRANSFER_IN_SAVINGS": 7},
    )
    outcome = apply_rules(txn, rules, frozenset({"1111"}), transfer=True)
    assert outcome == Outcome(payee="Savings", category_id=7, ignored=True)
    assert not apply_rules(txn, rules, frozenset({"9999"}), transfer=True).ignored
    assert not apply_rules(txn, rules, frozenset({"1111"}), transfer=False).ignored


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"type": "colour"}, "rules[0].type: must be one of"),
        ({"type": "rename_payee", "match": "x"}, "rules[0].payee: required"),
        ({"type": "rename_payee", "match": "(", "payee": "P"}, "rules[0].match: not a regular"),
        ({"type": "set_category", "match": "x", "category": "NOPE"}, "unknown category 'NOPE'"),
    ],
)
def test_rules_malformed_name_the_field(rule: dict[str, str], message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        from_settings([rule], {})


def test_cli_connect_sync_status_export_disconnect(
    tenant: Tenant, tmp_path: Path, wide_console: None
) -> None:
    env = {
        "BANK_CLIENT_DB": f"sqlite:///{tmp_path / 'cli.db'}",
        "PLAID_BASE_URL": tenant.url,
        "PLAID_CLIENT_ID": tenant.client_id,
        "PLAID_SECRET": tenant.secret,
        "BANK_CLIENT_KEYS": TokenCipher.generate_key(),
    }
    runner = CliRunner(env=env)

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "connection 1" in run("connect", "--sandbox", "ins_109508", "--days", "60")
    assert "1: +" in run("sync", "1")
    assert "Plaid Checking" in run("accounts")
    assert "active" in run("status")
    csv_path = tmp_path / "out.csv"
    assert "rows" in run("transactions", "--since", "2000-01-01", "--csv", str(csv_path))
    assert csv_path.read_text().startswith("date,account,amount")
    assert "paused" not in run("schedule", "1", "weekly") and "pause" in run(
        "schedule", "1", "pause"
    )
    assert "re-encrypted 1" in run("rotate-keys")
    assert "credentials deleted" in run("disconnect", "1")
    store = Store(env["BANK_CLIENT_DB"])
    with store.session() as s:
        assert s.scalars(select(Connection.access_token_enc)).one() is None
        assert s.scalars(select(Transaction)).first() is not None
    store.close()


def test_unreachable_provider_is_recorded_as_error(store: Store) -> None:
    cipher = TokenCipher([TokenCipher.generate_key()])
    plaid = PlaidClient("http://127.0.0.1:9", "id", "secret", max_retries=1, sleep=lambda _s: None)
    bank = BankSync(plaid, store, cipher)
    with store.session() as s:
        conn = Connection(access_token_enc=cipher.encrypt("access-sandbox-x"), settings={})
        s.add(conn)
        s.flush()
        cid = conn.id
    result = bank.sync(cid)
    assert result.error_code == "CONNECTION_ERROR"
    with store.session() as s:
        row = s.get(Connection, cid)
        assert row is not None and row.status == "error"
    assert health(store)["failures_by_code"] == {"CONNECTION_ERROR": 1}
    plaid.close()
