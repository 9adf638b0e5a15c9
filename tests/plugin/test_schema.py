"""``LiveSandbox`` builds an empty database from the models and stamps it at the newest
migration, which is only right while the migrations build exactly the models' schema."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import select, text

from sandbox import MIGRATIONS, bootstrap, create_app, testing
from sandbox.core import tenants
from sandbox.core.models import AppClient, Base, UTCDateTime, WebhookEvent
from sandbox.extensions import db
from tests.api.truelayer.auth_helpers import AuthDialog, query_of
from tests.conftest import DATABASES, POSTGRES_URL


@pytest.fixture(params=DATABASES)
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on an empty database: a SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield _app(f"sqlite:///{tmp_path / 'empty.db'}")
        return
    with testing.private_schema(POSTGRES_URL, "schema_test") as url:
        app = _app(url)
        yield app
        with app.app_context():
            db.engine.dispose()


def _app(url: str) -> Flask:
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "CLIENT_ID": "c", "SECRET": "s"})


def _differences(app: Flask) -> list[object]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _revision(app: Flask) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_migrations_build_exactly_the_models_schema(empty_app: Flask) -> None:
    bootstrap.upgrade_schema(empty_app)
    assert _differences(empty_app) == []


def test_live_sandbox_schema_is_the_models_at_the_head_revision(empty_app: Flask) -> None:
    testing.upgrade_schema(empty_app)
    assert _differences(empty_app) == []
    assert _revision(empty_app) == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    testing.upgrade_schema(empty_app)  # a second start migrates: nothing to do
    assert _differences(empty_app) == []


# A partial index's condition is beyond ``compare_metadata``: the stored definitions are read.
INDEX_DEFINITION = {
    "sqlite": "SELECT sql FROM sqlite_master WHERE name = :name",
    "postgresql": "SELECT indexdef FROM pg_indexes "
    "WHERE indexname = :name AND schemaname = current_schema()",
}


def _index_definition(app: Flask, name: str) -> str:
    with app.app_context(), db.engine.connect() as connection:
        query = INDEX_DEFINITION[connection.dialect.name]
        return str(connection.execute(text(query), {"name": name}).scalar_one())


def test_the_partial_index_is_the_same_from_the_migrations_and_from_the_models(
    empty_app: Flask,
) -> None:
    name = "ix_transactions_item_post_on"
    bootstrap.upgrade_schema(empty_app)
    migrated = _index_definition(empty_app, name)
    with empty_app.app_context(), db.engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE alembic_version"))
    testing.upgrade_schema(empty_app)  # empty again: the models' tables, stamped
    assert _index_definition(empty_app, name) == migrated
    assert "post_on IS NOT NULL" in migrated


def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    assert (
        bootstrap.head_revision(MIGRATIONS) == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    )


def test_a_start_on_a_current_schema_does_not_import_alembic(tmp_path: Path) -> None:
    """Alembic is a third of a cold start's imports: a current schema needs none of it."""
    assert _modules_after_starts(tmp_path, "alembic") == ["False", "False"]


def test_a_start_on_sqlite_does_not_import_the_postgresql_dialect(tmp_path: Path) -> None:
    """About 20 ms of a start (``models.partial_index``): SQLite creates the schema, then finds it
    current, without it."""
    assert _modules_after_starts(tmp_path, "sqlalchemy.dialects.postgresql") == ["False", "False"]


def _modules_after_starts(tmp_path: Path, module: str) -> list[str]:
    """Whether ``module`` was imported after a start on an empty SQLite file (created and
    stamped), then after a second start on it (current), in a new interpreter."""
    url = f"sqlite:///{tmp_path / 'cur.db'}"
    code = (
        "import sys; from sandbox import create_app; from sandbox.bootstrap import prepare_schema; "
        f"app = create_app({{'DATABASE_URL': '{url}', 'SECRET_KEY': 'k'}}); "
        f"prepare_schema(app); first = '{module}' in sys.modules; "
        f"prepare_schema(app); print(first, '{module}' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


PROMISES = "SELECT id, post_on, posted_amount_minor, posted_name FROM transactions " + (
    "WHERE post_on IS NOT NULL ORDER BY id"
)


def test_posting_promises_move_between_details_and_columns(empty_app: Flask) -> None:
    """Revision e4f1a9c27b30 copies live pending rows' promises out of ``details`` (and its
    downgrade writes them back), so an item linked before it still posts on time."""
    import flask_migrate

    bootstrap.prepare_schema(empty_app)
    bootstrap.ensure_default_tenant(empty_app)
    client = empty_app.test_client()
    keys = {"client_id": "c", "secret": "s"}
    public = client.post(
        "/sandbox/public_token/create",
        json={**keys, "institution_id": "ins_109508", "initial_products": ["transactions"]},
    ).get_json()["public_token"]
    client.post("/item/public_token/exchange", json={**keys, "public_token": public})
    with empty_app.app_context():
        promised = db.session.execute(text(PROMISES)).all()
        db.session.remove()
        assert promised and all(row.post_on is not None for row in promised)
        flask_migrate.downgrade(revision="e4b8a2c6d913")
        kept = db.session.execute(text("SELECT details FROM transactions")).scalars().all()
        db.session.remove()
        assert sum("post_date" in str(d) for d in kept) == len(promised)
        flask_migrate.upgrade()
        assert db.session.execute(text(PROMISES)).all() == promised
        db.session.remove()


def test_signal_ids_per_item_migrate_up_and_down(
    empty_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Revision a9c4e2f7b1d6 makes ``client_transaction_id`` unique per item; its downgrade
    refuses while an id is on two items, and works once it is on one."""
    import flask_migrate

    bootstrap.prepare_schema(empty_app)
    bootstrap.ensure_default_tenant(empty_app)
    client = empty_app.test_client()
    keys = {"client_id": "c", "secret": "s"}

    def evaluate(token: str, account: str) -> int:
        body = {"access_token": token, "account_id": account, "amount": 100.0}
        reply = client.post(
            "/signal/evaluate", json={**keys, **body, "client_transaction_id": "txn1234"}
        )
        return reply.status_code

    debits = []
    for _ in range(2):
        public = client.post(
            "/sandbox/public_token/create",
            json={**keys, "institution_id": "ins_109508", "initial_products": ["auth", "signal"]},
        ).get_json()["public_token"]
        token = client.post(
            "/item/public_token/exchange", json={**keys, "public_token": public}
        ).get_json()["access_token"]
        account = client.post("/accounts/get", json={**keys, "access_token": token}).get_json()
        debits.append((token, account["accounts"][0]["account_id"]))
        assert evaluate(*debits[-1]) == 200
    with empty_app.app_context():
        with pytest.raises(SystemExit):  # Flask-Migrate logs the RuntimeError, exits 1
            flask_migrate.downgrade(revision="f1a5c3e7b920")
        assert "more than one item" in caplog.text and "txn1234" in caplog.text
        db.session.execute(text("DELETE FROM signal_evaluations WHERE pk > 1"))
        db.session.commit()
        flask_migrate.downgrade(revision="f1a5c3e7b920")
        assert db.session.execute(text("SELECT COUNT(*) FROM signal_evaluations")).scalar() == 1
        db.session.remove()
        flask_migrate.upgrade()
        assert _differences(empty_app) == []
    assert [evaluate(*debit) for debit in debits] == [200, 200]


def test_flask_db_commands_load_flask_migrate_when_used(tmp_path: Path) -> None:
    """Flask-Migrate is loaded lazily; ``flask db …`` still has its options and commands."""
    app = _app(f"sqlite:///{tmp_path / 'cli.db'}")
    bootstrap.prepare_schema(app)
    assert _revision(app) == bootstrap.head_revision(MIGRATIONS)
    # (Alembic prints to the stdout it saw when first imported, so check the effect instead.)
    result = app.test_cli_runner().invoke(args=["db", "-d", str(MIGRATIONS), "stamp", "base"])
    assert result.exit_code == 0, result.output
    assert _revision(app) is None


def test_a_later_new_sqlite_file_gets_the_first_ones_image(tmp_path: Path) -> None:
    """``LiveSandbox`` writes the image of the first empty database this process prepared
    to a later new SQLite file: the schema and revision ``prepare_schema`` would make."""
    first, second = (_app(f"sqlite:///{tmp_path / name}") for name in ("first.db", "second.db"))
    testing.upgrade_schema(first)
    assert bootstrap.head_revision(MIGRATIONS) in testing._SCHEMA_IMAGES
    testing.upgrade_schema(second)
    assert _differences(second) == []
    assert _revision(second) == bootstrap.head_revision(MIGRATIONS)
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_processor_token_settings_migrate_up_and_down(empty_app: Flask) -> None:
    """Revision b5d1e8f3a2c7 gives processor tokens permissions and a webhook; its downgrade
    drops the partners' webhook copies (and their attempts) and keeps the tokens, which come
    back reading every product, without a webhook."""
    import flask_migrate

    from sandbox.core.webhooks.dispatch import Dispatcher

    ok = _plaid_caller(empty_app)
    public = ok(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["auth", "transactions"],
        options={"webhook": "https://app.test/hook"},
    )["public_token"]
    access = ok("/item/public_token/exchange", public_token=public)["access_token"]
    account = ok("/accounts/get", access_token=access)["accounts"][0]["account_id"]
    token = ok(
        "/processor/token/create", access_token=access, account_id=account, processor="dwolla"
    )["processor_token"]
    ok("/processor/token/permissions/set", processor_token=token, products=["auth"])
    ok("/processor/token/webhook/update", processor_token=token, webhook="https://p.test/hook")
    delivered = requests.Response()
    delivered.status_code, delivered.raw = 200, io.BytesIO(b"")
    count = "SELECT COUNT(*) FROM {}"
    with empty_app.app_context():
        Dispatcher(post=lambda *_a, **_k: delivered).deliver_pending(db.session)
        app_events = db.session.execute(
            text("SELECT COUNT(*) FROM webhook_events WHERE processor_token IS NULL")
        ).scalar()
        assert db.session.execute(text(count.format("webhook_attempts"))).scalar() > app_events
        db.session.remove()
        flask_migrate.downgrade(revision="a9c4e2f7b1d6")
        assert db.session.execute(text(count.format("webhook_events"))).scalar() == app_events
        assert db.session.execute(text(count.format("webhook_attempts"))).scalar() == app_events
        assert db.session.execute(text(count.format("processor_tokens"))).scalar() == 1
        db.session.remove()
        flask_migrate.upgrade()
        assert _differences(empty_app) == []
        assert db.session.execute(text(count.format("webhook_attempts"))).scalar() == app_events
        db.session.remove()
    assert ok("/processor/token/permissions/get", processor_token=token)["products"] == []
    assert ok("/processor/balance/get", processor_token=token)["account"]


def test_account_verification_status_moves_to_its_column_and_back(empty_app: Flask) -> None:
    """Revision c7e2a4f9d813 moves each micro-deposit status out of ``accounts.details`` into
    ``verification_status``, leaving the account's other details; its downgrade puts it back.
    A status set before the upgrade is still what ``/accounts/get`` shows after it."""
    import flask_migrate

    ok = _plaid_caller(empty_app)
    public = ok(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["auth"],
        options={"override_username": "user_good", "override_password": "microdeposits_good"},
    )["public_token"]
    access = ok("/item/public_token/exchange", public_token=public)["access_token"]
    shown = {
        a["account_id"]: a.get("verification_status")
        for a in ok("/accounts/get", access_token=access)["accounts"]
    }
    pending = [account for account, status in shown.items() if status]
    assert len(pending) == 1 and shown[pending[0]] == "pending_automatic_verification"
    # Text an earlier sandbox could store that the database's own JSON functions refuse (a
    # ``user_custom`` note): SQLite's reject NaN, PostgreSQL's jsonb a NUL escape.
    odd = next(account for account in shown if account not in pending)
    details = f"SELECT id, details FROM accounts WHERE id <> '{odd}'"
    odd_text = f"SELECT CAST(details AS TEXT) FROM accounts WHERE id = '{odd}'"
    with empty_app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        stored = '{"note": NaN}' if sqlite else '{"note": "\\u0000"}'
        db.session.execute(text(f"UPDATE accounts SET details = '{stored}' WHERE id = '{odd}'"))
        db.session.commit()
        before = {row.id: _json(row.details) for row in db.session.execute(text(details))}
        db.session.remove()
        flask_migrate.downgrade(revision="b5d1e8f3a2c7")
        old = {row.id: _json(row.details) for row in db.session.execute(text(details))}
        assert old[pending[0]] == {**before[pending[0]], "verification_status": shown[pending[0]]}
        assert all(old[a] == before[a] for a in old if a != pending[0])
        db.session.remove()
        flask_migrate.upgrade()
        assert _differences(empty_app) == []
        after = {row.id: _json(row.details) for row in db.session.execute(text(details))}
        assert after == before  # the key left details again, the rest untouched
        assert db.session.execute(text(odd_text)).scalar() == stored  # as it was
        db.session.remove()
    again = {
        a["account_id"]: a.get("verification_status")
        for a in ok("/accounts/get", access_token=access)["accounts"]
    }
    assert again == shown


def test_account_auth_method_is_filled_from_the_status_by_the_migration(
    empty_app: Flask,
) -> None:
    """Revision d3f8b6a1c547 adds ``auth_method`` and ``verification_name`` to accounts and
    fills the method of the micro-deposit accounts stored before it from their status (a
    Same Day status: ``SAME_DAY_MICRODEPOSITS``, else ``AUTOMATED_MICRODEPOSITS``), so
    ``item.auth_method`` says the same across the upgrade; the downgrade drops both."""
    import flask_migrate

    ok = _plaid_caller(empty_app)
    public = ok(
        "/sandbox/public_token/create",
        institution_id="ins_109508",
        initial_products=["auth"],
        options={"override_username": "user_good", "override_password": "microdeposits_good"},
    )["public_token"]
    access = ok("/item/public_token/exchange", public_token=public)["access_token"]
    accounts = ok("/accounts/get", access_token=access)["accounts"]
    (pending,) = [a["account_id"] for a in accounts if "verification_status" in a]
    same_day = next(a["account_id"] for a in accounts if a["account_id"] != pending)
    methods = "SELECT id, auth_method FROM accounts WHERE auth_method IS NOT NULL ORDER BY id"
    with empty_app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="b7e4c1a9d352")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("accounts")}
        assert not columns & {"auth_method", "verification_name"}
        # An account as a Same Day flow of the earlier sandbox left it.
        db.session.execute(
            text("UPDATE accounts SET verification_status = 'verification_failed' WHERE id = :id"),
            {"id": same_day},
        )
        db.session.commit()
        db.session.remove()
        flask_migrate.upgrade()
        assert _differences(empty_app) == []
        found = {row.id: row.auth_method for row in db.session.execute(text(methods))}
        assert found == {pending: "AUTOMATED_MICRODEPOSITS", same_day: "SAME_DAY_MICRODEPOSITS"}
        db.session.remove()
    assert ok("/item/get", access_token=access)["item"]["auth_method"] == (
        "AUTOMATED_MICRODEPOSITS"
    )


def _plaid_caller(app: Flask) -> Callable[..., dict[str, Any]]:
    """The app at the newest schema with its default tenant, and ``ok(path, **body)``: a Plaid
    call with that tenant's keys that must answer 200, returning the reply's JSON."""
    bootstrap.prepare_schema(app)
    bootstrap.ensure_default_tenant(app)
    client = app.test_client()

    def ok(path: str, **body: object) -> dict[str, Any]:
        reply = client.post(path, json={"client_id": "c", "secret": "s", **body})
        assert reply.status_code == 200, reply.get_json()
        return reply.get_json()  # type: ignore[no-any-return]

    return ok


def _json(value: Any) -> Any:
    """A JSON column read through a plain text query (text on SQLite, parsed on PostgreSQL)."""
    return json.loads(value) if isinstance(value, str) else value


def test_items_already_warned_of_expiry_stay_warned_across_the_migration(
    empty_app: Flask,
) -> None:
    """Revision a3f8d2c6e915 marks an item that has an expiry warning event as warned for its
    current consent, so it does not warn a second time after the upgrade."""
    import flask_migrate

    bootstrap.prepare_schema(empty_app)
    bootstrap.ensure_default_tenant(empty_app)
    client = empty_app.test_client()
    keys = {"client_id": "c", "secret": "s"}
    tokens = []
    for _ in range(2):
        public = client.post(
            "/sandbox/public_token/create",
            json={
                **keys,
                "institution_id": "ins_127287",
                "initial_products": ["auth"],
                "options": {"webhook": "https://app.example/hook"},
            },
        ).get_json()["public_token"]
        exchanged = client.post(
            "/item/public_token/exchange", json={**keys, "public_token": public}
        )
        tokens.append(exchanged.get_json()["access_token"])
    fired = {
        "access_token": tokens[0],
        "webhook_type": "ITEM",
        "webhook_code": "PENDING_DISCONNECT",
    }
    assert client.post("/sandbox/item/fire_webhook", json={**keys, **fired}).status_code == 200
    warned = "SELECT consent_warned_for = consent_expires_at FROM items ORDER BY pk"
    with empty_app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="c7e2a4f9d813")
        flask_migrate.upgrade()
        assert db.session.execute(text(warned)).scalars().all() == [True, None]
        db.session.remove()


def _table_definition(app: Flask, name: str) -> str:
    with app.app_context(), db.engine.connect() as connection:
        query = "SELECT sql FROM sqlite_master WHERE name = :name"
        return str(connection.execute(text(query), {"name": name}).scalar_one())


def test_fault_rule_ids_are_never_reused_from_the_migrations_and_from_the_models(
    empty_app: Flask,
) -> None:
    """Revision d2f6b8a4c1e9: SQLite reuses the largest id unless the table says
    ``AUTOINCREMENT`` (PostgreSQL's sequence never goes back)."""
    with empty_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("a PostgreSQL sequence never reuses an id")
    bootstrap.upgrade_schema(empty_app)
    assert "AUTOINCREMENT" in _table_definition(empty_app, "fault_rules")
    with empty_app.app_context(), db.engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE alembic_version"))
    testing.upgrade_schema(empty_app)  # empty again: the models' tables, stamped
    assert "AUTOINCREMENT" in _table_definition(empty_app, "fault_rules")


PRESENT = {"environ_base": {"HTTP_X_PSU_IP": "203.0.113.7"}}  # the user present: no quota


def _tokens_from_before_chains(app: Flask) -> tuple[AuthDialog, str, dict[str, Any]]:
    """A TrueLayer connection as an upgrade from before refresh chains leaves it: made at the
    head, then migrated down past 4797b99cb507 and up again, so neither its consent nor its
    tokens name a chain. Returns the dialog, the code that began it, and a set refreshed once."""
    import flask_migrate

    bootstrap.prepare_schema(app)
    bootstrap.ensure_default_tenant(app)
    dialog = AuthDialog(app.test_client(), tenants.Keys("c", "s"))
    code = dialog.authorize()["code"]
    first = dialog.exchange(code).get_json()
    rotated = dialog.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    with app.app_context():
        flask_migrate.downgrade(revision="12ecc4c6ef81")
        flask_migrate.upgrade()
        assert db.session.execute(text("SELECT chain FROM consents")).scalars().all() == [None]
        db.session.remove()
    return dialog, code, rotated.get_json()


def _works(dialog: AuthDialog, tokens: dict[str, Any]) -> tuple[int, int]:
    """The Data API's status for the set's access token, then the token endpoint's for its
    refresh token (which uses it up)."""
    data = dialog.bearer("GET", "/data/v1/me", tokens["access_token"], **PRESENT)
    refresh = dialog.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    return data.status_code, refresh.status_code


def test_truelayer_tokens_from_before_chains_work_until_a_renewal(empty_app: Flask) -> None:
    """An upgrade logs no app out: the access and refresh tokens from before it work, the
    refresh goes on rotating, and a renewal's exchange ends them as it ends any chain."""
    dialog, _, tokens = _tokens_from_before_chains(empty_app)
    reply = dialog.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    rotated = reply.get_json()
    assert dialog.bearer("GET", "/data/v1/me", tokens["access_token"], **PRESENT).status_code == 200
    link = dialog.extend(rotated["refresh_token"], user_has_reconfirmed_consent=False)
    renewal = dialog.follow(link.get_json()["user_input_link"]).headers["Location"]
    renewed = dialog.exchange(query_of(dialog.post(renewal, "consent"))["code"]).get_json()
    assert _works(dialog, rotated) == (401, 400)
    assert _works(dialog, renewed) == (200, 200)


def test_a_code_from_before_chains_presented_again_ends_its_tokens(empty_app: Flask) -> None:
    """RFC 6749 §4.1.2 holds across the upgrade: the code that began a connection before it,
    presented again after it, ends the connection's tokens (they stayed valid for good)."""
    dialog, code, tokens = _tokens_from_before_chains(empty_app)
    assert dialog.exchange(code).get_json()["error"] == "invalid_authorization_code"
    assert _works(dialog, tokens) == (401, 400)


def test_webhooks_held_back_before_the_tenant_clock_column_keep_following_that_clock(
    empty_app: Flask,
) -> None:
    """Revision c3e8a1f5d702: an event held back when it runs (never tried, due later) gets
    the instant its tenant's clock will show then, so a clock move still brings it forward;
    one already tried keeps to its real-time retry schedule."""
    import flask_migrate

    bootstrap.prepare_schema(empty_app)
    bootstrap.ensure_default_tenant(empty_app)
    now = dt.datetime.now(dt.UTC)
    due = now + dt.timedelta(hours=1)
    insert = text(
        "INSERT INTO webhook_events (tenant_id, url, webhook_type, webhook_code, body, status,"
        " attempts, schedule_start, next_attempt_at, created_at) SELECT id, 'https://a.test',"
        " 'ASSETS', 'PRODUCT_READY', '{}', 'pending', :attempts, 0, :due, :now FROM tenants"
    ).bindparams(
        sa.bindparam("due", due, type_=UTCDateTime()),
        sa.bindparam("now", now, type_=UTCDateTime()),
    )
    with empty_app.app_context():
        db.session.execute(text("UPDATE tenants SET clock_offset_seconds = 86400"))
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(revision="4797b99cb507")
        for attempts in (0, 1):
            db.session.execute(insert, {"attempts": attempts})
        db.session.commit()
        db.session.remove()
        flask_migrate.upgrade()
        held = db.session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars()
        until = [event.held_until for event in held]
        assert until[1] is None
        assert until[0] is not None
        assert abs(until[0] - (due + dt.timedelta(days=1))) < dt.timedelta(seconds=1)
        db.session.remove()


def test_assets_webhooks_queued_before_the_report_column_name_their_report(
    empty_app: Flask,
) -> None:
    """Revision a6c2e9f4b178: a pending Asset report webhook queued before it gets the
    ``asset_report_id`` its body names, so removing the report's last item cancels it too; one
    already delivered is left as it was. Going back, cancelled webhooks go: the older code
    has no such state."""
    import flask_migrate

    bootstrap.prepare_schema(empty_app)
    bootstrap.ensure_default_tenant(empty_app)
    now = dt.datetime.now(dt.UTC)
    insert = text(
        "INSERT INTO webhook_events (tenant_id, url, webhook_type, webhook_code, body, status,"
        " attempts, schedule_start, next_attempt_at, created_at) SELECT id, 'https://a.test',"
        " 'ASSETS', 'PRODUCT_READY', :body, :status, 0, 0, :now, :now FROM tenants"
    ).bindparams(sa.bindparam("now", now, type_=UTCDateTime()))
    body = json.dumps({"webhook_type": "ASSETS", "asset_report_id": "r-1"}, indent=2)
    with empty_app.app_context():
        flask_migrate.downgrade(revision="c3e8a1f5d702")
        for status in ("pending", "delivered"):
            db.session.execute(insert, {"body": body, "status": status})
        db.session.commit()
        db.session.remove()
        flask_migrate.upgrade()
        events = db.session.execute(select(WebhookEvent).order_by(WebhookEvent.id)).scalars()
        assert [event.asset_report_id for event in events] == ["r-1", None]
        db.session.execute(insert, {"body": body, "status": "cancelled"})
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(revision="c3e8a1f5d702")
        left = db.session.execute(text("SELECT status FROM webhook_events ORDER BY id"))
        assert list(left.scalars()) == ["pending", "delivered"]  # the older code knew these
        db.session.remove()
        flask_migrate.upgrade()
        db.session.remove()


def test_app_clients_registered_before_display_names_keep_showing_their_id(
    empty_app: Flask,
) -> None:
    """Revision f7d3a9c1e5b2 adds ``app_clients.display_name``: a client registered before it
    has none (the dialog shows its id) and works on; going back drops the names set since,
    and the clients stay."""
    import flask_migrate

    bootstrap.prepare_schema(empty_app)
    bootstrap.ensure_default_tenant(empty_app)
    with empty_app.app_context():
        flask_migrate.downgrade(revision="a6c2e9f4b178")
        assert "display_name" not in _columns("app_clients")
        db.session.execute(
            text(
                "INSERT INTO app_clients (client_id, tenant_id, secret_hash, redirect_uris,"
                " consent_days, created_at) SELECT 'old-app', id, NULL, '[\"https://a.test\"]',"
                " 30, :now FROM tenants"
            ).bindparams(sa.bindparam("now", dt.datetime.now(dt.UTC), type_=UTCDateTime()))
        )
        db.session.commit()
        db.session.remove()
        flask_migrate.upgrade()
        assert _differences(empty_app) == []
        old = db.session.get(AppClient, "old-app")
        assert old is not None and (old.display_name, old.shown_name) == (None, "old-app")
        old.display_name = "Old App"
        db.session.commit()
        db.session.remove()
        flask_migrate.downgrade(revision="a6c2e9f4b178")
        assert "display_name" not in _columns("app_clients")
        left = db.session.execute(text("SELECT client_id, consent_days FROM app_clients"))
        assert ("old-app", 30) in [tuple(row) for row in left]
        db.session.remove()
        flask_migrate.upgrade()
        db.session.remove()


def _columns(table: str) -> set[str]:
    """The columns ``table`` has in the app's database now."""
    return {column["name"] for column in sa.inspect(db.engine).get_columns(table)}
