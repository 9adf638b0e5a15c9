"""Test users: what a username and password select (persona, MFA, or an error).

The conventions are Plaid's sandbox ones: ``user_good``/``pass_good`` succeeds,
``mfa_device`` asks for code ``1234``, ``error_<CODE>`` fails with that code, and
``user_custom`` takes a JSON configuration as its password. Beside them live TrueLayer's
mock users (``john``/``doe``, ``john``/``iban``, ``john``/``eternal`` and the
``error.<code>`` users that sign in but whose connection then fails every data call).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from . import errors, microdeposits, strict_json
from .institutions import SEEDS_DIR
from .models import Account, Transaction

DEVICE_CODE = "1234"
_MFA_QUESTIONS = re.compile(r"mfa_questions_([0-9])_([0-9])")
_MFA_SELECTIONS = re.compile(r"mfa_selections(?:_([0-9])_([0-9])_([0-9]))?")
# How deep a ``user_custom`` configuration may nest (as deep as a request body by default).
CUSTOM_MAX_DEPTH = 32
ERROR_PREFIX = "error_"  # ``error_<CODE>`` fails with that code
GOOD_PASSWORDS = {"pass_good", "credential_good", "mfa_device", "microdeposits_good"}
# TrueLayer: ``john`` and ``john1`` … ``john100`` (no leading zeros).
_JOHN = re.compile(r"john((?:[1-9][0-9]?|100)?)")
MOCK_PERSONA = "truelayer_mock"
MOCK_IBAN_PERSONA = "truelayer_mock_iban"
# ``error.<code>`` usernames (password ``error``): what every data call then fails with.
MOCK_ERRORS: dict[str, type[errors.CoreError]] = {
    "account_permanently_locked": errors.AccountPermanentlyLocked,
    "account_temporarily_locked": errors.AccountTemporarilyLocked,
    "internal_error": errors.ProviderInternalError,
    "provider_error": errors.InstitutionDown,
    "user_input_required": errors.UserInputRequired,
    "wrong_credentials": errors.WrongCredentials,
    "sca_exceeded": errors.ScaExceeded,
    "provider_too_many_requests": errors.ProviderRateLimited,
}


@dataclass(frozen=True)
class Mfa:
    """The challenge a login must pass: ``device``, ``questions`` or ``selections``."""

    kind: str
    rounds: int = 1
    per_round: int = 1
    options: int = 2

    def expected(self, round_index: int) -> list[str]:
        """The right answers for round ``round_index`` (0-based)."""
        if self.kind == "device":
            return [DEVICE_CODE]
        if self.kind == "questions":
            return [f"answer_{round_index}_{q}" for q in range(self.per_round)]
        if self.rounds == 1 and self.per_round == 1 and self.options == 2:
            return ["Yes"]
        return [f"answer_{round_index}_{q}_0" for q in range(self.per_round)]


@dataclass(frozen=True)
class Login:
    """What a successful credential check selects."""

    username: str
    persona: str
    mfa: Mfa | None = None
    custom: dict[str, Any] | None = field(default=None, hash=False)
    # An ``error.<code>`` user: the login succeeds, then every read of the item fails with this.
    condition: str | None = None
    # TrueLayer's ``john``/``eternal``: the connection extends without the user signing in.
    eternal: bool = False
    # ``microdeposits_good``: the item's checking account awaits automated micro-deposits.
    automated_microdeposits: bool = False
    # Link's manual entry of numbers: how the checking account starts (Same Day, Instant
    # micro-deposits, Database Insights or Match).
    typed: microdeposits.Typed | None = None
    # Instant Match: the numbers typed after the sign-in matched this account's (ordinal).
    instant_match: int | None = None


@cache
def personas() -> dict[str, Any]:
    """``seeds/personas.json``: users → persona names, persona recipes."""
    data: dict[str, Any] = json.loads((SEEDS_DIR / "personas.json").read_text())
    return data


def persona(name: str) -> dict[str, Any]:
    """One persona recipe by name (``extends`` takes another's recipe and changes a few keys)."""
    recipe: dict[str, Any] = personas()["personas"][name]
    if base := recipe.get("extends"):
        return {**persona(base), **{k: v for k, v in recipe.items() if k != "extends"}}
    return recipe


def check_credentials(username: str, password: str) -> Login:
    """Resolve a username and password, raising the error they select."""
    if not username or not password:
        raise errors.InvalidCredentials()
    if chooses_error(password):
        condition = password.removeprefix(ERROR_PREFIX)
        raise (errors.for_condition(condition) or errors.InvalidCredentials)()
    if username == "user_custom":
        return Login(username, "custom", custom=_custom_config(password))
    if (mock := truelayer_login(username, password)) is not None:
        return mock
    persona_name = personas()["users"].get(username)
    if persona_name is None:
        raise errors.InvalidCredentials()
    if username != "user_good":  # persona users accept any non-blank password, as in Plaid
        return Login(username, persona_name)
    mfa = _mfa_for(password)
    if mfa is None and password not in GOOD_PASSWORDS:
        raise errors.InvalidCredentials()
    return Login(
        username, persona_name, mfa=mfa, automated_microdeposits=password == microdeposits.PASSWORD
    )


def chooses_error(password: str) -> bool:
    """Whether ``password`` is an ``error_<CODE>`` password: the sandbox's trigger, not a
    wrong guess (an unknown code fails as ``INVALID_CREDENTIALS``)."""
    return password.startswith(ERROR_PREFIX)


def manual_entry_login(typed: microdeposits.Typed) -> Login:
    """The login behind numbers typed into Link: ``user_good``'s persona, whose checking
    account starts as ``typed`` says (awaiting a deposit's code, verified by the database…)."""
    return Login("user_good", personas()["users"]["user_good"], typed=typed)


def truelayer_login(username: str, password: str) -> Login | None:
    """TrueLayer's mock users (None: not one of their usernames; a bad password raises)."""
    if match := _JOHN.fullmatch(username):
        number = match[1]
        if password == f"doe{number}":
            return Login(username, MOCK_PERSONA)
        if password == f"iban{number}":
            return Login(username, MOCK_IBAN_PERSONA)
        if username == "john" and password == "eternal":
            return Login(username, MOCK_PERSONA, eternal=True)
        raise errors.InvalidCredentials()
    if username.startswith("error.") and username[len("error.") :] in MOCK_ERRORS:
        if password != "error":
            raise errors.InvalidCredentials()
        condition = MOCK_ERRORS[username[len("error.") :]].condition
        return Login(username, MOCK_PERSONA, condition=condition)
    return None


def _mfa_for(password: str) -> Mfa | None:
    if password == "mfa_device":
        return Mfa("device")
    if match := _MFA_QUESTIONS.fullmatch(password):
        return Mfa("questions", int(match[1]), int(match[2]))
    if match := _MFA_SELECTIONS.fullmatch(password):
        if match[1] is None:
            return Mfa("selections")
        return Mfa("selections", int(match[1]), int(match[2]), int(match[3]))
    return None


def _custom_config(password: str) -> dict[str, Any]:
    try:
        config = strict_json.parse(password, CUSTOM_MAX_DEPTH, document="password")
    except (errors.InvalidBody, errors.InvalidField) as exc:
        # Python's parser takes what the item's columns cannot keep (NaN, NUL, ...): a 500
        # once the item is stored, on PostgreSQL.
        raise errors.InvalidCredentials(
            f"user_custom expects a JSON configuration as the password: {exc.message}"
        ) from None
    if not isinstance(config, dict):
        raise errors.InvalidCredentials("user_custom expects a JSON object as the password")
    _check_accounts(config.get("override_accounts"))
    if forced := config.get("force_error"):
        raise (errors.for_condition(str(forced)) or errors.InvalidCredentials)()
    return config


# The largest balance or amount a caller may give (a custom user, a transaction made by
# ``/sandbox/transactions/create``), in currency units: its minor units, and the ledger's sums
# of them, stay far inside a 64-bit column.
MAX_AMOUNT = 10**13
AMOUNT_RULE = f"must be a number within {MAX_AMOUNT:,}"


def amount_fits(value: Any) -> bool:
    """Whether ``value`` is a number (not a boolean) within ``MAX_AMOUNT`` of zero: beyond it,
    storing the amount or summing it overflows a 64-bit column (a 500 then, or later)."""
    number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    return number and abs(value) <= MAX_AMOUNT


def _check_accounts(accounts: Any) -> None:
    """Refuse, naming the field, what would fail once the item is stored: the values custom
    accounts and transactions become, against their columns (PostgreSQL answered 500)."""
    if accounts is None:
        return
    _require(isinstance(accounts, list), "override_accounts", "must be a list")
    for i, raw in enumerate(accounts):
        at = f"override_accounts[{i}]"
        _require(isinstance(raw, dict), at, "must be an object")
        meta = raw.get("meta") or {}
        _require(isinstance(meta, dict), f"{at}.meta", "must be an object")
        for name, value, column in (
            ("type", raw.get("type"), Account.type),
            ("subtype", raw.get("subtype"), Account.subtype),
            ("currency", raw.get("currency"), Account.currency),
            ("meta.name", meta.get("name"), Account.name),
            ("meta.official_name", meta.get("official_name"), Account.official_name),
            ("meta.mask", meta.get("mask"), Account.mask),
        ):
            _text(f"{at}.{name}", value, column.type.length)
        for name, value in (
            ("starting_balance", raw.get("starting_balance")),
            ("force_available_balance", raw.get("force_available_balance")),
            ("meta.limit", meta.get("limit")),
        ):
            _amount(f"{at}.{name}", value)
        transactions = raw.get("transactions") or []
        _require(isinstance(transactions, list), f"{at}.transactions", "must be a list")
        for j, entry in enumerate(transactions):
            _check_transaction(f"{at}.transactions[{j}]", entry)


def _check_transaction(at: str, entry: Any) -> None:
    _require(isinstance(entry, dict), at, "must be an object")
    for key in ("date_transacted", "date_posted"):
        value = entry.get(key)
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            _require(False, f"{at}.{key}", "must be a date (YYYY-MM-DD)")
    _require(entry.get("amount") is not None, f"{at}.amount", "is required")
    _amount(f"{at}.amount", entry.get("amount"))
    _require(entry.get("description") is not None, f"{at}.description", "is required")
    _text(f"{at}.description", entry.get("description"), Transaction.name.type.length)


def _text(field: str, value: Any, length: int | None) -> None:
    if value is not None:
        fits = isinstance(value, str) and (length is None or len(value) <= length)
        _require(fits, field, f"must be a string of at most {length} characters")


def _amount(field: str, value: Any) -> None:
    if value is not None:
        _require(amount_fits(value), field, AMOUNT_RULE)


def _require(condition: bool, field: str, problem: str) -> None:
    if not condition:
        raise errors.InvalidCredentials(f"user_custom: {field} {problem}", field=field)
