"""secrets at rest: access tokens as keyed hashes, webhook signing keys encrypted

No column changes: ``access_tokens.token`` now holds ``h1$`` + HMAC-SHA256 of the token
under a key derived from the server's ``SECRET_KEY`` (``sandbox.core.keyring``), and
``webhook_keys.private_pem`` holds ``fernet:`` + the PEM encrypted with another derived
key. This rewrites the rows stored in clear by earlier versions, with the app's key, so
issued access tokens keep working. Tenant secrets are stored as unkeyed SHA-256 by
earlier versions; they cannot be rekeyed without the secret and are upgraded on the
tenant's next successful authentication.

Downgrade decrypts the signing keys; access tokens stay hashed (the old code cannot look
them up, so apps must exchange new ones).

Revision ID: c3a1f0e2b7d4
Revises: 5b2e9c41f7a3
Create Date: 2026-11-25 23:10:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app

from sandbox.core.keyring import DIGEST_PREFIX, SEALED_PREFIX, Keyring

revision = "c3a1f0e2b7d4"
down_revision = "5b2e9c41f7a3"
branch_labels = None
depends_on = None


def _keyring() -> Keyring:
    return Keyring(current_app.config["SECRET_KEY"])


def upgrade() -> None:
    conn = op.get_bind()
    keys = _keyring()
    for (token,) in conn.execute(sa.text("SELECT token FROM access_tokens")).fetchall():
        if not token.startswith(DIGEST_PREFIX):
            conn.execute(
                sa.text("UPDATE access_tokens SET token = :new WHERE token = :old"),
                {"new": keys.digest(token), "old": token},
            )
    for kid, pem in conn.execute(sa.text("SELECT kid, private_pem FROM webhook_keys")).fetchall():
        if not pem.startswith(SEALED_PREFIX):
            conn.execute(
                sa.text("UPDATE webhook_keys SET private_pem = :pem WHERE kid = :kid"),
                {"pem": keys.seal(pem), "kid": kid},
            )


def downgrade() -> None:
    conn = op.get_bind()
    keys = _keyring()
    for kid, pem in conn.execute(sa.text("SELECT kid, private_pem FROM webhook_keys")).fetchall():
        if pem.startswith(SEALED_PREFIX):
            conn.execute(
                sa.text("UPDATE webhook_keys SET private_pem = :pem WHERE kid = :kid"),
                {"pem": keys.unseal(pem), "kid": kid},
            )
