"""The numbers `bank-client` takes, bounded to what the store and the timers can use.

A value outside them is click's usage error (exit status 2) naming the option, rather than
a traceback from deep inside (an id past 64 bits overflowed SQLite's INTEGER), a silent
change of meaning (`sync 0` synced every connection) or a busy loop (a negative or NaN
`--interval`).
"""

from __future__ import annotations

import math
from typing import Any

import click

from client.store.types import BIGINT_MAX

ROW_ID = click.IntRange(1, BIGINT_MAX)  # ids start at 1: 0 is no row, not "all of them"
ROW_COUNT = click.IntRange(0, BIGINT_MAX)  # SQL limits are 64-bit integers too
PORT = click.IntRange(0, 65535)  # a bigger number would wrap around (70000 is 4464)
DAY_SECONDS = 24 * 60 * 60


class Seconds(click.FloatRange):
    """A duration in seconds within the range; NaN, which every comparison lets through,
    is refused too."""

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """The number, or a usage error naming the option."""
        seconds: float = super().convert(value, param, ctx)
        if math.isnan(seconds):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


PASS_INTERVAL = Seconds(0, DAY_SECONDS, min_open=True)  # a pass at least daily, never a spin
WAIT = Seconds(0)  # inf: until the sign-in comes
