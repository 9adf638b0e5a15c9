"""``/liabilities/get`` figures, read off the ledger engine so they agree with the transactions.

Card statements, minimum payments and due dates come from the card cycles that
generate the autopay entries; mortgage and student loan figures from the same
amortisation schedules that move their balances.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from . import accounts as accounts_mod
from . import institutions, items, ledger
from .errors import NoLiabilityAccounts
from .ledger import cards, loans
from .models import Account, Item

SERVICER = {
    "street": "123 Servicer Way",
    "city": "Wilkes-Barre",
    "region": "PA",
    "postal_code": "18773",
    "country": "US",
}


LIABILITY_SUBTYPES = {"credit card", "mortgage", "student"}


@dataclass
class Report:
    """Liabilities by kind, in Plaid's shape but with minor units (the dialect renders)."""

    item: Item
    accounts: list[Account]
    credit: list[dict[str, Any]] = field(default_factory=list)
    mortgage: list[dict[str, Any]] = field(default_factory=list)
    student: list[dict[str, Any]] = field(default_factory=list)


def report(session: Session, item: Item, selected: list[Account], today: dt.date) -> Report:
    """Every credit card, mortgage and student loan among ``selected`` as of ``today``."""
    institution = institutions.get(item.institution_id)
    plan = items.plan_for(session, item, institution.country, institution.currency)
    by_ordinal = {p.ordinal: p for p in plan.accounts}
    found = Report(
        item, [a for a in selected if a.subtype in {"credit card", "mortgage", "student"}]
    )
    if not found.accounts:
        raise NoLiabilityAccounts()
    owner = accounts_mod.owner(plan.key, institution.country)["addresses"][0]["data"]
    for account in found.accounts:
        account_plan = by_ordinal[account.ordinal]
        if account.subtype == "credit card":
            found.credit.append(_credit(plan, account, account_plan, today))
        elif account.subtype == "mortgage":
            found.mortgage.append(_mortgage(plan, account, account_plan, today, owner))
        else:
            found.student.append(_student(plan, account, account_plan, today))
    return found


def _credit(
    plan: ledger.ItemPlan, account: Account, card: ledger.AccountPlan, today: dt.date
) -> dict[str, Any]:
    close = cards.last_close(plan, card, today)
    statement = cards.statement_minor(plan, card, close, ledger.base)
    paid_close = cards.last_close(plan, card, today - dt.timedelta(days=cards.DUE_AFTER_DAYS))
    due = close + dt.timedelta(days=cards.DUE_AFTER_DAYS)
    if due <= today:
        due = cards.last_close(plan, card, close + dt.timedelta(days=40)) + dt.timedelta(
            days=cards.DUE_AFTER_DAYS
        )
    interest = cards.interest_minor(card)
    return {
        "account_id": account.id,
        "aprs": [
            {
                "apr_percentage": card.apr or 0.0,
                "apr_type": "purchase_apr",
                "balance_subject_to_apr": cards.revolving_minor(card),
                "interest_charge_amount": interest,
            }
        ],
        "is_overdue": False,
        "last_payment_amount": cards.cycle_flows(plan, card, paid_close, ledger.base),
        "last_payment_date": paid_close + dt.timedelta(days=cards.DUE_AFTER_DAYS),
        "last_statement_issue_date": close,
        "last_statement_balance": statement,
        "minimum_payment_amount": cards.minimum_payment_minor(statement, interest),
        "next_payment_due_date": due,
    }


def _installments(
    plan: ledger.ItemPlan, loan: ledger.AccountPlan, today: dt.date
) -> tuple[list[loans.Installment], list[loans.Installment]]:
    rows = loans.schedule(plan, loan) if loan.term("original") else ()
    return [r for r in rows if r.date <= today], [r for r in rows if r.date > today]


def _loan_common(
    plan: ledger.ItemPlan, account: Account, loan: ledger.AccountPlan, today: dt.date
) -> dict[str, Any]:
    done, ahead = _installments(plan, loan, today)
    last = done[-1] if done else None
    this_year = [r for r in done if r.date.year == today.year]
    escrow = loans.escrow_minor(loan)
    return {
        "account_id": account.id,
        "account_number": account.numbers.get("account"),
        "last_payment_amount": last.payment_minor + escrow if last and last.payment_minor else None,
        "last_payment_date": last.date if last and last.payment_minor else None,
        "next_payment_due_date": ahead[0].date if ahead else None,
        "origination_date": dt.date.fromisoformat(loan.term("originated"))
        if loan.term("originated")
        else None,
        "origination_principal_amount": ledger.model.minor(loan.term("original", 0)) or None,
        "ytd_interest_paid": sum(r.interest_minor for r in this_year if r.payment_minor),
        "ytd_principal_paid": sum(
            r.payment_minor - r.interest_minor for r in this_year if r.payment_minor
        ),
        "payoff": (ahead or done)[-1].date if (ahead or done) else None,
        "next_payment": ahead[0].payment_minor if ahead else 0,
    }


def _mortgage(
    plan: ledger.ItemPlan,
    account: Account,
    loan: ledger.AccountPlan,
    today: dt.date,
    address: dict[str, Any],
) -> dict[str, Any]:
    common = _loan_common(plan, account, loan, today)
    escrow = loans.escrow_minor(loan)
    months = int(loan.term("term_months", 360))
    return {
        **{k: v for k, v in common.items() if k not in {"payoff", "next_payment"}},
        "current_late_fee": 0,
        "escrow_balance": escrow * 6 or None,
        "has_pmi": False,
        "has_prepayment_penalty": False,
        "interest_rate": {"percentage": loan.apr, "type": "fixed"},
        "loan_type_description": "conventional",
        "loan_term": f"{months // 12} year",
        "maturity_date": common["payoff"],
        "next_monthly_payment": common["next_payment"] + escrow,
        "past_due_amount": 0,
        "property_address": {key: address.get(key) for key in SERVICER},
    }


def _student(
    plan: ledger.ItemPlan, account: Account, loan: ledger.AccountPlan, today: dt.date
) -> dict[str, Any]:
    common = _loan_common(plan, account, loan, today)
    in_school = loan.term("status") == "in school"
    done, _ = _installments(plan, loan, today)
    return {
        **{k: v for k, v in common.items() if k not in {"payoff", "next_payment"}},
        "disbursement_dates": [common["origination_date"]] if common["origination_date"] else None,
        "expected_payoff_date": common["payoff"],
        "guarantor": "DEPT OF ED",
        "interest_rate_percentage": loan.apr or 0.0,
        "is_overdue": False,
        "last_statement_balance": ledger.balance_on(plan, loan, done[-1].date) if done else None,
        "last_statement_issue_date": done[-1].date - dt.timedelta(days=21) if done else None,
        "loan_name": account.official_name or account.name,
        # repayment lasts until the payoff; when school ends the persona does not say
        "loan_status": {
            "type": "in school" if in_school else "repayment",
            "end_date": None if in_school else common["payoff"],
        },
        "minimum_payment_amount": common["next_payment"],
        "outstanding_interest_amount": sum(r.interest_minor for r in done) if in_school else 0,
        "payment_reference_number": account.numbers.get("account"),
        "pslf_status": {
            "estimated_eligibility_date": None,
            "payments_made": None,
            "payments_remaining": None,
        },
        "repayment_plan": {"type": "standard", "description": "Standard Repayment"},
        "sequence_number": "1",
        "servicer_address": SERVICER,
    }


def card_statement(session: Session, item: Item, card: Account, today: dt.date) -> dict[str, Any]:
    """A credit card's statement figures (minor units and dates) as of ``today``."""
    institution = institutions.get(item.institution_id)
    plan = items.plan_for(session, item, institution.country, institution.currency)
    card_plan = next(p for p in plan.accounts if p.ordinal == card.ordinal)
    return _credit(plan, card, card_plan, today)
