"""The Plaid-protocol HTTP client: transport, typed errors, endpoint methods."""

from client.api.errors import PlaidError
from client.api.plaid import PlaidClient

__all__ = ["PlaidClient", "PlaidError"]
