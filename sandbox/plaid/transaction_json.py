"""Plaid's ``Transaction`` rendered straight to JSON bytes, cached by the row's content.

``/transactions/sync`` returns up to 500 transactions of some 1.35 KB each; marshmallow
spent about 0.1 ms on each. Here one plain function builds each object, orjson writes it,
and the bytes join the reply as ``orjson.Fragment`` (written as they are). The bytes are a
pure function of the row's rendered columns (``TRANSACTION_COLUMNS``, the JSON ``details`` as
its stored text) and of the two reply options. The cache finds a rendering by the options and
the transaction's id, and serves it only while the row's rendered columns equal those it was
made from: a changed transaction (or another item's row with the same id) is rendered again
and takes the entry's place, so nothing needs invalidating. Hashing the id alone, not every
column, saves a quarter of a page's lookups. Pages re-read by several apps or by a retrying
client (the usual sync traffic) are served from the cache.

``TransactionSchema`` in ``responses`` stays the reference: ``tests/unit`` checks that both
write the same bytes for every kind of row.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import orjson

from ..core import categories
from ..core.bank import TRANSACTION_COLUMNS
from ..rendering import json_column
from .responses import LOCATION_KEYS, PAYMENT_META_KEYS, enrichment

# About 2.5 KB an entry (the row's columns and the bytes): some 2.5 MB per worker when full,
# ten pages of 100, the pages a busy app re-reads. Bigger, it kept growing past the soak
# test's warm-up (8,192 entries: 32 MiB) for little gain.
CACHE_ENTRIES = 1024

_NULLS_LOCATION = dict.fromkeys(LOCATION_KEYS)
_NULLS_PAYMENT_META = dict.fromkeys(PAYMENT_META_KEYS)
_TRANSACTION_TYPE = {"online": "digital", "in store": "place"}

_RENDERED = len(TRANSACTION_COLUMNS)  # a row's leading columns that make up its rendering
_DETAILS = _RENDERED - 1  # the last of them, the ``details`` JSON as stored
# (options, transaction id) -> (the row's rendered columns, their bytes).
_cache: OrderedDict[tuple[tuple[bool, str], str], tuple[Sequence[Any], bytes]] = OrderedDict()


@cache
def _category_parts(detailed: str) -> tuple[list[str] | None, str | None, str, str, str]:
    """(legacy hierarchy, legacy id, PFC primary, PFC detailed, icon URL) of a category."""
    category = categories.categorize(detailed)
    hierarchy = list(category.legacy_hierarchy) if category.legacy_hierarchy else None
    icon = categories.ICON_URL.format(primary=category.primary)
    return hierarchy, category.legacy_id, category.primary, category.detailed, icon


def _keys(values: dict[str, Any] | None, keys: tuple[str, ...], nulls: dict[str, None]) -> Any:
    if not values:
        return nulls
    return {key: values.get(key) for key in keys}


def _iso(day: dt.date | str | None) -> str | None:
    """A date as Plaid writes it: a ``date``, or the ISO text SQLite stores (as it is)."""
    return day if day is None or isinstance(day, str) else day.isoformat()


def transaction_dict(
    values: Sequence[Any], details: dict[str, Any], original_description: bool, pfc_version: str
) -> dict[str, Any]:
    """The ``Transaction`` object of one row's rendered columns, keys in the schema's order."""
    (
        transaction_id,
        account_id,
        amount_minor,
        currency,
        date,
        authorized_date,
        name,
        merchant_name,
        category,
        payment_channel,
        pending,
        pending_transaction_id,
    ) = values[:_DETAILS]
    hierarchy, legacy_id, primary, detailed, icon = _category_parts(category)
    entity_id, logo_url, website, counterparties = enrichment(merchant_name, category, details)
    return {
        "transaction_id": transaction_id,
        "account_id": account_id,
        "amount": None if amount_minor is None else round(amount_minor / 100, 2),
        "iso_currency_code": currency,
        "unofficial_currency_code": None,
        "date": _iso(date),
        "authorized_date": _iso(authorized_date),
        "datetime": None,
        "authorized_datetime": None,
        "name": name,
        "merchant_name": merchant_name,
        "merchant_entity_id": entity_id,
        "website": website,
        "logo_url": logo_url,
        "check_number": None,
        "original_description": name if original_description else None,
        "location": _keys(details.get("location"), LOCATION_KEYS, _NULLS_LOCATION),
        "payment_meta": _keys(details.get("payment_meta"), PAYMENT_META_KEYS, _NULLS_PAYMENT_META),
        "payment_channel": payment_channel,
        "pending": bool(pending),
        "pending_transaction_id": pending_transaction_id,
        "account_owner": None,
        "transaction_code": details.get("transaction_code"),
        "transaction_type": _TRANSACTION_TYPE.get(payment_channel, "special"),
        "category": hierarchy,
        "category_id": legacy_id,
        "personal_finance_category": {
            "primary": primary,
            "detailed": detailed,
            "confidence_level": "VERY_HIGH" if merchant_name else "HIGH",
            "version": pfc_version,
        },
        "personal_finance_category_icon_url": icon,
        "counterparties": counterparties,
    }


def render(row: Sequence[Any], original_description: bool, pfc_version: str) -> bytes:
    """One page row (``TRANSACTION_COLUMNS`` first, ``details`` as text) as JSON bytes, cached."""
    options = (original_description, pfc_version)
    return _cached(_cache.get((options, row[0])), row) or _rendered(options, row)


def _cached(entry: tuple[Sequence[Any], bytes] | None, row: Sequence[Any]) -> bytes | None:
    """The entry's bytes if it was rendered from the row's rendered columns as they are."""
    return entry[1] if entry is not None and entry[0] == row[:_RENDERED] else None


def _rendered(options: tuple[bool, str], row: Sequence[Any]) -> bytes:
    """Render a row the cache lacks and keep it (the oldest entry goes beyond the bound)."""
    details = (json_column(row[_DETAILS]) if row[_DETAILS] else None) or {}
    # Compact, as the app's provider writes replies; ``details`` holds only what orjson
    # parsed (``json_column``), so orjson writes it back.
    body = orjson.dumps(transaction_dict(row, details, *options))
    _cache[options, row[0]] = (row[:_RENDERED], body)
    if len(_cache) > CACHE_ENTRIES:
        _cache.popitem(last=False)
    return body


def array(rows: Iterable[Sequence[Any]], original_description: bool, pfc_version: str) -> Any:
    """A JSON array of transactions, ready to embed in a reply (``orjson.Fragment``)."""
    options = (original_description, pfc_version)
    cached = _cache.get  # ``render`` inlined: a page looks up hundreds of rows
    parts = [_cached(cached((options, row[0])), row) or _rendered(options, row) for row in rows]
    if not parts:
        return orjson.Fragment(b"[]")
    # The brackets join the end parts, so the array is one copy of the page's bytes: adding
    # them to the joined array copied its ~135 KB (100 rows) twice more.
    parts[0] = b"[" + parts[0]
    parts[-1] += b"]"
    return orjson.Fragment(b",".join(parts))


def removed_array(rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """``RemovedTransaction`` objects: the id and the account."""
    return [{"transaction_id": row[0], "account_id": row[1]} for row in rows]


def options_of(options: dict[str, Any]) -> tuple[bool, str]:
    """(include_original_description, personal_finance_category_version) of a request."""
    return (
        bool(options.get("include_original_description")),
        options.get("personal_finance_category_version") or "v1",
    )


def clear() -> None:
    """Forget every cached rendering (tests; never needed for correctness)."""
    _cache.clear()
