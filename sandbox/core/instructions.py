"""Standing orders and direct debits: the payment instructions behind an account's outflows.

The ledger engine already knows every recurring outflow it generates (``ledger.streams``):
rent and savings transfers are orders the account holder set up (standing orders); bills,
loan installments and card repayments are collected by the payee (direct debits). An
instruction is read off the stream's definition (payee, day, frequency) and the posted
rows it produced (first and previous payment), and its next payment is the day the engine
will post it (``ledger.next_occurrence``), so it always agrees with the transactions.
Streams the engine did not generate (``user_custom`` data) carry no instruction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from . import institutions, items, ledger, recurring
from .ledger import schedule
from .models import Account, Item
from .seeding import make_id

STANDING_ORDER = "standing_order"
DIRECT_DEBIT = "direct_debit"
DIRECT_DEBIT_KEYS = ("loan:", "cardpay:")  # installments and card repayments
STANDING_ORDER_KEYS = ("rent", "save:")  # rent and the monthly move to savings


@dataclass(frozen=True)
class Instruction:
    """A standing order or direct debit of one account (amounts in minor units, money out > 0)."""

    instruction_id: str
    kind: str  # STANDING_ORDER or DIRECT_DEBIT
    account_id: str
    payee: str
    reference: str
    frequency: str  # the engine's: WEEKLY, BIWEEKLY, SEMI_MONTHLY, MONTHLY, ANNUALLY
    day: int  # day of the month (weekday for weekly streams) it falls on
    currency: str
    active: bool
    first_date: dt.date
    first_minor: int
    previous_date: dt.date
    previous_minor: int
    next_date: dt.date | None
    next_minor: int | None
    mandate_id: str


def kind_of(details: dict[str, Any], amount_minor: int) -> str | None:
    """Which instruction made a ledger row (None: a one-off, an inflow or a charge)."""
    key = str(details.get("stream") or "")
    if not key or amount_minor <= 0:
        return None
    if details.get("transaction_code") == "direct debit" or key.startswith(DIRECT_DEBIT_KEYS):
        return DIRECT_DEBIT
    if key.startswith(STANDING_ORDER_KEYS):
        return STANDING_ORDER
    return None


def of_account(
    session: Session, item: Item, account: Account, kind: str, today: dt.date
) -> list[Instruction]:
    """The ``kind`` instructions of ``account`` that have made at least one payment."""
    institution = institutions.get(item.institution_id)
    plan = items.plan_for(session, item, institution.country, institution.currency)
    definitions = {s.key: s for s in ledger.streams(plan)}
    found = []
    for stream in recurring.streams(session, item, [account], today):
        last = stream.transactions[-1]
        key = str(last.details.get("stream") or "")
        definition = definitions.get(key)
        if definition is None or kind_of(last.details, last.amount_minor) != kind:
            continue
        found.append(_instruction(plan, stream, definition, account, kind, today))
    return found


def _instruction(
    plan: ledger.ItemPlan,
    stream: recurring.Stream,
    definition: ledger.Recurring,
    account: Account,
    kind: str,
    today: dt.date,
) -> Instruction:
    first, last = stream.transactions[0], stream.transactions[-1]
    next_date = ledger.next_occurrence(plan, definition, today) if stream.is_active else None
    next_minor = None
    if next_date is not None:  # card repayments depend on the statement: say the last one
        amount = schedule.amount_on(plan, definition, next_date)
        next_minor = amount if definition.amount_minor else last.amount_minor
    return Instruction(
        instruction_id=stream.stream_id,
        kind=kind,
        account_id=account.id,
        payee=definition.merchant_name or _payee(definition.name),
        reference=definition.name,
        frequency=definition.frequency,
        day=definition.day,
        currency=account.currency,
        active=stream.is_active,
        first_date=first.date,
        first_minor=first.amount_minor,
        previous_date=last.date,
        previous_minor=last.amount_minor,
        next_date=next_date,
        next_minor=next_minor,
        mandate_id=make_id(stream.stream_id, "mandate"),
    )


def _payee(description: str) -> str:
    """A payee name from a bank description ("Online Transfer to SAV ...1234" -> "SAV ...1234")."""
    head, sep, tail = description.partition(" to ")
    return tail if sep else head
