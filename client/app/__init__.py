"""The client's app layer: a JSON API over the client store and a demo web app on top of it.

`create_app()` builds both from the environment (`AppConfig.from_env`); tests pass an
`AppConfig` and, to drive the queue themselves, `worker=False`. `bank-client serve` runs it.
"""

from __future__ import annotations

from flask import Flask

from client.api.plaid import PlaidClient
from client.app import api, errors, web
from client.app.config import AppConfig
from client.app.openapi import spec
from client.app.params import IdConverter
from client.app.service import AppService
from client.crypto import TokenCipher
from client.store.db import Store
from client.sync.connections import BankSync
from client.webhooks import WebhookProcessor, WebhookVerifier, make_blueprint
from client.worker.config import SettingsError
from client.worker.queue import JobQueue
from client.worker.service import Worker

MAX_BODY = 1024 * 1024  # bytes


def build_bank(config: AppConfig) -> BankSync:
    """The client, as `Settings.build` makes it (each sync page records the run's progress,
    so the pages show a sync as it happens)."""
    settings = config.settings
    if not settings.keys:
        raise SettingsError("set BANK_CLIENT_KEYS (generate one with `bank-client new-key`)")
    return BankSync(
        PlaidClient(settings.base_url, settings.client_id, settings.secret, timeout=30),
        Store(settings.db),
        TokenCipher(list(settings.keys)),
        notifier=settings.notifier(),
        page_size=config.page_size,
        client_name="Bank Client demo",
    )


def create_app(config: AppConfig | None = None) -> Flask:
    """The API under /api/v1, its OpenAPI document, the webhook receiver and the demo pages."""
    config = config or AppConfig.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key,
        APP_USERS=dict(config.users),
        # Not Flask's default "session": cookies ignore ports, so on one host the sandbox's
        # Link (another port) would overwrite the app's sign-in with its own.
        SESSION_COOKIE_NAME="bank_app_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
        # Every body the app takes (forms, JSON, webhooks) is small: a larger one is a 413
        # before it is read, not megabytes read to find a wrong password.
        MAX_CONTENT_LENGTH=MAX_BODY,
    )
    app.url_map.converters["int"] = IdConverter  # before the blueprints' rules use it
    bank = build_bank(config)
    queue = JobQueue(bank.store)
    worker = Worker(bank, queue=queue, interval=config.worker_interval)
    app.extensions["bank_app"] = AppService(
        bank,
        queue,
        public_url=config.public_url,
        webhook_url=config.webhook_url,
        link_url=config.link_url,
        days_requested=config.days_requested,
        wake=worker.wake,
    )
    verifier = WebhookVerifier.for_client(bank.plaid)
    processor = WebhookProcessor(bank, verifier, queue, on_queued=worker.wake)
    app.register_blueprint(make_blueprint(processor))
    app.register_blueprint(api.bp)
    app.register_blueprint(web.bp)
    app.add_url_rule("/openapi.json", "openapi", lambda: spec())
    app.add_url_rule("/healthz", "healthz", api.healthz)
    errors.register(app, page=web.http_error)
    if config.worker:
        app.extensions["bank_app_worker"] = worker.start()
    return app
