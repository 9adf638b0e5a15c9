"""TrueLayer's value formats: ONE formatter per output form.

Money is a JSON number in major units (``-2.99``), never minor units or strings; an instant
is ISO 8601 in UTC with ``Z`` (in an error's words, TrueLayer's shorter form); a posting day
is midnight UTC with an offset, as providers send it; a card's validity is ``YYYY-MM``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# Currencies TrueLayer serves (GBP, EUR, USD, AUD) all have two decimals.
MINOR_DIGITS = 2


def money(minor: int) -> float:
    """Minor units as major units (a float holds two decimals exactly enough to print them)."""
    return float(Decimal(minor).scaleb(-MINOR_DIGITS))


def instant(moment: dt.datetime) -> str:
    """A moment: ``2026-03-16T15:30:00.000000Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def spoken_instant(moment: dt.datetime) -> str:
    """A moment inside an error's words, as TrueLayer writes one ("The token expired at
    '2020-12-07 12:34:56Z'", its OpenAPI file's 401 example): ``2026-03-16 15:30:00Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def day(date: dt.date) -> str:
    """A posting or payment day: ``2026-03-16T00:00:00+00:00``."""
    return f"{date.isoformat()}T00:00:00+00:00"


def month(date: dt.date) -> str:
    """A card's ``valid_from``/``valid_to``: ``2026-03``."""
    return date.strftime("%Y-%m")


# An open-ended standing order's final payment date, as TrueLayer writes it.
NO_END = "9999-12-31T00:00:00+00:00"
