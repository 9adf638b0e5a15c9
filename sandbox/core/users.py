"""Test users: what a username and password select (persona, MFA, or an error).

The conventions are Plaid's sandbox ones: ``user_good``/``pass_good`` succeeds,
``mfa_device`` asks for code ``1234``, ``error_<CODE>`` fails with that code, and
``user_custom`` takes a JSON configuration as its password.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from . import errors
from .institutions import SEEDS_DIR

DEVICE_CODE = "1234"
_MFA_QUESTIONS = re.compile(r"^mfa_questions_(\d)_(\d)$")
_MFA_SELECTIONS = re.compile(r"^mfa_selections(?:_(\d)_(\d)_(\d))?$")
GOOD_PASSWORDS = {"pass_good", "credential_good", "mfa_device", "microdeposits_good"}


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


@cache
def personas() -> dict[str, Any]:
    """``seeds/personas.json``: users → persona names, persona recipes."""
    data: dict[str, Any] = json.loads((SEEDS_DIR / "personas.json").read_text())
    return data


def persona(name: str) -> dict[str, Any]:
    """One persona recipe by name."""
    recipe: dict[str, Any] = personas()["personas"][name]
    return recipe


def check_credentials(username: str, password: str) -> Login:
    """Resolve a username and password, raising the error they select."""
    if not username or not password:
        raise errors.InvalidCredentials()
    if password.startswith("error_"):
        raise (errors.for_condition(password[len("error_") :]) or errors.InvalidCredentials)()
    if username == "user_custom":
        return Login(username, "custom", custom=_custom_config(password))
    persona_name = personas()["users"].get(username)
    if persona_name is None:
        raise errors.InvalidCredentials()
    if username != "user_good":  # persona users accept any non-blank password, as in Plaid
        return Login(username, persona_name)
    mfa = _mfa_for(password)
    if mfa is None and password not in GOOD_PASSWORDS:
        raise errors.InvalidCredentials()
    return Login(username, persona_name, mfa=mfa)


def _mfa_for(password: str) -> Mfa | None:
    if password == "mfa_device":
        return Mfa("device")
    if match := _MFA_QUESTIONS.match(password):
        return Mfa("questions", int(match[1]), int(match[2]))
    if match := _MFA_SELECTIONS.match(password):
        if match[1] is None:
            return Mfa("selections")
        return Mfa("selections", int(match[1]), int(match[2]), int(match[3]))
    return None


def _custom_config(password: str) -> dict[str, Any]:
    try:
        config = json.loads(password)
    except ValueError:
        raise errors.InvalidCredentials(
            "user_custom expects a JSON configuration as the password"
        ) from None
    if not isinstance(config, dict):
        raise errors.InvalidCredentials("user_custom expects a JSON object as the password")
    if forced := config.get("force_error"):
        raise (errors.for_condition(str(forced)) or errors.InvalidCredentials)()
    return config
