"""Rules applied as transactions arrive: set a payee or category, ignore own transfers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from client.providers.errors import SyncError
from client.providers.model import LocalTransaction

SETTINGS_KINDS = ("rename_payee", "set_category", "ignore_transfers")


class RuleError(SyncError):
    """A rule is malformed; the message names the field (a sync records it as INVALID_RULE)."""

    def __init__(self, message: str) -> None:
        super().__init__("INVALID_RULE", message)


@dataclass(frozen=True)
class Rule:
    """One rule, whatever its storage (a user's `bc_rules` row or a connection setting)."""

    pattern: str = ""
    payee: str | None = None
    category_id: int | None = None
    ignore: bool = False
    own_transfers: bool = False


@dataclass(frozen=True)
class Outcome:
    """What the rules decided for one transaction (None: keep the provider's value)."""

    payee: str | None
    category_id: int | None
    ignored: bool


def apply_rules(
    txn: LocalTransaction,
    rules: Sequence[Rule],
    own_masks: frozenset[str] = frozenset(),
    *,
    transfer: bool = False,
) -> Outcome:
    """Every matching rule in order; a later match wins over an earlier one."""
    payee, category_id, ignored = txn.payee, None, False
    for rule in rules:
        if rule.own_transfers:
            ignored = ignored or (transfer and _names_own_account(txn, own_masks))
        elif _matches(rule.pattern, txn.description, payee):
            payee = rule.payee or payee
            category_id = rule.category_id or category_id
            ignored = ignored or rule.ignore
    return Outcome(payee, category_id, ignored)


def compile_pattern(pattern: str, field: str = "pattern") -> str:
    """Check a rule's regular expression up front, so a bad one is reported, not skipped."""
    if not pattern:
        raise RuleError(f"{field}: must not be empty")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise RuleError(f"{field}: not a regular expression ({exc})") from None
    return pattern


def from_settings(
    items: Sequence[Mapping[str, Any]], category_ids: Mapping[str, int]
) -> list[Rule]:
    """A connection's `settings["rules"]` as rules; categories are given by key."""
    rules = []
    for n, item in enumerate(items):
        kind = item.get("type")
        where = f"rules[{n}]"
        if kind == "ignore_transfers":
            rules.append(Rule(own_transfers=True))
        elif kind == "rename_payee":
            pattern = compile_pattern(str(item.get("match") or ""), f"{where}.match")
            rules.append(Rule(pattern, payee=_required(item, "payee", where)))
        elif kind == "set_category":
            pattern = compile_pattern(str(item.get("match") or ""), f"{where}.match")
            key = _required(item, "category", where)
            if key not in category_ids:
                raise RuleError(f"{where}.category: unknown category {key!r}")
            rules.append(Rule(pattern, category_id=category_ids[key]))
        else:
            raise RuleError(f"{where}.type: must be one of {', '.join(SETTINGS_KINDS)}")
    return rules


def _required(item: Mapping[str, Any], name: str, where: str) -> str:
    """A required non-empty string field of a settings rule."""
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise RuleError(f"{where}.{name}: required")
    return value


def _matches(pattern: str, description: str, payee: str | None) -> bool:
    """Case-insensitive regex over description and payee."""
    if not pattern:
        return False
    return re.search(pattern, f"{description} {payee or ''}", re.IGNORECASE) is not None


def _names_own_account(txn: LocalTransaction, own_masks: frozenset[str]) -> bool:
    """A transfer naming one of the user's own account masks, or any transfer when the
    masks are unknown (the provider already classified it as a transfer)."""
    if not own_masks:
        return True
    return any(mask in txn.description for mask in own_masks)
