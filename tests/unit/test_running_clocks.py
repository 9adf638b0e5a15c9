"""A running tenant clock brings items along as real time passes: the dispatcher's pass
(``follow_running_clocks``) writes the new days and fires what a clock move fires, once,
whoever else (a read, a second dispatcher) notices at the same time.

Real time is the tenant clock's offset here: storing a later offset is the clock running on,
without the move that would bring the items along itself (``Bank.set_clock``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from sandbox.core import tenants
from sandbox.core.bank import Bank
from sandbox.core.catch_up import follow_running_clocks
from sandbox.core.clock import Clock
from sandbox.core.models import Base, Tenant, WebhookEvent
from sandbox.core.webhooks import outbox
from sandbox.extensions import serialise_sqlite

HOOK = "https://app.test/hooks"
UK_OAUTH = "ins_117650"  # 90-day consent, PENDING_EXPIRATION 7 days ahead
MIDNIGHT = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
# Linked at MIDNIGHT, a UK consent warns at midnight 83 days later.
WARNING_DAY = MIDNIGHT + dt.timedelta(days=83)
SECOND = dt.timedelta(seconds=1)


def linked(
    bank: Bank, *, webhook: str | None = HOOK, count: int = 1, at: dt.timedelta = dt.timedelta(0)
) -> list[str]:
    """Items linked at ``MIDNIGHT`` (+ ``at``), synced once, then the clock let run from just
    before their warning (the move writes the days up to it and warns of nothing yet)."""
    bank.set_clock(Clock(frozen_at=MIDNIGHT + at))
    tokens = []
    for _ in range(count):
        public = bank.sandbox_public_token(UK_OAUTH, ["transactions"], webhook=webhook)
        tokens.append(bank.exchange_public_token(public)[0])
        bank.transactions.sync(tokens[-1], None, 10)
    bank.set_clock(Clock.at(WARNING_DAY + at - 2 * SECOND, frozen=False))
    bank.session.commit()
    return tokens


def run_on(session: Session, tenant: Tenant, instant: dt.datetime) -> None:
    """Real time passes until the running clock shows ``instant`` (nobody calls)."""
    tenants.store_clock(tenant, Clock.at(instant, frozen=False))
    session.commit()


def after(bank: Bank, last_id: int) -> list[str]:
    rows = bank.session.scalars(
        select(WebhookEvent).where(WebhookEvent.id > last_id).order_by(WebhookEvent.id)
    )
    return [row.webhook_code for row in rows]


def last_id(bank: Bank) -> int:
    return max((e.id for e in outbox.events(bank.session, bank.tenant)), default=0)


@pytest.fixture
def running(session: Session) -> Bank:
    tenant, _ = tenants.create(session, "running", 7)
    return Bank(session, tenant)


def test_a_running_clock_into_a_new_day_sends_what_a_clock_move_sends(running: Bank) -> None:
    """Nobody calls: the new day's transactions are written with ``DEFAULT_UPDATE``,
    ``TRANSACTIONS_REMOVED`` (pending rows posted) and ``SYNC_UPDATES_AVAILABLE``, and the
    consent's warning fires as its instant passes. A second pass finds nothing to do."""
    linked(running)
    before = last_id(running)
    assert follow_running_clocks(running.session, dt.timedelta(0)) == 0
    run_on(running.session, running.tenant, WARNING_DAY + SECOND)
    assert follow_running_clocks(running.session, dt.timedelta(0)) == 1
    assert sorted(after(running, before)) == [
        "DEFAULT_UPDATE",
        "PENDING_EXPIRATION",
        "SYNC_UPDATES_AVAILABLE",
        "TRANSACTIONS_REMOVED",
    ]
    assert follow_running_clocks(running.session, dt.timedelta(0)) == 0


def test_a_consent_that_ended_while_nobody_looked_warns_before_its_error(running: Bank) -> None:
    """A sandbox left off past the consent's end: as real time would have, the warning
    comes first, then the ``ERROR``, with data written only through the consent's last day;
    an item in error is then left alone."""
    (token,) = linked(running)
    before = last_id(running)
    run_on(running.session, running.tenant, MIDNIGHT + dt.timedelta(days=95))
    follow_running_clocks(running.session, dt.timedelta(0))
    codes = after(running, before)
    assert codes.index("PENDING_EXPIRATION") < codes.index("ERROR") == len(codes) - 1
    item = running.item(token, allow_error=True)
    assert item.generated_through == dt.date(2030, 3, 31)  # the consent ended on April 1st
    assert follow_running_clocks(running.session, dt.timedelta(0)) == 0


def test_items_without_a_webhook_are_left_to_their_reads(running: Bank) -> None:
    linked(running, webhook=None)
    run_on(running.session, running.tenant, WARNING_DAY + SECOND)
    assert follow_running_clocks(running.session, dt.timedelta(0)) == 0


def test_a_frozen_clock_is_left_to_its_moves(running: Bank) -> None:
    """A frozen clock shows a new day only when moved, and the move brings the items along."""
    linked(running)
    tenants.store_clock(running.tenant, Clock(frozen_at=WARNING_DAY + SECOND))
    running.session.commit()
    assert follow_running_clocks(running.session, dt.timedelta(0)) == 0


def test_a_pass_brings_along_a_bounded_number_of_items(running: Bank) -> None:
    linked(running, count=3)
    run_on(running.session, running.tenant, WARNING_DAY + SECOND)
    assert follow_running_clocks(running.session, dt.timedelta(0), limit=2) == 2
    assert follow_running_clocks(running.session, dt.timedelta(0), limit=2) == 1
    assert follow_running_clocks(running.session, dt.timedelta(0), limit=2) == 0


def test_a_read_that_writes_the_new_day_sends_its_webhook_and_the_pass_none_again(
    running: Bank,
) -> None:
    """The app reads the item just after midnight, before the dispatcher's pass: the read
    writes the day, so it says so (the pass then found the item current and the day's
    ``DEFAULT_UPDATE`` was never sent)."""
    (token,) = linked(running)
    before = last_id(running)
    run_on(running.session, running.tenant, WARNING_DAY + SECOND)
    running.accounts(token)
    running.session.commit()
    follow_running_clocks(running.session, dt.timedelta(0))
    assert Counter(after(running, before)) == Counter(
        {
            "DEFAULT_UPDATE": 1,
            "TRANSACTIONS_REMOVED": 1,
            "SYNC_UPDATES_AVAILABLE": 1,
            "PENDING_EXPIRATION": 1,
        }
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'ticks.db'}"


NEW_DAY = {"DEFAULT_UPDATE", "TRANSACTIONS_REMOVED", "SYNC_UPDATES_AVAILABLE"}


@pytest.mark.parametrize(
    ("at", "sent"),
    [
        (dt.timedelta(0), {*NEW_DAY, "PENDING_EXPIRATION"}),
        (dt.timedelta(hours=12), {"PENDING_EXPIRATION"}),  # at noon: no new day to write
    ],
    ids=["new-day-and-warning", "warning-alone"],
)
def test_two_dispatchers_ticking_at_once_queue_each_webhook_once(
    engine_url: str, at: dt.timedelta, sent: set[str]
) -> None:
    """Two ``worker`` processes (or ``serve`` and a worker) pass over the same items at the
    same moment: each item's new day and warning are queued exactly once."""
    engine = create_engine(engine_url)
    if engine.dialect.name == "sqlite":
        serialise_sqlite(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        tenant, _ = tenants.create(session, f"race-{id(engine)}", 7)
        bank = Bank(session, tenant)
        linked(bank, count=4, at=at)
        before = last_id(bank)
        run_on(session, tenant, WARNING_DAY + at + SECOND)
        tenant_id = tenant.id
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def tick() -> None:
        try:
            with Session(engine) as own:
                start.wait()
                follow_running_clocks(own, dt.timedelta(0), tenant_id)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with Session(engine) as session:
        rows = session.scalars(
            select(WebhookEvent).where(
                WebhookEvent.tenant_id == tenant_id, WebhookEvent.id > before
            )
        )
        per_item = Counter((row.item_pk, row.webhook_code) for row in rows)
    assert len({pk for pk, _ in per_item}) == 4
    assert set(per_item.values()) == {1}
    assert {code for _, code in per_item} == sent
    engine.dispose()
