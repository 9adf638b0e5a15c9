"""Grants: an app's consented, time-limited access to one item (TrueLayer's connection).

Dialect-neutral: app clients, consents, single-use codes, JWT access tokens and rotating
refresh tokens. ``resolve_access`` turns a bearer token into a :class:`Grant` without
knowing the tenant first; ``bank.grants`` (:class:`Grants`) does everything tenant-bound.
"""

from __future__ import annotations

from .access import Grant, resolve_access
from .part import Extension, Grants, Issuer, TokenSet

__all__ = ["Extension", "Grant", "Grants", "Issuer", "TokenSet", "resolve_access"]
