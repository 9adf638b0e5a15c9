"""Amortising loans (student, mortgage, auto): payment schedule, entries and balances."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import AccountPlan, Entry, ItemPlan, add_months, minor
from .schedule import Recurring

LOAN_CATEGORY = {
    "student": "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT",
    "mortgage": "LOAN_PAYMENTS_MORTGAGE_PAYMENT",
    "auto": "LOAN_PAYMENTS_CAR_PAYMENT",
}


@dataclass(frozen=True)
class Installment:
    """One month of a loan: the due date, the split of the payment, and what is left."""

    date: dt.date
    payment_minor: int
    interest_minor: int
    balance_minor: int


def loans(plan: ItemPlan) -> list[AccountPlan]:
    """The plan's loans that carry a repayment schedule."""
    return [a for a in plan.all(type_="loan") if a.term("original")]


def schedule(plan: ItemPlan, loan: AccountPlan) -> tuple[Installment, ...]:
    """Every installment from origination to payoff (or accrual while in school)."""
    memo_key = ("loan", loan.ordinal)
    if memo_key not in plan.memo:
        plan.memo[memo_key] = _schedule(loan)
    found: tuple[Installment, ...] = plan.memo[memo_key]
    return found


def _schedule(loan: AccountPlan) -> tuple[Installment, ...]:
    balance, rate = minor(loan.term("original")), (loan.apr or 0.0) / 1200
    months, start = (
        int(loan.term("term_months", 120)),
        dt.date.fromisoformat(loan.term("originated")),
    )
    in_school = loan.term("status") == "in school"
    payment = 0 if in_school else _level_payment(balance, rate, months)
    rows = []
    for k in range(1, months + 1):
        interest = round(balance * rate)
        pay = 0 if in_school else min(payment, balance + interest)
        balance += interest - pay
        rows.append(
            Installment(add_months(start, k, loan.term("due_day", 1)), pay, interest, balance)
        )
        if balance <= 0:
            break
    return tuple(rows)


def _level_payment(principal: int, rate: float, months: int) -> int:
    if rate == 0:
        return -(-principal // months)
    return round(principal * rate / (1 - (1 + rate) ** -months))


def installment_on(plan: ItemPlan, loan: AccountPlan, day: dt.date) -> Installment | None:
    """The installment due on ``day``, if any."""
    start = dt.date.fromisoformat(loan.term("originated"))
    index = (day.year - start.year) * 12 + day.month - start.month - 1
    rows = schedule(plan, loan)
    if 0 <= index < len(rows) and rows[index].date == day:
        return rows[index]
    return None


def collects_on(plan: ItemPlan, stream: Recurring, day: dt.date) -> bool:
    """Whether the payment ``stream`` (``streams``) collects on ``day``: the installment's
    due day itself, weekend or not, while a payment is due."""
    loan = next(loan for loan in loans(plan) if loan.ordinal == stream.counter)
    row = installment_on(plan, loan, day)
    return row is not None and row.payment_minor > 0


def balance_on(plan: ItemPlan, loan: AccountPlan, day: dt.date) -> int:
    """Principal outstanding at the end of ``day``."""
    balance = minor(loan.term("original"))
    for row in schedule(plan, loan):
        if row.date > day:
            break
        balance = row.balance_minor
    return balance


def escrow_minor(loan: AccountPlan) -> int:
    """The monthly escrow (taxes and insurance) collected with a mortgage payment."""
    return minor(loan.term("escrow", 0))


def streams(plan: ItemPlan, payer: AccountPlan | None) -> list[Recurring]:
    """The loan payments as recurring outflows of the paying account."""
    if "loan_streams" not in plan.memo:
        plan.memo["loan_streams"] = _streams(plan, payer)
    found: list[Recurring] = plan.memo["loan_streams"]
    return found


def _streams(plan: ItemPlan, payer: AccountPlan | None) -> list[Recurring]:
    return [
        Recurring(
            key=f"loan:{loan.ordinal}",
            account=payer.ordinal,
            name=f"{(loan.subtype or 'loan').upper()} LOAN PMT ...{loan.mask}",
            category=LOAN_CATEGORY.get(loan.subtype or "", "LOAN_PAYMENTS_OTHER_PAYMENT"),
            frequency="MONTHLY",
            amount_minor=schedule(plan, loan)[-1].payment_minor + escrow_minor(loan),
            day=int(loan.term("due_day", 1)),
            kind="loan",
            code="bill payment",
            counter=loan.ordinal,
            counter_name="PAYMENT - THANK YOU",
            counter_category=LOAN_CATEGORY.get(loan.subtype or "", "LOAN_PAYMENTS_OTHER_PAYMENT"),
        )
        for loan in loans(plan)
        if payer is not None and loan.term("status") != "in school"
    ]


def entries(plan: ItemPlan, day: dt.date, payer: AccountPlan | None) -> list[Entry]:
    """Interest accrual and payment legs of every loan due on ``day``."""
    found: list[Entry] = []
    if "loans" not in plan.memo:
        plan.memo["loans"] = loans(plan)
    for loan in plan.memo["loans"]:
        row = installment_on(plan, loan, day)
        if row is None:
            continue
        by_loan = {s.counter: s for s in streams(plan, payer)}
        iso = day.isoformat()
        category = LOAN_CATEGORY.get(loan.subtype or "", "LOAN_PAYMENTS_OTHER_PAYMENT")
        found.append(
            _leg(
                loan.ordinal,
                f"{iso}:loanint:{loan.ordinal}",
                day,
                row.interest_minor,
                "INTEREST CHARGED",
                "BANK_FEES_INTEREST_CHARGE",
                "interest",
                None,
            )
        )
        stream = by_loan.get(loan.ordinal)
        if stream is None or not row.payment_minor:
            continue
        found.append(
            _leg(
                stream.account,
                f"{iso}:loan:{loan.ordinal}",
                day,
                row.payment_minor + escrow_minor(loan),
                stream.name,
                category,
                "bill payment",
                stream.key,
            )
        )
        found.append(
            _leg(
                loan.ordinal,
                f"{iso}:loanpay:{loan.ordinal}",
                day,
                -row.payment_minor,
                "PAYMENT - THANK YOU",
                category,
                "payment",
                stream.key,
            )
        )
    return found


def _leg(
    account: int,
    key: str,
    day: dt.date,
    amount: int,
    name: str,
    category: str,
    code: str,
    stream: str | None,
) -> Entry:
    details = {"transaction_code": code} | ({"stream": stream} if stream else {})
    return Entry(account, key, day, day, amount, name, category, "other", details=details)
