"""Data API v1 objects in TrueLayer's field names, enums and signs (truelayer.md §3.1).

The core hands over accounts, ledger rows (minor units, money out > 0, as the ledger keeps
them), payment instructions and card facts; this module words them as TrueLayer does:
account debits negative, card purchases positive (TrueLayer's card examples), sort codes
as ``12-34-56``, enums in upper case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..core.bank import Booked, Instruction, PaymentCard
from ..core.institutions import Institution
from ..core.models import Account
from . import categories
from .render import NO_END, day, instant, money, month

BUSINESS_WORDS = ("business", "company")


class Renderer:
    """Objects of one connection, stamped with the moment they were read."""

    def __init__(self, institution: Institution, provider: dict[str, Any], now: dt.datetime):
        self.institution = institution
        self.provider = provider
        self.stamp = instant(now)

    def account(self, account: Account) -> dict[str, Any]:
        """An Account: type, display name, currency, numbers and provider."""
        return {
            "update_timestamp": self.stamp,
            "account_id": account.id,
            "account_type": _account_type(account),
            "display_name": account.name,
            "currency": account.currency,
            "account_number": self._numbers(account),
            "provider": self.provider,
        }

    def _numbers(self, account: Account) -> dict[str, Any]:
        numbers = account.numbers or {}
        country = self.institution.country
        found: dict[str, Any] = {}
        if country == "GB":
            sort_code = str(numbers.get("sort_code") or "")
            found["number"] = numbers.get("bacs_account")
            found["sort_code"] = "-".join(sort_code[i : i + 2] for i in range(0, 6, 2))
        elif country in ("US", "CA"):
            found["number"] = numbers.get("account")
            found["routing_number"] = numbers.get("ach_routing")
        if numbers.get("iban"):
            found["iban"] = numbers["iban"]
        found["swift_bic"] = numbers.get("bic") or "NOT_SUPPORTED_BY_PROVIDER"
        return found

    def balance(self, account: Account) -> dict[str, Any]:
        """An account Balance: ``available`` includes pending and the arranged overdraft (the
        core's available is Plaid's, which leaves the overdraft out)."""
        available = account.available_minor
        spendable = available if available is not None else account.current_minor
        current_account = _account_type(account).endswith("TRANSACTION")
        overdraft = (account.limit_minor or 0) if current_account else 0
        found = {
            "currency": account.currency,
            "available": money(spendable + overdraft),
            "current": money(account.current_minor),
            "update_timestamp": self.stamp,
        }
        if current_account:
            found["overdraft"] = money(overdraft)
        return found

    def transaction(self, booked: Booked, kind: str | None, *, card: bool) -> dict[str, Any]:
        """A Transaction of an account (debits negative) or of a card (purchases positive)."""
        row = booked.row
        out = row.amount_minor > 0
        category = categories.transaction_category(row, kind)
        code = str(row.details.get("transaction_code") or "")
        found: dict[str, Any] = {
            "transaction_id": row.id,  # the connection's: TrueLayer's ids are per connection
            "normalised_provider_transaction_id": f"txn-{booked.bank_id}",  # the bank's
            "provider_transaction_id": booked.bank_id,
            "timestamp": day(row.date),
            "description": row.name,
            "amount": money(row.amount_minor if card else -row.amount_minor),
            "currency": row.currency,
            "transaction_type": "DEBIT" if out else "CREDIT",
            "transaction_category": category,
            "transaction_classification": categories.classification(row, category),
            "meta": {
                "provider_transaction_category": categories.provider_code(code, kind, out),
                "transaction_type": "Debit" if out else "Credit",
            },
        }
        if row.merchant_name:
            found["merchant_name"] = row.merchant_name
            found["meta"]["provider_merchant_name"] = row.merchant_name
        if booked.balance_after_minor is not None:  # a card's balance is what is owed
            found["running_balance"] = {
                "amount": money(booked.balance_after_minor),
                "currency": row.currency,
            }
        return found

    def standing_order(self, order: Instruction) -> dict[str, Any]:
        """A Standing order (amounts positive: what each payment sends)."""
        found: dict[str, Any] = {
            "frequency": frequency_code(order.frequency, order.day),
            "status": "Active" if order.active else "Inactive",
            "timestamp": self.stamp,
            "currency": order.currency,
            "meta": {"provider_account_id": order.account_id},
            "first_payment_date": day(order.first_date),
            "first_payment_amount": money(order.first_minor),
            "final_payment_date": NO_END,
            "payee": order.payee,
            "reference": order.reference,
        }
        if order.next_date is not None and order.next_minor is not None:
            found["next_payment_date"] = day(order.next_date)
            found["next_payment_amount"] = money(order.next_minor)
        return found

    def direct_debit(self, debit: Instruction) -> dict[str, Any]:
        """A Direct debit: the payee's mandate and the last collection."""
        return {
            "direct_debit_id": debit.instruction_id,
            "timestamp": self.stamp,
            "name": debit.payee,
            "status": "Active" if debit.active else "Inactive",
            "previous_payment_timestamp": day(debit.previous_date),
            "previous_payment_amount": money(debit.previous_minor),
            "currency": debit.currency,
            "meta": {
                "provider_mandate_identification": debit.mandate_id,
                "provider_account_id": debit.account_id,
            },
        }

    def card(self, card: PaymentCard) -> dict[str, Any]:
        """A Card: network, type, last digits, holder and validity."""
        account = card.account
        return {
            "account_id": account.id,
            "card_network": card.network.upper(),
            "card_type": card.card_type.upper(),
            "currency": account.currency,
            "display_name": account.name,
            "partial_card_number": card.last_four,
            "name_on_card": card.holder,
            "valid_from": month(card.valid_from),
            "valid_to": month(card.valid_to),
            "update_timestamp": self.stamp,
            "provider": self.provider,
        }

    def card_balance(self, account: Account, statement: dict[str, Any]) -> dict[str, Any]:
        """A Card balance: ``current`` is what is owed, ``available`` what is left to spend:
        pending purchases count, as for an account's ``available`` (the core's available,
        which Plaid shows for the same card)."""
        limit = account.limit_minor
        found: dict[str, Any] = {
            "currency": account.currency,
            "current": money(account.current_minor),
            "last_statement_balance": money(statement["last_statement_balance"]),
            "last_statement_date": day(statement["last_statement_issue_date"]),
            "payment_due": money(statement["minimum_payment_amount"]),
            "payment_due_date": day(statement["next_payment_due_date"]),
            "update_timestamp": self.stamp,
        }
        if limit is not None:
            available = account.available_minor
            spendable = available if available is not None else limit - account.current_minor
            found["available"] = money(spendable)
            found["credit_limit"] = money(limit)
        return found

    def info(self, holder: dict[str, Any]) -> dict[str, Any]:
        """Info: the account holder's name, emails, phones and addresses."""
        return {
            "full_name": holder["names"][0],
            "update_timestamp": self.stamp,
            "emails": [e["data"] for e in holder["emails"]],
            "phones": [p["data"] for p in holder["phone_numbers"]],
            "addresses": [
                {
                    "address": a["data"]["street"],
                    "city": a["data"]["city"],
                    "state": a["data"]["region"],
                    "zip": a["data"]["postal_code"],
                    "country": a["data"]["country"],
                }
                for a in holder["addresses"]
            ],
        }


def _account_type(account: Account) -> str:
    """TRANSACTION or SAVINGS, with BUSINESS_ in front for a business's account."""
    base = "SAVINGS" if account.subtype in categories.SAVINGS_SUBTYPES else "TRANSACTION"
    name = f"{account.name} {account.official_name or ''}".lower()
    return f"BUSINESS_{base}" if any(w in name for w in BUSINESS_WORDS) else base


def frequency_code(frequency: str, on: int) -> str:
    """The ISO 20022-style code of a schedule (``IntrvlMnthDay:01:15``: monthly on the 15th)."""
    if frequency == "WEEKLY":
        return f"IntrvlWkDay:01:{on % 7 + 1:02d}"
    if frequency == "BIWEEKLY":
        return f"IntrvlWkDay:02:{on % 7 + 1:02d}"
    if frequency == "ANNUALLY":
        return f"IntrvlMnthDay:12:{min(on, 31):02d}"
    if frequency == "SEMI_MONTHLY":
        return "IntrvlMnthDay:01:15"  # DIVERGES: a twice-monthly order has no single code
    return f"IntrvlMnthDay:01:{min(max(on, 1), 31):02d}"
