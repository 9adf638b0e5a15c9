"""The per-tenant simulated clock.

``now()`` is either a frozen instant or real time plus an offset. Real time comes
from ``datetime.now`` so freezegun drives it in process, while ``/control/clock``
drives it on a live server.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

# The largest offset a clock's text may name: 3650-day moves for longer than anyone waits.
MAX_OFFSET_SECONDS = 10**12


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

    def reaches(self, instant: dt.datetime) -> dt.datetime | None:
        """The real time at which this clock shows ``instant`` (now, if it has already passed
        it); None for a clock frozen before it, which shows it only once it is moved."""
        real_now = dt.datetime.now(dt.UTC)
        if self.frozen_at is not None:
            return real_now if instant <= self.frozen_at else None
        return max(real_now, instant - dt.timedelta(seconds=self.offset_seconds))

    def today(self) -> dt.date:
        """The tenant's current date (UTC)."""
        return self.now().date()

    def version(self) -> str:
        """The settings as text: a form that moves the clock carries the one it showed, so a
        second click of it (or another tab's) does not move the clock twice."""
        if self.frozen_at is not None:
            return f"frozen {self.frozen_at.isoformat()}"
        return f"running {self.offset_seconds}"

    @classmethod
    def of_version(cls, text: str) -> Clock:
        """The clock ``version`` wrote (``ValueError`` for any other text)."""
        kind, _, value = text.partition(" ")
        if kind == "frozen":
            instant = dt.datetime.fromisoformat(value)
            if instant.tzinfo is None:
                raise ValueError("a frozen clock's instant needs its zone")
            return cls(frozen_at=instant.astimezone(dt.UTC))
        if kind == "running" and abs(offset := int(value)) <= MAX_OFFSET_SECONDS:
            return cls(offset_seconds=offset)
        raise ValueError(f"not a clock: {text!r}")

    def advance(self, delta: dt.timedelta) -> None:
        """Move time forward (frozen clocks stay frozen at the later instant)."""
        if delta < dt.timedelta(0):
            raise ValueError("the clock only moves forward")
        if self.frozen_at is not None:
            self.frozen_at += delta
        else:
            self.offset_seconds += int(delta.total_seconds())
