"""Stable randomness: every generated value derives from a key, never from call order.

``hash()`` is salted per process and ``uuid4()`` is random, so neither appears here;
SHA-256 over ``repr(key)`` gives the same bytes on every machine.
"""

from __future__ import annotations

import hashlib
import random
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Faker loads with the first generated person, not with the app
    from faker import Faker

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PAIRS = tuple(_BASE62[n % 62] + _BASE62[n // 62] for n in range(62 * 62))
ID_LENGTH = 37
_ID_MODULUS = 62**ID_LENGTH
_FAKER_LOCALES = {
    "US": "en_US",
    "CA": "en_CA",
    "GB": "en_GB",
    "IE": "en_IE",
    "FR": "fr_FR",
    "DE": "de_DE",
    "NL": "nl_NL",
    "ES": "es_ES",
    "IT": "it_IT",
}
# Per thread: a reseeded instance shared by two threads would interleave their draws.
_fakers = threading.local()


def digest(*key: object) -> bytes:
    """The SHA-256 of a key tuple: the root of all derived randomness."""
    return hashlib.sha256(repr(key).encode()).digest()


def seed_int(*key: object) -> int:
    """A 64-bit integer seed for ``key``."""
    return int.from_bytes(digest(*key)[:8], "big")


def rng_for(*key: object) -> random.Random:
    """A private ``random.Random`` seeded from ``key``."""
    return random.Random(seed_int(*key))


def faker_for(*key: object, country: str = "US") -> Faker:
    """A Faker for ``key``, reseeded on each call so results never depend on call order.

    Building a Faker costs ~10 ms, so one instance per locale and thread is reused;
    reseeding it makes the output a pure function of ``key``.
    """
    from faker import Faker

    locale = _FAKER_LOCALES.get(country, "en_US")
    cache: dict[str, Faker] = _fakers.__dict__.setdefault("by_locale", {})
    fake = cache.get(locale)
    if fake is None:
        fake = cache[locale] = Faker(locale)
    fake.seed_instance(seed_int(*key))
    return fake


def make_id(*key: object) -> str:
    """A Plaid-like 37-character base62 id derived from ``key`` (least significant first).

    Two digits per step: ids are made for every generated row, so this is on a hot path.
    """
    number = int.from_bytes(digest(*key) + digest("more", *key), "big") % _ID_MODULUS
    parts = []
    for _ in range(ID_LENGTH // 2):
        number, pair = divmod(number, 62 * 62)
        parts.append(_PAIRS[pair])
    parts.append(_BASE62[number])
    return "".join(parts)


def digits(rng: random.Random, count: int) -> str:
    """``count`` random decimal digits from ``rng``."""
    return "".join(str(rng.randrange(10)) for _ in range(count))
