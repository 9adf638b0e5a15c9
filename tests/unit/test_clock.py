"""The simulated clock: a running clock set to an instant never shows a moment before it."""

from __future__ import annotations

import datetime as dt

from freezegun import freeze_time

from sandbox.core.clock import Clock

MIDNIGHT = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)


@freeze_time("2026-11-26 12:00:00.700")  # real time between two whole seconds
def test_a_running_clock_set_to_midnight_is_already_on_the_new_day() -> None:
    clock = Clock.at(MIDNIGHT, frozen=False)
    assert clock.frozen_at is None
    assert dt.timedelta(0) <= clock.now() - MIDNIGHT < dt.timedelta(seconds=1)
    assert clock.today() == MIDNIGHT.date()


@freeze_time("2026-11-26 12:00:00.700")
def test_a_frozen_clock_shows_the_instant_itself() -> None:
    assert Clock.at(MIDNIGHT, frozen=True).now() == MIDNIGHT
