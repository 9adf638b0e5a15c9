"""``from`` / ``to`` as the Data API takes them: in a query string or a batch's JSON body."""

from __future__ import annotations

import datetime as dt

from ..core.errors import InvalidDateRange


def day_of(name: str, raw: str | None) -> dt.date | None:
    """``from``/``to`` as a day: ``YYYY-MM-DD`` or a full ISO 8601 date-time. Posting days
    are UTC days (``…T00:00:00+00:00``), so a date-time with an offset counts on its UTC
    day: ``to=2026-03-09T23:00:00-05:00`` is 04:00 on the 10th and reaches the 10th's rows."""
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            return dt.date.fromisoformat(raw)
        # a "+" the query string decoded to a space is the offset's sign
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
        return (moment.astimezone(dt.UTC) if moment.tzinfo else moment).date()
    except (ValueError, OverflowError):  # overflow: a UTC day before year 1 or after 9999
        raise InvalidDateRange(
            f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time, not {raw!r}",
            field=name,
        ) from None
