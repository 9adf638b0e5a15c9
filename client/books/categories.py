"""Categories, payees and rules of one user, next to the built-in categories."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from client.books.errors import BooksError, NotFoundError
from client.store.models import Category, Payee, Rule, Transaction
from client.store.taxonomy import KINDS
from client.sync.rules import RuleError, compile_pattern

DEFAULT_COLOUR = "#607d8b"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def visible(user_ref: str) -> ColumnElement[bool]:
    """Built-in categories and the user's own."""
    return or_(Category.user_ref.is_(None), Category.user_ref == user_ref)


def category(session: Session, user_ref: str, category_id: int, *, own: bool = False) -> Category:
    """A category the user may use (`own`: one the user may change)."""
    row = session.get(Category, category_id)
    allowed = row is not None and (row.user_ref == user_ref or (not own and row.user_ref is None))
    if row is None or not allowed:
        what = "your categories" if own else "categories"
        raise NotFoundError(f"category_id: {category_id} is not one of {what}")
    return row


def create_category(
    session: Session,
    user_ref: str,
    name: str,
    *,
    parent_id: int | None = None,
    kind: str | None = None,
    colour: str | None = None,
    icon: str | None = None,
) -> Category:
    """A user category, under a built-in or own parent (kind and colour inherited)."""
    parent = category(session, user_ref, parent_id) if parent_id is not None else None
    row = Category(
        user_ref=user_ref,
        key=_unique_key(session, user_ref, required(name, "name")),
        name=name.strip(),
        parent_id=parent.id if parent else None,
        kind=_kind(kind or (parent.kind if parent else "expense")),
        colour=_colour(colour or (parent.colour if parent else DEFAULT_COLOUR)),
        icon=icon or (parent.icon if parent else None),
    )
    session.add(row)
    session.flush()
    return row


def update_category(
    session: Session, user_ref: str, category_id: int, **changes: str | None
) -> Category:
    """Rename, recolour, re-icon or re-kind one of the user's categories."""
    row = category(session, user_ref, category_id, own=True)
    for name, value in changes.items():
        if name == "name":
            row.name = required(value, "name")
        elif name == "colour":
            row.colour = _colour(value)
        elif name == "kind":
            row.kind = _kind(value)
        elif name == "icon":
            row.icon = value
        else:
            raise BooksError(f"{name}: not a category field (name, colour, kind, icon)")
    return row


def delete_category(session: Session, user_ref: str, category_id: int) -> None:
    """Delete a user category; its transactions, payees, rules and children let go of it."""
    row = category(session, user_ref, category_id, own=True)
    for model, column in (
        (Transaction, Transaction.user_category_id),
        (Transaction, Transaction.category_id),
        (Payee, Payee.category_id),
        (Rule, Rule.category_id),
        (Category, Category.parent_id),
    ):
        for ref in session.scalars(select(model).where(column == row.id)):
            setattr(ref, column.key, None)
    session.flush()
    session.delete(row)


def payee(session: Session, user_ref: str, name: str, category_id: int | None = None) -> Payee:
    """The user's payee of that name, created on first use (with an optional default category)."""
    clean = required(name, "payee")
    row = session.scalar(select(Payee).where(Payee.user_ref == user_ref, Payee.name == clean))
    if row is None:
        row = Payee(user_ref=user_ref, name=clean)
        session.add(row)
    if category_id is not None:
        row.category_id = category(session, user_ref, category_id).id
    session.flush()
    return row


def add_rule(
    session: Session,
    user_ref: str,
    pattern: str,
    *,
    category_id: int | None = None,
    payee_name: str | None = None,
    ignore: bool = False,
) -> Rule:
    """A rule applied, after the user's earlier rules, to every transaction synced from now on."""
    try:
        compile_pattern(pattern)
    except RuleError as exc:
        raise BooksError(exc.message) from None
    if category_id is None and not payee_name and not ignore:
        raise BooksError("category_id: a rule needs a category, a payee or ignore=True")
    if category_id is not None:
        category(session, user_ref, category_id)
    last = session.scalar(select(func.max(Rule.position)).where(Rule.user_ref == user_ref))
    row = Rule(
        user_ref=user_ref,
        position=(last or 0) + 1,
        pattern=pattern,
        category_id=category_id,
        payee=payee_name,
        ignore=ignore,
    )
    session.add(row)
    session.flush()
    return row


def _unique_key(session: Session, user_ref: str, name: str) -> str:
    """A slug of the name, suffixed until it is unused among the user's categories."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "category"
    taken = set(session.scalars(select(Category.key).where(Category.user_ref == user_ref)))
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


def required(value: str | None, field: str) -> str:
    """A non-blank string."""
    if not value or not value.strip():
        raise BooksError(f"{field}: required")
    return value.strip()


def _kind(value: str | None) -> str:
    """One of income, expense, transfer."""
    if value not in KINDS:
        raise BooksError(f"kind: must be one of {', '.join(KINDS)}")
    return value


def _colour(value: str | None) -> str:
    """A #rrggbb colour."""
    if not value or not _COLOUR.fullmatch(value):
        raise BooksError(f"colour: must look like #1a2b3c, not {value!r}")
    return value.lower()
