"""The per-tenant simulated clock.

``now()`` is either a frozen instant or real time plus an offset. Real time comes
from ``datetime.now`` so freezegun drives it in process, while ``/control/clock``
drives it on a live server.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass


@dataclass
class Clock:
    """A view of one tenant's time settings."""

    frozen_at: dt.datetime | None = None
    offset_seconds: int = 0

    def now(self) -> dt.datetime:
        """The tenant's current instant (aware, UTC)."""
        if self.frozen_at is not None:
            return self.frozen_at
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.offset_seconds)

    @classmethod
    def at(cls, instant: dt.datetime, *, frozen: bool) -> Clock:
        """A clock showing ``instant`` now: stopped there, or running on from it. A running
        clock keeps whole seconds, rounded up, so it never shows a moment before ``instant``
        (set to midnight, it had shown the day before for up to half a second, and the move
        generated no day of the new date)."""
        if frozen:
            return cls(frozen_at=instant.astimezone(dt.UTC))
        offset = instant - dt.datetime.now(dt.UTC)
        return cls(offset_seconds=math.ceil(offset.total_seconds()))

    def today(self) -> dt.date:
        """The tenant's current date (UTC)."""
        return self.now().date()

    def advance(self, delta: dt.timedelta) -> None:
        """Move time forward (frozen clocks stay frozen at the later instant)."""
        if delta < dt.timedelta(0):
            raise ValueError("the clock only moves forward")
        if self.frozen_at is not None:
            self.frozen_at += delta
        else:
            self.offset_seconds += int(delta.total_seconds())
