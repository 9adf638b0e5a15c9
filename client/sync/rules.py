"""Per-connection custom rules: rename payees, ignore transfers between own accounts."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from client.providers.model import LocalTransaction

TRANSFER_CATEGORY = "Transfer"


def apply_rules(
    txn: LocalTransaction, rules: Sequence[dict[str, Any]], own_masks: frozenset[str] = frozenset()
) -> tuple[LocalTransaction, bool]:
    """The transaction after rules, and whether the app should ignore it in totals."""
    ignored = False
    for rule in rules:
        kind = rule.get("type")
        if kind == "rename_payee" and _matches(rule.get("match", ""), txn):
            txn = dataclasses.replace(txn, payee=rule["payee"])
        elif kind == "set_category" and _matches(rule.get("match", ""), txn):
            txn = dataclasses.replace(txn, category=rule["category"])
        elif kind == "ignore_transfers" and _is_own_transfer(txn, own_masks):
            ignored = True
    return txn, ignored


def _matches(pattern: str, txn: LocalTransaction) -> bool:
    """Case-insensitive regex over description and payee."""
    if not pattern:
        return False
    text = f"{txn.description} {txn.payee or ''}"
    return re.search(pattern, text, re.IGNORECASE) is not None


def _is_own_transfer(txn: LocalTransaction, own_masks: frozenset[str]) -> bool:
    """A transfer whose description names one of the user's own account masks, or any
    transfer when masks are unknown (the provider already classified it)."""
    if txn.category != TRANSFER_CATEGORY:
        return False
    if not own_masks:
        return True
    return any(mask in txn.description for mask in own_masks)
