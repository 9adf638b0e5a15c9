"""The per-tenant simulated clock.

``now()`` is either a frozen instant or real time plus an offset. Real time comes
from ``datetime.now`` so freezegun drives it in process, while ``/control/clock``
drives it on a live server.
"""

from __future__ import annotations

import datetime as dt
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

    def freeze(self, at: dt.datetime | None = None) -> None:
        """Stop time at ``at`` (default: now)."""
        self.frozen_at = (at or self.now()).astimezone(dt.UTC)

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant."""
        if self.frozen_at is not None:
            self.offset_seconds = int((self.frozen_at - dt.datetime.now(dt.UTC)).total_seconds())
            self.frozen_at = None
