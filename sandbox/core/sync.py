"""``/transactions/sync`` paging over an item's change log.

Every row carries ``updated_seq``, its position in the item's change log. A cursor
holds the position the client has consumed and, inside a ``has_more`` chain, the
log's high-water mark when the chain began. Rows changed after that mark mean the
data moved under a paginating client: ``SyncMutationDuringPagination``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import InvalidField, SyncMutationDuringPagination
from .models import Item, Transaction

MAX_COUNT = 500


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: consumed position, chain snapshot, optional account stream."""

    position: int
    snapshot: int | None = None
    account_id: str | None = None


@dataclass
class Page:
    """One page of net changes since a cursor."""

    added: list[Transaction] = field(default_factory=list)
    modified: list[Transaction] = field(default_factory=list)
    removed: list[Transaction] = field(default_factory=list)
    next_cursor: str = ""
    has_more: bool = False


def _tag(item_id: str, body: str) -> str:
    return hashlib.sha256(f"{item_id}|{body}".encode()).hexdigest()[:10]


def encode(item: Item, cursor: Cursor) -> str:
    """An opaque cursor string, bound to the item it came from."""
    body = (
        f"{cursor.position}.{cursor.snapshot if cursor.snapshot is not None else ''}."
        f"{cursor.account_id or ''}"
    )
    raw = f"{body}.{_tag(item.id, body)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(item: Item, text: str | None, account_id: str | None) -> Cursor:
    """Parse a cursor; empty means the beginning, ``now`` the newest position."""
    if not text:
        return Cursor(0, None, account_id)
    if text == "now":
        return Cursor(item.change_seq, None, account_id)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        position, snapshot, cursor_account, tag = raw.split(".")
        body = f"{position}.{snapshot}.{cursor_account}"
        if tag != _tag(item.id, body):
            raise ValueError("cursor belongs to another item")
        cursor = Cursor(int(position), int(snapshot) if snapshot else None, cursor_account or None)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidField("cursor is not valid for this item", field="cursor") from None
    if cursor.account_id != account_id or cursor.position > item.change_seq:
        raise InvalidField("cursor is not valid for this item or account_id", field="cursor")
    return cursor


def page(session: Session, item: Item, cursor: Cursor, count: int) -> Page:
    """The next ``count`` changes after ``cursor``, collapsed to each row's net effect."""
    snapshot = cursor.snapshot if cursor.snapshot is not None else item.change_seq
    if cursor.snapshot is not None and item.change_seq > cursor.snapshot:
        raise SyncMutationDuringPagination()
    query = select(Transaction).where(
        Transaction.item_pk == item.pk,
        Transaction.updated_seq > cursor.position,
        Transaction.updated_seq <= snapshot,
    )
    if cursor.account_id is not None:
        query = query.where(Transaction.account_id == cursor.account_id)
    rows = list(session.scalars(query.order_by(Transaction.updated_seq).limit(count + 1)))
    has_more = len(rows) > count
    rows = rows[:count]
    result = Page(has_more=has_more)
    for row in rows:
        if row.removed:
            if row.created_seq <= cursor.position:
                result.removed.append(row)
        elif row.created_seq > cursor.position:
            result.added.append(row)
        else:
            result.modified.append(row)
    if has_more:
        next_cursor = Cursor(rows[-1].updated_seq, snapshot, cursor.account_id)
    else:
        next_cursor = Cursor(snapshot, None, cursor.account_id)
    result.next_cursor = encode(item, next_cursor)
    return result
