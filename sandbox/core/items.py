"""Items: creation from a login, lazy materialisation of the ledger, and lifecycle.

History is materialised up to the tenant's clock whenever an item is read, so a
clock moved by ``/control/clock`` (or by freezegun) shows up as new transactions,
pending ones posting, and entries in the change log that ``/transactions/sync`` pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import accounts as accounts_mod
from . import institutions, ledger
from .errors import InvalidField, ItemNotFound
from .institutions import Institution
from .models import Account, Item, Tenant, Transaction
from .seeding import make_id, rng_for
from .users import Login, persona
from .writer import LedgerWriter

DEFAULT_DAYS_REQUESTED = 90
# Days generated when an item is created (Plaid's initial pull); older ones load later.
INITIAL_DAYS = 30
MAX_DAYS_REQUESTED = 730
DYNAMIC_USERS = {"user_transactions_dynamic"}


def create(
    session: Session,
    tenant: Tenant,
    now: dt.datetime,
    institution: Institution,
    login: Login,
    products: list[str],
    *,
    webhook: str | None = None,
    days_requested: int = DEFAULT_DAYS_REQUESTED,
    history_end: dt.date | None = None,
    selected_accounts: Iterable[int] | None = None,
) -> Item:
    """A new item with its accounts and its last ``INITIAL_DAYS`` of history; with
    ``history_end`` (before today) the history stops there, and the days after it stay
    empty (days after creation come as they pass, as for any item)."""
    # Lock the tenant row: two concurrent links must not draw the same counter (and item id).
    session.refresh(tenant, attribute_names=["item_counter"], with_for_update={"key_share": True})
    tenant.item_counter += 1
    # Seed and counter only: the same calls give the same ids in any tenant and any database.
    id_key = (tenant.seed, "item", tenant.item_counter)
    history_start = now.date() - dt.timedelta(days=days_requested)
    initial_start = history_start
    if login.custom is None:  # custom users' few transactions are all written at once
        initial_start = max(history_start, now.date() - dt.timedelta(days=INITIAL_DAYS))
    pending_through = initial_start - dt.timedelta(days=1)
    if history_end is not None:
        pending_through = min(pending_through, history_end)
    item = Item(
        id=make_id(*id_key),
        tenant_id=tenant.id,
        institution_id=institution.institution_id,
        username=login.username,
        persona=login.persona,
        custom_config=login.custom,
        products=sorted(set(products)),
        webhook=webhook,
        created_at=now,
        history_start=history_start,
        generated_through=initial_start - dt.timedelta(days=1),
        history_pending_through=pending_through if initial_start > history_start else None,
        next_post_on=dt.date.max,  # no row promises a posting yet (none to look for)
        change_seq=0,
        sync_called=False,
        consent_expires_at=None,
        error_code=login.condition,  # an ``error.<code>`` user: linked, but every read fails
    )
    session.add(item)
    session.flush()  # assigns item.pk, the accounts' key
    accounts = _accounts(tenant, item, id_key, institution, login, selected_accounts)
    session.add_all(accounts)
    # A new item's accounts are these: set as loaded, so reading ``item.accounts`` does not
    # query (which would insert them first, to update their balances a moment later).
    set_committed_value(item, "accounts", accounts)
    materialize(session, item, now.date(), creating=True, history_end=history_end)
    return item


def _accounts(
    tenant: Tenant,
    item: Item,
    id_key: tuple[object, ...],
    institution: Institution,
    login: Login,
    selected: Iterable[int] | None,
) -> list[Account]:
    """The new item's accounts: the persona's (or the custom user's), minus unticked ones."""
    recipe = persona(login.persona) if login.custom is None else {"accounts": []}
    recipes = accounts_mod.recipes_for(recipe, login.custom)
    built = accounts_mod.build(item.pk, id_key, data_key(tenant, item), institution, recipes)
    if selected is None:
        return built
    keep = set(selected)
    return [a for a in built if a.ordinal in keep]


def keep_accounts(item: Item, shared: set[int]) -> None:
    """Update mode: the user unticked some accounts at the bank; they leave the item.

    DIVERGES: their transactions go with them (no ``removed`` entries in
    ``/transactions/sync``); Plaid stops reporting such accounts too.
    """
    for account in [a for a in item.accounts if a.ordinal not in shared]:
        item.accounts.remove(account)  # delete-orphan: the row and its transactions go


def data_key(tenant: Tenant, item: Item) -> tuple[object, ...]:
    """What the generated data depends on: seed, user and institution (not the item id)."""
    custom_seed = (item.custom_config or {}).get("seed")
    seed = custom_seed if custom_seed is not None else tenant.seed
    return (seed, item.username, item.institution_id)


def plan_for(session: Session, item: Item, country: str, currency: str) -> ledger.ItemPlan:
    """The ledger generator's view of ``item``."""
    recipe = persona(item.persona) if item.custom_config is None else {}
    return ledger.shared_plan(
        key=data_key(item.tenant, item),
        country=country,
        currency=currency,
        persona=item.persona,
        accounts=accounts_mod.plans(list(item.accounts)),
        habits=tuple(sorted((k, v) for k, v in recipe.items() if k != "accounts")),
    )


def lock(session: Session, item: Item) -> None:
    """Serialise the changes to ``item``: lock its row until commit and reload it.

    PostgreSQL takes a row lock (``FOR NO KEY UPDATE``: rows that merely reference the
    item are not blocked); SQLite has no row locks, but every sandbox transaction there
    starts with ``BEGIN IMMEDIATE`` and so already holds the database's write lock. An item
    deleted meanwhile (``/control/reset``) is ``ItemNotFound``, as it would be a moment later.
    """
    locked = session.scalar(
        select(Item)
        .where(Item.pk == item.pk)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise ItemNotFound()


def materialize(
    session: Session,
    item: Item,
    today: dt.date,
    *,
    creating: bool = False,
    history_end: dt.date | None = None,
) -> bool:
    """Generate the days up to ``today`` and post matured pending rows; True if data changed.
    ``history_end``: at creation, no row is written dated after it."""
    if item.generated_through >= today and not _pending_due(session, item, today):
        return False
    if not creating:
        # Two requests may catch up the same item at once: lock its row, then look again,
        # so the days are generated (and the change log advanced) exactly once.
        lock(session, item)
        if item.generated_through >= today and not _pending_due(session, item, today):
            return False
    accounts = {a.ordinal: a for a in item.accounts}
    institution = institutions.get(item.institution_id)
    country, currency = institution.country, institution.currency
    writer = LedgerWriter(
        session, item, accounts, adjust_balances=not creating, new_balances=creating
    )
    if item.generated_through < today:
        start = item.generated_through + dt.timedelta(days=1)
        if item.custom_config is not None:
            entries = _custom_entries(accounts, start, today) if creating else []
        else:
            plan = plan_for(session, item, country, currency)
            entries = _engine_entries(plan, accounts, start, today, creating=creating)
            _set_engine_balances(plan, accounts, today, creating=creating)
        if history_end is not None:
            entries = [e for e in entries if e.post_date <= history_end]
        for entry in entries:
            writer.add(entry, today)
        item.generated_through = today
    if not creating:  # a new item has no rows yet, so none to post
        for pending_row in _pending_due(session, item, today):
            writer.post(pending_row, today)
    writer.flush()
    return writer.changed


def extend_history(item: Item, today: dt.date, days_requested: int) -> bool:
    """Transactions added after the link may ask for more history than the link did (Plaid's
    ``options.days_requested`` of the first ``/transactions/sync`` or ``/transactions/get``):
    move the start back and hold the new days back for ``load_history``. True when there is
    more to load. DIVERGES: never shortens; the days already written stay."""
    start = today - dt.timedelta(days=days_requested)
    if start >= item.history_start:
        return False
    if item.history_pending_through is None:
        item.history_pending_through = item.history_start - dt.timedelta(days=1)
    item.history_start = start
    return True


def load_history(session: Session, item: Item) -> bool:
    """Generate the older history held back at creation (the historical pull), if any;
    True when this call wrote it.

    Creating an item writes only its last ``INITIAL_DAYS``, which keeps a 24-month link
    fast; the rest is written here, on the first read of the item or when the webhook
    dispatcher runs, whichever comes first. Rows are partitioned by posting date, so each
    entry lands exactly once, and every older entry has posted already.
    """
    if item.history_pending_through is None:
        return False
    lock(session, item)  # the dispatcher and a read may race
    end = item.history_pending_through
    if end is None:
        return False
    institution = institutions.get(item.institution_id)
    plan = plan_for(session, item, institution.country, institution.currency)
    first = item.history_start - dt.timedelta(days=ledger.MAX_POST_LAG)
    entries = [
        e for e in _covered_entries(plan, first, end) if item.history_start <= e.post_date <= end
    ]
    writer = LedgerWriter(
        session, item, {a.ordinal: a for a in item.accounts}, adjust_balances=False
    )
    for entry in entries:
        writer.add(entry, end)
    writer.flush()
    item.history_pending_through = None
    return True


def _engine_entries(
    plan: ledger.ItemPlan,
    accounts: dict[int, Account],
    start: dt.date,
    today: dt.date,
    *,
    creating: bool,
) -> list[ledger.Entry]:
    """New entries of transaction accounts; at creation, also those posting into the window."""
    first = start - dt.timedelta(days=ledger.MAX_POST_LAG) if creating else start
    return [e for e in _covered_entries(plan, first, today) if e.post_date >= start]


def _covered_entries(plan: ledger.ItemPlan, first: dt.date, last: dt.date) -> list[ledger.Entry]:
    """Entries of the accounts Transactions covers, for the days ``first``..``last``."""
    covered = {a.ordinal for a in plan.accounts if a.has_transactions}
    return [e for e in ledger.entries_between(plan, first, last) if e.account in covered]


def _set_engine_balances(
    plan: ledger.ItemPlan, accounts: dict[int, Account], today: dt.date, *, creating: bool
) -> None:
    """Balances from the engine: all at creation, afterwards those without transactions.

    An investment account that reports an available balance makes its cash available.
    """
    for account_plan in plan.accounts:
        if creating or not account_plan.has_transactions:
            account = accounts[account_plan.ordinal]
            account.current_minor = ledger.balance_on(plan, account_plan, today)
            if account.type == "investment" and account.available_minor is not None:
                account.available_minor = ledger.portfolio.holdings_on(
                    plan, account_plan, today
                ).cash_minor


def _pending_due(session: Session, item: Item, today: dt.date) -> list[Transaction]:
    """Live pending rows that post by ``today`` (none before ``item.next_post_on``)."""
    if not _posting_may_be_due(item, today):
        return []
    promised = [(row, row.post_on) for row in _live_pending(session, item) if row.post_on]
    item.next_post_on = min((on for _, on in promised if on > today), default=dt.date.max)
    return [row for row, on in promised if on <= today]


def _posting_may_be_due(item: Item, today: dt.date) -> bool:
    return item.next_post_on is None or item.next_post_on <= today


def behind(item: Item, today: dt.date) -> bool:
    """Whether reading ``item`` today writes: days to generate, rows to post, history to load.

    Read from the row as loaded (no lock, no query): a stale ``False`` means another request
    caught the item up meanwhile, and a ``True`` is checked again under the lock.
    """
    return (
        item.generated_through < today
        or _posting_may_be_due(item, today)
        or item.history_pending_through is not None
    )


def _live_pending(session: Session, item: Item) -> list[Transaction]:
    """The item's live pending rows in change-log order, with the day each posts.

    One query on the partial index of promised postings (``post_on``). The order decides
    the change-log positions their postings get, so it must not depend on where the
    database happens to store the rows (a reused PostgreSQL heap differs).
    """
    return list(
        session.scalars(
            select(Transaction)
            .where(
                Transaction.item_pk == item.pk,
                Transaction.post_on.is_not(None),
                Transaction.removed.is_(False),
            )
            .order_by(Transaction.created_seq, Transaction.id)
        )
    )


def _custom_entries(
    accounts: dict[int, Account], start: dt.date, today: dt.date
) -> list[ledger.Entry]:
    entries = []
    for account in accounts.values():
        for index, raw in enumerate(account.details.get("custom_transactions") or []):
            transacted = dt.date.fromisoformat(raw["date_transacted"])
            posted = dt.date.fromisoformat(raw["date_posted"])
            if transacted < start or transacted > today:
                continue
            entries.append(
                ledger.Entry(
                    account=account.ordinal,
                    key=f"custom:{index}",
                    date=transacted,
                    post_date=posted,
                    amount_minor=accounts_mod.to_minor(raw["amount"]),
                    name=raw["description"],
                    category="GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
                    payment_channel="other",
                )
            )
    return sorted(entries, key=lambda e: (e.date, e.key))


def refresh_dynamic(
    session: Session, item: Item, today: dt.date, extra: list[dict[str, Any]] | None = None
) -> None:
    """``user_transactions_dynamic``: post all pending, add new pending, bump one amount."""
    accounts = {a.ordinal: a for a in item.accounts}
    materialize(session, item, today)
    writer = LedgerWriter(session, item, accounts, adjust_balances=True)
    for row in _live_pending(session, item):
        writer.post(row, today)
    depository = next((a for a in accounts.values() if a.type == "depository"), None)
    if depository is not None:
        for entry in _refresh_entries(item, depository, today, extra, writer.seq):
            writer.add(entry, today)
    _bump_one_amount(session, item, writer)
    writer.flush()


def _refresh_entries(
    item: Item, account: Account, today: dt.date, extra: list[dict[str, Any]] | None, seq: int
) -> list[ledger.Entry]:
    key = f"refresh:{seq}"
    if extra is not None:
        return [
            ledger.Entry(
                account=account.ordinal,
                key=f"{key}:{i}",
                date=dt.date.fromisoformat(raw["date_transacted"]),
                post_date=max(
                    dt.date.fromisoformat(raw["date_posted"]), today + dt.timedelta(days=1)
                ),
                amount_minor=accounts_mod.to_minor(raw["amount"]),
                name=raw["description"],
                category="GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
                payment_channel="other",
            )
            for i, raw in enumerate(extra)
        ]
    rng = rng_for(item.id, key)
    choices = [
        ("Uber 063015 SF**POOL**", "Uber", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES", "online"),
        ("Starbucks", "Starbucks", "FOOD_AND_DRINK_COFFEE", "in store"),
        ("McDonald's", "McDonald's", "FOOD_AND_DRINK_FAST_FOOD", "in store"),
    ]
    entries = []
    for i in range(rng.randint(1, 3)):
        name, merchant, category, channel = rng.choice(choices)
        entries.append(
            ledger.Entry(
                account=account.ordinal,
                key=f"{key}:{i}",
                date=today,
                post_date=today + dt.timedelta(days=2),
                amount_minor=rng.randint(300, 2500),
                name=name,
                category=category,
                payment_channel=channel,
                merchant_name=merchant,
            )
        )
    return entries


def _bump_one_amount(session: Session, item: Item, writer: LedgerWriter) -> None:
    row = session.scalars(
        select(Transaction)
        .where(
            Transaction.item_pk == item.pk,
            Transaction.pending.is_(False),
            Transaction.removed.is_(False),
        )
        .order_by(Transaction.date, Transaction.id)
        .limit(1)
    ).first()
    if row is not None:
        row.amount_minor += 100
        row.updated_seq = writer.next_seq()
        writer.apply(next(a for a in writer.accounts.values() if a.id == row.account_id), 100)


def set_error(item: Item, condition: str | None) -> None:
    """Put the item into (or out of) an error state such as ``ITEM_LOGIN_REQUIRED``."""
    item.error_code = condition


def remove(item: Item, now: dt.datetime) -> None:
    """Mark the item removed; its tokens stop working with ``ITEM_NOT_FOUND``."""
    item.removed_at = now


def requested_window(
    today: dt.date,
    days_requested: int | None,
    start_date: dt.date | None,
    end_date: dt.date | None,
) -> tuple[int, dt.date | None]:
    """``/sandbox/public_token/create``'s ``options.transactions``: the days of history to
    generate and the last day of it (None: through today).

    The history starts on ``start_date``, else ``days_requested`` (default 90) days ago, and
    ends on ``end_date`` (one after today changes nothing: no day after today has data).
    """
    field = "options.transactions"
    days = days_requested or DEFAULT_DAYS_REQUESTED
    if start_date is not None:
        days = (today - start_date).days
        if not 1 <= days <= MAX_DAYS_REQUESTED:
            raise InvalidField(
                f"{field}.start_date must be 1 to {MAX_DAYS_REQUESTED} days before today",
                field=f"{field}.start_date",
            )
    start = today - dt.timedelta(days=days)
    if end_date is not None and end_date < start:
        raise InvalidField(
            f"{field}.end_date must not be before the first day of history, "
            f"{start.isoformat()} (start_date, else days_requested days ago)",
            field=f"{field}.end_date",
        )
    return days, end_date if end_date is not None and end_date < today else None


def validate_days(days: int) -> int:
    """Plaid accepts 1 to 730 days of history."""
    if not 1 <= days <= MAX_DAYS_REQUESTED:
        raise InvalidField("days_requested must be between 1 and 730", field="days_requested")
    return days
