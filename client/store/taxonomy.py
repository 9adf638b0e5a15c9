"""The built-in categories: Plaid's personal finance categories, shipped as package data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.store.models import Category

KINDS = ("income", "expense", "transfer")


@dataclass(frozen=True)
class TaxonomyEntry:
    """One built-in category as shipped (a primary has no parent)."""

    key: str
    name: str
    kind: str
    colour: str
    icon: str
    description: str | None = None
    parent: str | None = None


@cache
def entries() -> tuple[TaxonomyEntry, ...]:
    """Primaries first, then detailed categories, in Plaid's order."""
    data: dict[str, Any] = json.loads(
        resources.files("client.store").joinpath("pfc.json").read_text()
    )
    primaries = {p["key"]: p for p in data["primaries"]}
    out = [
        TaxonomyEntry(
            p["key"], p["name"], p["kind"], p["colour"], data["icon_url"].format(primary=p["key"])
        )
        for p in data["primaries"]
    ]
    for d in data["detailed"]:
        top = primaries[d["primary"]]
        icon = data["icon_url"].format(primary=top["key"])
        out.append(
            TaxonomyEntry(
                d["key"], d["name"], top["kind"], top["colour"], icon, d["description"], top["key"]
            )
        )
    return tuple(out)


def seed_categories(session: Session) -> int:
    """Insert the built-in categories that are missing (idempotent); returns how many."""
    have = builtin_ids(session)
    added = 0
    for entry in entries():
        if entry.key in have:
            continue
        row = Category(
            user_ref=None,
            key=entry.key,
            name=entry.name,
            parent_id=have.get(entry.parent) if entry.parent else None,
            kind=entry.kind,
            colour=entry.colour,
            icon=entry.icon,
            description=entry.description,
        )
        session.add(row)
        session.flush()
        have[entry.key] = row.id
        added += 1
    return added


def builtin_ids(session: Session) -> dict[str, int]:
    """Key -> id of every built-in category, for resolving provider categories."""
    rows = session.execute(select(Category.key, Category.id).where(Category.user_ref.is_(None)))
    return {key: cid for key, cid in rows}


def kind_of(key: str | None) -> str | None:
    """income, expense or transfer for a built-in key (None when unknown)."""
    return _kinds().get(key or "")


@cache
def _kinds() -> dict[str, str]:
    """Key -> kind of every built-in category."""
    return {e.key: e.kind for e in entries()}


def primary_of(key: str | None) -> str | None:
    """The primary category of a built-in key (a primary's is itself; None when unknown)."""
    return _primaries().get(key or "")


@cache
def _primaries() -> dict[str, str]:
    """Key -> primary key of every built-in category."""
    return {e.key: e.parent or e.key for e in entries()}


@cache
def by_subcategory() -> dict[str, tuple[str, ...]]:
    """A detailed key's words after its primary (``GROCERIES``) -> the keys that end so."""
    found: dict[str, list[str]] = {}
    for e in entries():
        if e.parent:
            found.setdefault(e.key.removeprefix(f"{e.parent}_"), []).append(e.key)
    return {words: tuple(keys) for words, keys in found.items()}


def other_of(primary: str) -> str:
    """A primary's catch-all detailed key (``FOOD_AND_DRINK_OTHER_FOOD_AND_DRINK``), else
    the primary itself."""
    return next((e.key for e in entries() if e.parent == primary and "_OTHER_" in e.key), primary)
