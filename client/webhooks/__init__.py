"""Plaid webhook receiver: verification, idempotent processing, Flask and WSGI entry points."""

from client.webhooks.receiver import WebhookProcessor, make_blueprint, make_wsgi_app
from client.webhooks.verify import WebhookVerificationError, WebhookVerifier

__all__ = [
    "WebhookProcessor",
    "WebhookVerificationError",
    "WebhookVerifier",
    "make_blueprint",
    "make_wsgi_app",
]
