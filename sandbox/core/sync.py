"""``/transactions/sync`` paging over an item's change log.

Every row carries ``updated_seq``, its position in the item's change log. A cursor
holds the position the client has consumed and, inside a ``has_more`` chain, where the
chain began and the log's high-water mark then. Rows changed after that mark mean the
data moved under a paginating client: ``SyncMutationDuringPagination``.

A chain's pages together are one net change since its start, so a row is ``added`` or
``modified`` by where it stood at the chain's start, not at the page's: a row created
before page 1's last row and changed after it (a pending row that posted, an amount a
refresh bumped) first shows on a later page, and is new to the client there.

A page and the end of the log that bounds it (``items.change_seq``) are read by one
statement, so from one snapshot on every database. Read apart, a write between the two
reads (a refresh, a new day) could move a row the client has not seen past the bound:
the page would leave it out, the cursor would pass it, and the next call would report
it as ``modified`` although it was never ``added``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, Text, bindparam, cast, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from .errors import InvalidField, SyncMutationDuringPagination
from .models import Item, Transaction
from .prepared import Prepared

MAX_COUNT = 500


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: consumed position, optional account stream, and inside a chain
    the end of the log when the chain began (``snapshot``) and the position it began at
    (``start``; ``None`` outside a chain, where the next chain begins at ``position``)."""

    position: int
    snapshot: int | None = None
    account_id: str | None = None
    start: int | None = None

    @property
    def chain_start(self) -> int:
        """The position the client had consumed when this cursor's chain began."""
        return self.position if self.start is None else self.start


# What a page reads of each row: the columns a reply renders (``RENDERED``, the JSON
# ``details`` as its stored text, so the tuple is hashable and can key a rendering cache),
# then the three that place the row in the change log. The dates and flags come as the driver
# gives them, with no conversion per row (a page has up to 500): ``date`` objects and booleans
# on PostgreSQL, ISO ``YYYY-MM-DD`` text and 0/1 on SQLite. A rendering writes either the same.
_T = Transaction.__table__.c


def _as_stored(column: Any) -> Any:
    """``column`` as the driver returns it (no result processing by SQLAlchemy)."""
    return type_coerce(column, NullType()).label(column.name)


RENDERED = (
    _T.id,
    _T.account_id,
    _T.amount_minor,
    _T.currency,
    _as_stored(_T.date),
    _as_stored(_T.authorized_date),
    _T.name,
    _T.merchant_name,
    _T.category,
    _T.payment_channel,
    _as_stored(_T.pending),
    _T.pending_transaction_id,
    cast(_T.details, Text).label("details"),
)
# A row read with ``RENDERED`` first (any further columns after them), read by position.
RenderedRow = Sequence[Any]
# A page row's columns: ``RENDERED``, then its place in the change log, then the end of the
# log when the page was read (the same in every row).
PAGE_COLUMNS = (
    *(column.name for column in RENDERED),
    "removed",
    "created_seq",
    "updated_seq",
    "log_end",
)
_REMOVED, _CREATED_SEQ, _UPDATED_SEQ, _LOG_END = range(len(RENDERED), len(RENDERED) + 4)

# Evaluated once per statement (an init plan on PostgreSQL, a cached subquery on SQLite).
_END_OF_LOG = select(Item.__table__.c.change_seq).where(Item.__table__.c.pk == bindparam("item_pk"))


def _page_statement(one_account: bool) -> Select[*tuple[Any, ...]]:
    """The page query, built once: SQLAlchemy caches its compiled form by this object."""
    end = _END_OF_LOG.scalar_subquery()
    columns = (_as_stored(_T.removed), _T.created_seq, _T.updated_seq, end.label("log_end"))
    query = select(*RENDERED, *columns).where(
        _T.item_pk == bindparam("item_pk"),
        _T.updated_seq > bindparam("position"),
        _T.updated_seq <= end,
    )
    if one_account:
        query = query.where(_T.account_id == bindparam("account_id"))
    return query.order_by(_T.updated_seq).limit(bindparam("limit"))


_PAGE = {False: Prepared(_page_statement(False)), True: Prepared(_page_statement(True))}


@dataclass
class Page:
    """One page of net changes since a cursor.

    Rows are the driver's tuples of ``PAGE_COLUMNS``, read by position (a page holds up to
    500), not ORM objects: a sync read loads nothing into the session.
    """

    added: list[RenderedRow] = field(default_factory=list)
    modified: list[RenderedRow] = field(default_factory=list)
    removed: list[RenderedRow] = field(default_factory=list)
    next_cursor: str = ""
    has_more: bool = False


def _tag(item_id: str, body: str) -> str:
    return hashlib.sha256(f"{item_id}|{body}".encode()).hexdigest()[:10]


def encode(item: Item, cursor: Cursor) -> str:
    """An opaque cursor string, bound to the item it came from.

    Its body is ``position.chain.account``; ``chain`` is empty outside a chain, else
    ``start-snapshot``. (Cursors of older versions held only ``snapshot`` there: they
    still decode, their chain taken to begin at their position.)
    """
    chain = "" if cursor.snapshot is None else f"{cursor.chain_start}-{cursor.snapshot}"
    body = f"{cursor.position}.{chain}.{cursor.account_id or ''}"
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
        position, chain, cursor_account, tag = raw.split(".")
        if tag != _tag(item.id, f"{position}.{chain}.{cursor_account}"):
            raise ValueError("cursor belongs to another item")
        start, _, snapshot = chain.rpartition("-")
        cursor = Cursor(
            int(position),
            int(snapshot) if snapshot else None,
            cursor_account or None,
            int(start) if start else None,
        )
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise InvalidField("cursor is not valid for this item", field="cursor") from None
    # The tag binds a cursor to its item, not to this server: a made-up one can say anything.
    in_range = 0 <= cursor.chain_start <= cursor.position <= item.change_seq
    in_range &= 0 <= (cursor.snapshot or 0) <= item.change_seq
    if cursor.account_id != account_id or not in_range:
        raise InvalidField("cursor is not valid for this item or account_id", field="cursor")
    return cursor


def page(session: Session, item: Item, cursor: Cursor, count: int) -> Page:
    """The next ``count`` changes after ``cursor``, collapsed to each row's net effect.

    An ``account_id`` stream is a stream of its own (Plaid keeps a cursor per account): only
    a change to its account's rows since the chain began interrupts it, not one to another
    account's, although positions are the item's.
    """
    one_account = cursor.account_id is not None
    if cursor.snapshot is not None and not one_account and item.change_seq > cursor.snapshot:
        raise SyncMutationDuringPagination()  # the call's own row says so: no page to read
    params: dict[str, Any] = {"item_pk": item.pk, "position": cursor.position, "limit": count + 1}
    if cursor.account_id is not None:
        params["account_id"] = cursor.account_id
    session.flush()  # rows this request wrote (a catch-up) are in the page; no-op when clean
    statement = _PAGE[cursor.account_id is not None]
    rows = statement.tuples(session, params)
    # No row past the position means none at all in the page's snapshot (a row's place only
    # grows, up to the end of the log), so any end from the call's row up is as good.
    end = rows[0][_LOG_END] if rows else item.change_seq
    if cursor.snapshot is not None and _moved(rows, end, cursor.snapshot, one_account):
        raise SyncMutationDuringPagination()  # written since the chain began
    snapshot = cursor.snapshot if cursor.snapshot is not None else end
    has_more = len(rows) > count
    rows = rows[:count]
    result = Page(has_more=has_more)
    start = cursor.chain_start  # net change since the chain's start, not this page's
    for row in rows:  # by index: a name lookup on a Row costs more than the comparison
        if row[_REMOVED]:
            if row[_CREATED_SEQ] <= start:
                result.removed.append(row)
        elif row[_CREATED_SEQ] > start:
            result.added.append(row)
        else:
            result.modified.append(row)
    if has_more:
        next_cursor = Cursor(rows[-1][_UPDATED_SEQ], snapshot, cursor.account_id, start)
    else:
        next_cursor = Cursor(snapshot, None, cursor.account_id)
    result.next_cursor = encode(item, next_cursor)
    return result


def _moved(rows: list[Any], end: int, snapshot: int, one_account: bool) -> bool:
    """Whether the stream's data changed after the chain's ``snapshot``: any write to the
    item, or, for one account's stream, a row of that account placed after it (the page's
    rows are ordered by place, so a later page sees one this page's limit left out)."""
    if not one_account:
        return end > snapshot
    return bool(rows) and rows[-1][_UPDATED_SEQ] > snapshot
