"""``bank.signal``: how likely an ACH debit from an account is to come back, and why.

Plaid's sandbox answers ``/signal/evaluate`` with random scores; here both scores derive
from the account's own ledger, so the same seed, clock and request give the same answer and
a test can reason about them:

- the **bank-initiated** return risk (insufficient funds, closed account: R01, R02, R03…)
  grows with the debit's share of the available balance, the days the account spent below
  zero and its low end-of-day balances, and with earlier bank-initiated returns reported for
  the account;
- the **customer-initiated** risk (unauthorized: R05, R07, R10, R11, R29) grows for a young
  connection, several recent connections of the same login, a debit far above the account's
  usual debits, and earlier unauthorized returns.

Plaid's documented sandbox amounts keep their fixed scores (3.53 → 10, 12.17 → 60,
27.53 → 90). Evaluations are stored so decisions and returns can be reported against them.

DIVERGES (unconfirmed): a ``client_transaction_id`` is unique per item, not per tenant, and
evaluating it again on its item with the same account and amount re-scores it (at most
``EVALUATIONS_PER_HOUR`` times in a rolling hour of the tenant's clock, Plaid's sandbox limit
"10 per transaction per hour"); another account or amount is
``CLIENT_TRANSACTION_ID_ALREADY_IN_USE``. Plaid's quickstart sends one fixed id for every
item, so a second session with the same keys must not be refused. The reports name only the
id: they apply to the tenant's latest evaluation of it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from . import accounts as accounts_mod
from . import balances, errors, signal_schedule
from .models import Account, Item, SignalEvaluation, Transaction
from .signal_schedule import Schedule

if TYPE_CHECKING:
    from .bank import Bank

# Plaid's documented sandbox amounts (minor units) and the score both risks take for them.
FIXED_SCORES = {353: 10, 1217: 60, 2753: 90}
CUSTOMER_RETURN_CODES = frozenset({"R05", "R07", "R10", "R11", "R29"})
NSF_CATEGORIES = frozenset({"BANK_FEES_OVERDRAFT_FEES", "BANK_FEES_INSUFFICIENT_FUNDS"})
DEFAULT_RULESET = "default"
REVIEW_AT, REROUTE_AT = 50, 80
WINDOWS = (7, 30, 60, 90)
EVALUATIONS_PER_HOUR = 10  # of one transaction (Plaid's sandbox limit)
RATE_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Evaluation:
    """One scored debit: the two risks (1-99), the ruleset's verdict and the attributes."""

    bank_score: int
    customer_score: int
    ruleset_key: str
    result: str  # ACCEPT, REVIEW or REROUTE
    triggered_by: str | None
    attributes: dict[str, Any]  # Plaid's core attribute names; money in minor units
    item_error: str | None  # the condition of an item in error: scored from its last data


def check_ruleset(ruleset_key: str | None) -> None:
    """Only the ``default`` ruleset exists (``RULESET_NOT_FOUND`` otherwise)."""
    if ruleset_key not in (None, DEFAULT_RULESET):
        raise errors.RulesetNotFound(field="ruleset_key")


def _scored_on(evaluation: SignalEvaluation, account: Account) -> bool:
    return (evaluation.item_pk, evaluation.account_id) == (account.item_pk, account.id)


def percentile(values: list[int], p: int) -> int | None:
    """The ``p``-th percentile by the nearest-rank method (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, -(-p * len(ordered) // 100) - 1)]


class Signal:
    """One tenant's Signal evaluations, on the bank's session."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.session = bank.session

    def prepare(self, access_token: str) -> Item:
        """``/signal/prepare``: add Signal to an item linked without it."""
        return self.prepare_item(self.bank.item(access_token))

    def prepare_item(self, item: Item) -> Item:
        """``prepare`` for an item already in hand (a processor token's)."""
        self.bank.bill(item, "signal")
        return item

    def evaluate(
        self,
        access_token: str,
        account_id: str,
        client_transaction_id: str,
        amount_minor: int,
        ruleset_key: str | None = None,
    ) -> Evaluation:
        """Score a debit of ``amount_minor`` from ``account_id`` and remember it."""
        check_ruleset(ruleset_key)
        item = self.bank.item(access_token, allow_error=True)
        account = accounts_mod.select(item, [account_id])[0]
        return self.evaluate_account(item, account, client_transaction_id, amount_minor)

    def evaluate_account(
        self, item: Item, account: Account, client_transaction_id: str, amount_minor: int
    ) -> Evaluation:
        """``evaluate`` for an account already in hand (a processor token's), its ruleset
        checked (``check_ruleset``)."""
        self.bank.bill(item, "signal")
        _check_depository(account)
        # One evaluation of an item at a time: two first evaluations of one id would both
        # insert its row, and the second would break the unique constraint.
        self.bank.lock(item)
        now = self.bank.now()
        row, recent = self._row(item, account, client_transaction_id, amount_minor, now)
        attributes = self._attributes(item, account, amount_minor)
        bank_score, customer_score = self._scores(item, account, amount_minor, attributes)
        row.evaluation_seq = self._next_seq(client_transaction_id)
        row.bank_score, row.customer_score = bank_score, customer_score
        row.recent_evaluations = [*recent, now.isoformat()]
        self.session.add(row)
        worst = max(bank_score, customer_score)
        result = "REROUTE" if worst >= REROUTE_AT else "REVIEW" if worst >= REVIEW_AT else "ACCEPT"
        triggered = None if result == "ACCEPT" else f"return risk {worst} >= {REVIEW_AT}"
        return Evaluation(
            bank_score,
            customer_score,
            DEFAULT_RULESET,
            result,
            triggered,
            attributes,
            item.error_code,
        )

    def schedule(
        self, access_token: str, account_id: str, amount_minor: int, payment_method: str
    ) -> Schedule:
        """``/signal/schedule``: the banking days to submit a debit on, best first
        (``signal_schedule``); an item in error gets every day ``UNKNOWN``."""
        item = self.bank.item(access_token, allow_error=True)
        account = accounts_mod.select(item, [account_id])[0]
        self.bank.bill(item, "signal")
        _check_depository(account)
        available = account.available_minor
        today = self.bank.clock.today()
        balance = signal_schedule.Balance(
            account.current_minor if available is None else available,
            account.current_minor,
            lambda days: balances.change_by(self.session, item, account, today, days),
        )
        return signal_schedule.schedule(
            self.bank.now(), payment_method, amount_minor, balance, item.error_code
        )

    def report_decision(
        self,
        client_transaction_id: str,
        initiated: bool,
        details: dict[str, Any],
        account: Account | None = None,
    ) -> None:
        """``/signal/decision/report``: whether the app went ahead, and how (``account``: only
        a debit scored on that account, a processor token's)."""
        evaluation = self._evaluated(client_transaction_id, account)
        evaluation.initiated = initiated
        evaluation.decision = details

    def report_return(
        self,
        client_transaction_id: str,
        return_code: str,
        returned_at: dt.datetime | None,
        account: Account | None = None,
    ) -> None:
        """``/signal/return/report``: the debit came back; later scores of the account rise."""
        evaluation = self._evaluated(client_transaction_id, account)
        if evaluation.initiated is False:
            raise errors.SignalTransactionNotInitiated(field="client_transaction_id")
        evaluation.return_code = return_code
        evaluation.returned_at = returned_at or self.bank.now()

    def _row(
        self,
        item: Item,
        account: Account,
        client_transaction_id: str,
        amount_minor: int,
        now: dt.datetime,
    ) -> tuple[SignalEvaluation, list[str]]:
        """The item's row for this id (a new one the first time) and its times in the hour.

        The same id again is a re-evaluation only with the same account and amount.
        """
        # DIVERGES: (unconfirmed) the id is unique per item, not per tenant: module docstring.
        stored = self.session.scalar(
            select(SignalEvaluation).where(
                SignalEvaluation.tenant_id == self.bank.tenant.id,
                SignalEvaluation.client_transaction_id == client_transaction_id,
                SignalEvaluation.item_pk == item.pk,
            )
        )
        if stored is None:
            row = SignalEvaluation(
                tenant_id=self.bank.tenant.id,
                client_transaction_id=client_transaction_id,
                item_pk=item.pk,
                account_id=account.id,
                amount_minor=amount_minor,
                created_at=now,
            )
            return row, []
        if (stored.account_id, stored.amount_minor) != (account.id, amount_minor):
            raise errors.ClientTransactionIdInUse(field="client_transaction_id")
        return stored, self._recent(stored, now)

    def _recent(self, stored: SignalEvaluation, now: dt.datetime) -> list[str]:
        """The stored evaluation's times within the hour, or ``RateLimited`` at the limit."""
        since = now - RATE_WINDOW
        recent = [t for t in stored.recent_evaluations if dt.datetime.fromisoformat(t) > since]
        if len(recent) >= EVALUATIONS_PER_HOUR:
            frees_at = min(map(dt.datetime.fromisoformat, recent)) + RATE_WINDOW
            raise errors.RateLimited(
                f"client_transaction_id {stored.client_transaction_id} was evaluated "
                f"{EVALUATIONS_PER_HOUR} times in the last hour",
                code="RATE_LIMIT",
                retry_after=max(1, math.ceil((frees_at - now).total_seconds())),
            )
        return recent

    def _next_seq(self, client_transaction_id: str) -> int:
        """One past the tenant's latest evaluation of this id (on any item)."""
        latest = self.session.scalar(
            select(func.max(SignalEvaluation.evaluation_seq)).where(
                SignalEvaluation.tenant_id == self.bank.tenant.id,
                SignalEvaluation.client_transaction_id == client_transaction_id,
            )
        )
        return (latest or 0) + 1

    def _latest(self, client_transaction_id: str) -> SignalEvaluation | None:
        """The tenant's most recent evaluation of this id: the one the reports apply to."""
        return self.session.scalar(
            select(SignalEvaluation)
            .where(
                SignalEvaluation.tenant_id == self.bank.tenant.id,
                SignalEvaluation.client_transaction_id == client_transaction_id,
            )
            .order_by(SignalEvaluation.evaluation_seq.desc(), SignalEvaluation.pk.desc())
            .limit(1)
        )

    def _evaluated(
        self, client_transaction_id: str, account: Account | None = None
    ) -> SignalEvaluation:
        # DIVERGES: Plaid's behaviour for an id it never scored is undocumented; saying so
        # beats accepting a report that can change nothing. A processor token sees only the
        # debits scored on its own account: another account's are as unknown.
        evaluation = self._latest(client_transaction_id)
        if account is not None and evaluation is not None and not _scored_on(evaluation, account):
            evaluation = None
        if evaluation is None:
            raise errors.InvalidField(
                f"no evaluation used client_transaction_id {client_transaction_id}",
                field="client_transaction_id",
            )
        return evaluation

    def _attributes(self, item: Item, account: Account, amount_minor: int) -> dict[str, Any]:
        """Plaid's core attributes that the sandbox's data can answer."""
        today = self.bank.clock.today()
        rows = self._posted(item, account, today - dt.timedelta(days=90))
        series = self.bank.balance_history(item, [account], today - dt.timedelta(days=89), today)
        balances = [balance for _, balance in series[0].points]
        found: dict[str, Any] = {
            "available_balance_minor": account.available_minor,
            "current_balance_minor": account.current_minor,
            "balance_last_updated": self.bank.now(),
            "transactions_last_updated": item.last_successful_update,
            "is_savings_or_money_market_account": account.subtype in ("savings", "money market"),
            "is_account_closed": False,
            "is_account_frozen_or_restricted": False,
            "days_with_negative_balance_count_90d": sum(b < 0 for b in balances),
            **self._connections(item),
        }
        for days in WINDOWS:
            since = today - dt.timedelta(days=days)
            window = [r for r in rows if r.date > since]
            found[f"nsf_overdraft_transactions_count_{days}d"] = sum(
                r.category in NSF_CATEGORIES for r in window
            )
        for days in (10, 30, 60, 90):
            since = today - dt.timedelta(days=days)
            debits = [r.amount_minor for r in rows if r.date > since and r.amount_minor > 0]
            credits = [-r.amount_minor for r in rows if r.date > since and r.amount_minor < 0]
            found[f"debit_transactions_count_{days}d"] = len(debits)
            found[f"credit_transactions_count_{days}d"] = len(credits)
            found[f"total_debit_transactions_amount_{days}d_minor"] = sum(debits)
            found[f"total_credit_transactions_amount_{days}d_minor"] = sum(credits)
        month = [r.amount_minor for r in rows if r.date > today - dt.timedelta(days=28)]
        for p in (50, 95):
            found[f"p{p}_debit_transactions_amount_28d_minor"] = percentile(
                [a for a in month if a > 0], p
            )
            found[f"p{p}_credit_transactions_amount_28d_minor"] = percentile(
                [-a for a in month if a < 0], p
            )
        for days in (30, 60, 90):
            for p in (10, 50, 90):
                found[f"p{p}_eod_balance_{days}d_minor"] = percentile(balances[-days:], p)
        available = account.available_minor or account.current_minor
        found["balance_to_transaction_amount_ratio"] = round(available / amount_minor, 2)
        return found

    def _posted(self, item: Item, account: Account, since: dt.date) -> list[Transaction]:
        return list(
            self.session.scalars(
                select(Transaction).where(
                    Transaction.item_pk == item.pk,
                    Transaction.account_id == account.id,
                    Transaction.removed.is_(False),
                    Transaction.pending.is_(False),
                    Transaction.date > since,
                )
            )
        )

    def _connections(self, item: Item) -> dict[str, int]:
        """How long and how often this login has been connected at this bank."""
        created = list(
            self.session.scalars(
                select(Item.created_at).where(
                    Item.tenant_id == item.tenant_id,
                    Item.username == item.username,
                    Item.institution_id == item.institution_id,
                )
            )
        )
        now = self.bank.now()
        return {
            "days_since_first_plaid_connection": (now - min(created)).days,
            "plaid_connections_count_7d": sum(now - c <= dt.timedelta(days=7) for c in created),
            "plaid_connections_count_30d": sum(now - c <= dt.timedelta(days=30) for c in created),
            "total_plaid_connections_count": len(created),
        }

    def _returns(self, account: Account) -> tuple[int, int]:
        """Earlier returns reported for the account: (bank-initiated, customer-initiated)."""
        codes = list(
            self.session.scalars(
                select(SignalEvaluation.return_code).where(
                    SignalEvaluation.item_pk == account.item_pk,
                    SignalEvaluation.account_id == account.id,
                    SignalEvaluation.return_code.is_not(None),
                )
            )
        )
        customer = sum(code in CUSTOMER_RETURN_CODES for code in codes)
        return len(codes) - customer, customer

    def _scores(
        self, item: Item, account: Account, amount_minor: int, attributes: dict[str, Any]
    ) -> tuple[int, int]:
        """(bank-initiated, customer-initiated) return risk, each 1-99."""
        if amount_minor in FIXED_SCORES:
            return FIXED_SCORES[amount_minor], FIXED_SCORES[amount_minor]
        bank_returns, customer_returns = self._returns(account)
        available = account.available_minor
        if available is None:
            available = account.current_minor
        share = amount_minor / available if available > 0 else 10.0
        low = attributes["p10_eod_balance_30d_minor"]
        bank = (
            5
            + min(int(share * 60), 70)
            + (20 if share > 1 else 0)  # more than the account holds right now
            + 2 * min(attributes["days_with_negative_balance_count_90d"], 10)
            + 4 * min(attributes["nsf_overdraft_transactions_count_90d"], 5)
            + (10 if low is not None and low < amount_minor else 0)
            + 20 * bank_returns
        )
        usual = attributes["p95_debit_transactions_amount_28d_minor"]
        days = attributes["days_since_first_plaid_connection"]
        customer = (
            5
            + (20 if days < 7 else 10 if days < 30 else 0)
            + 10 * max(attributes["plaid_connections_count_7d"] - 1, 0)
            + (15 if usual is None or amount_minor > 3 * usual else 0)
            + 25 * customer_returns
        )
        return _clamp(bank), _clamp(customer)


def _check_depository(account: Account) -> None:
    """Signal weighs debits from depository accounts only (``INVALID_ACCOUNT_ID``)."""
    if account.type != "depository":
        raise errors.InvalidAccountId(
            "Signal evaluates debits from depository accounts only", field="account_id"
        )


def _clamp(score: int) -> int:
    return max(1, min(99, score))
