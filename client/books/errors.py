"""Errors of the books API: each names the field or the record that was wrong."""

from __future__ import annotations

from client.api.errors import ClientError


class BooksError(ClientError):
    """A request to the books was invalid; the message names the field."""


class NotFoundError(BooksError):
    """No such record for this user (another user's records are invisible too)."""
