"""Accounts of a new item: built from a persona recipe or a ``user_custom`` config.

Account ids derive from the tenant seed and the item counter (so two links of the
same user get different ids, as in Plaid); everything else derives from the data key
``(seed, username, institution)`` so re-linking shows the same accounts and numbers.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import json_rows, numbers
from .errors import InvalidAccountId
from .institutions import Institution
from .ledger import AccountPlan
from .models import Account, Item
from .prepared import Prepared
from .seeding import digits, faker_for, make_id, rng_for

TERM_KEYS = (
    "revolving",
    "close_day",
    "original",
    "originated",
    "term_months",
    "due_day",
    "escrow",
    "status",
)
# Accounts that carry routable numbers (``/auth/get``, processor tokens, Signal).
AUTH_SUBTYPES = {"checking", "savings", "cash management"}
DEFAULT_CUSTOM_ACCOUNT = {"type": "depository", "subtype": "checking", "starting_balance": 10000}


@dataclass
class AccountsView:
    """An item with (a selection of) its accounts."""

    item: Item
    accounts: list[Account]


@dataclass
class ShownAccountsView:
    """An item with (a selection of) its accounts as replies show them (``read_shown``)."""

    item: Item
    accounts: list[ShownAccount]


def to_minor(value: float | int | str | Decimal) -> int:
    """Decimal currency units to integer minor units (cents, pence)."""
    return int((Decimal(str(value)) * 100).quantize(Decimal(1)))


def recipes_for(persona: dict[str, Any], custom: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The account recipes of a login: the custom override, else the persona's."""
    if custom is None:
        recipes: list[dict[str, Any]] = persona["accounts"]
        return recipes
    overrides = custom.get("override_accounts") or [DEFAULT_CUSTOM_ACCOUNT]
    return [_custom_recipe(raw) for raw in overrides]


def _custom_recipe(raw: dict[str, Any]) -> dict[str, Any]:
    meta = raw.get("meta") or {}
    subtype = raw.get("subtype") or "checking"
    balance = raw.get("starting_balance", 10000)
    kind = raw.get("type", "depository")
    return {
        "type": kind,
        "subtype": subtype,
        "name": meta.get("name") or f"Custom {subtype.title()}",
        "official_name": meta.get("official_name"),
        "mask": meta.get("mask"),
        "current": balance,
        "available": raw.get("force_available_balance", _custom_available(kind, balance, meta)),
        "limit": meta.get("limit"),
        "currency": raw.get("currency"),
        "numbers": raw.get("numbers") or {},
        "transactions": raw.get("transactions"),
    }


def _custom_available(kind: str, balance: float, meta: dict[str, Any]) -> float | None:
    """A custom account's available balance unless forced, as Plaid's accounts of its type
    show one: a card's is its limit less what is owed (none without a limit), a loan has none,
    and otherwise it is the balance."""
    if kind == "credit":
        limit = meta.get("limit")
        return None if limit is None else limit - balance
    return None if kind == "loan" else balance


def build(
    item_pk: int,
    id_key: tuple[object, ...],
    data_key: tuple[object, ...],
    institution: Institution,
    recipes: list[dict[str, Any]],
) -> list[Account]:
    """Account rows for a new item (balances as of its creation)."""
    built = []
    for ordinal, recipe in enumerate(recipes):
        rng = rng_for(*data_key, "account", ordinal)
        currency = recipe.get("currency") or institution.currency
        limit = recipe.get("limit")
        available = recipe.get("available")
        mask = recipe.get("mask") or digits(rng, 4)
        built.append(
            Account(
                id=make_id(*id_key, "account", ordinal),
                item_pk=item_pk,
                ordinal=ordinal,
                type=recipe["type"],
                subtype=recipe.get("subtype"),
                name=recipe["name"],
                official_name=recipe.get("official_name"),
                mask=mask,
                currency=currency,
                current_minor=to_minor(recipe["current"]),
                available_minor=None if available is None else to_minor(available),
                limit_minor=None if limit is None else to_minor(limit),
                numbers=numbers.for_account(rng, institution, mask, recipe.get("numbers") or {}),
                details={
                    "apr": recipe.get("apr"),
                    "custom_transactions": recipe.get("transactions"),
                    "opening_minor": to_minor(recipe["current"]),
                    "terms": {k: recipe[k] for k in TERM_KEYS if k in recipe},
                    "network": recipe.get("network"),  # a card's scheme, e.g. VISA
                },
            )
        )
    return built


def plans(accounts: list[Account]) -> tuple[AccountPlan, ...]:
    """What the ledger generator needs of each account."""
    return tuple(
        AccountPlan(
            a.ordinal,
            a.type,
            a.subtype,
            a.name,
            mask=a.mask or "0000",
            opening_minor=a.details.get("opening_minor", a.current_minor),
            limit_minor=a.limit_minor,
            apr=a.details.get("apr"),
            terms=tuple(sorted((a.details.get("terms") or {}).items())),
        )
        for a in accounts
    )


def owner(
    data_key: tuple[object, ...], country: str, given: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The account holder's identity (``/identity/get``), stable per login.

    A persona's own ``owner`` (``user_good``'s is the one Plaid's sandbox documents, so
    Identity Match scores Plaid's example values) serves at banks of its address's country.
    """
    if given is not None and given["addresses"][0]["data"]["country"] == country:
        return given
    fake = faker_for(*data_key, "owner", country=country)
    name = fake.name()
    address = {
        "street": fake.street_address(),
        "city": fake.city(),
        "region": fake.state_abbr() if country == "US" else None,
        "postal_code": fake.postcode(),
        "country": country,
    }
    return {
        "names": [name],
        "phone_numbers": [
            {
                "data": fake.numerify("+1 ### ### ####")
                if country == "US"
                else fake.phone_number(),
                "primary": True,
                "type": "mobile",
            }
        ],
        "emails": [{"data": fake.email(), "primary": True, "type": "primary"}],
        "addresses": [{"data": address, "primary": True}],
    }


def select(item: Item, account_ids: list[str] | None) -> list[Account]:
    """The item's accounts, or those named (any foreign id is ``INVALID_ACCOUNT_ID``)."""
    return chosen(list(item.accounts), account_ids)


# Built once (every accounts read runs it): plain columns, compiled once per dialect.
_TABLE = Account.__table__
_OF_ITEM = Prepared(
    sa.select(*_TABLE.c)
    .where(_TABLE.c.item_pk == sa.bindparam("item_pk"))
    .order_by(_TABLE.c.ordinal)
)
# What a reply shows of an account (Plaid's ``AccountBase``), with no JSON column to parse: the
# balance, accounts, sync and transactions replies, the hottest reads of all.
_SHOWN = (
    "id",
    "type",
    "subtype",
    "name",
    "official_name",
    "mask",
    "currency",
    "current_minor",
    "available_minor",
    "limit_minor",
    "verification_status",
    "verification_name",
)
_SHOWN_OF_ITEM = Prepared(
    sa.select(*(_TABLE.c[name] for name in _SHOWN))
    .where(_TABLE.c.item_pk == sa.bindparam("item_pk"))
    .order_by(_TABLE.c.ordinal)
)
_ShownRow = namedtuple("Row", _SHOWN)  # type: ignore[misc]  # as ``Prepared`` makes them


def shown_column(item_pk: Any) -> Any:
    """The accounts of the item ``item_pk`` as ``read_shown`` reads them, as one column of
    another statement (``json_rows``): for a call that reads its item's row anyway."""
    return json_rows.column(
        _TABLE.c.ordinal, [_TABLE.c[name] for name in _SHOWN], _TABLE.c.item_pk == item_pk
    )


def shown_from_column(value: Any) -> list[ShownAccount]:
    """The accounts a ``shown_column`` value holds, in their order."""
    return json_rows.decode(value, _ShownRow._make)


class ShownAccount(Protocol):
    """An account as a reply shows it (``read_shown``): ``Account``'s columns of the same
    names, without its numbers and details. An ``Account`` is one too."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def subtype(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def official_name(self) -> str | None: ...
    @property
    def mask(self) -> str | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def current_minor(self) -> int: ...
    @property
    def available_minor(self) -> int | None: ...
    @property
    def limit_minor(self) -> int | None: ...
    @property
    def verification_status(self) -> str | None: ...
    @property
    def verification_name(self) -> str | None: ...


def read(session: Session, item: Item, account_ids: list[str] | None) -> list[Account]:
    """The item's accounts (or those named) as read-only rows, for replies that only show them.

    A row has every column of ``Account`` under the same names (no relationships, no
    setters) and costs a tenth of an ORM object; changes this request made are flushed
    first, so the rows show them.
    """
    session.flush()
    rows: list[Any] = _OF_ITEM.all(session, {"item_pk": item.pk})
    return chosen(rows, account_ids)


def read_shown(session: Session, item: Item, account_ids: list[str] | None) -> list[ShownAccount]:
    """``read`` without the numbers and details: the accounts a reply shows as they are."""
    session.flush()
    rows: list[Any] = _SHOWN_OF_ITEM.all(session, {"item_pk": item.pk})
    return chosen(rows, account_ids)


_Row = TypeVar("_Row", bound=ShownAccount)


def chosen(accounts: list[_Row], account_ids: list[str] | None) -> list[_Row]:
    """The accounts ``account_ids`` names, in its order, each once (an id named twice
    would count its balance twice in an app's sum), or every account without a filter."""
    if account_ids is None:
        return accounts
    by_id = {a.id: a for a in accounts}
    if unknown := [a for a in account_ids if a not in by_id]:
        raise InvalidAccountId(
            f"the following account_ids are invalid: {', '.join(unknown)}", field="account_ids"
        )
    return [by_id[a] for a in dict.fromkeys(account_ids)]
