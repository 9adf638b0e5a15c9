"""A bank sync library that speaks Plaid's protocol; the local sandbox is its test bed."""

from client.api.plaid import PlaidClient

__all__ = ["PlaidClient"]
