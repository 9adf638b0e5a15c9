"""The numbers `bank-client` takes, bounded to what the store and the timers can use.

A value outside them is click's usage error (exit status 2) naming the option, rather than
a traceback from deep inside (an id past 64 bits overflowed SQLite's INTEGER), a silent
change of meaning (`sync 0` synced every connection) or a busy loop (a negative or NaN
`--interval`).
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import click

from client.store.models import Connection
from client.store.types import BIGINT_MAX, Fit

ROW_ID = click.IntRange(1, BIGINT_MAX)  # ids start at 1: 0 is no row, not "all of them"
ROW_COUNT = click.IntRange(0, BIGINT_MAX)  # SQL limits are 64-bit integers too
PORT = click.IntRange(0, 65535)  # a bigger number would wrap around (70000 is 4464)
DAY_SECONDS = 24 * 60 * 60
USER_REF_LENGTH = Fit(Connection.user_ref).length or 0


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


def app_user(ctx: click.Context, param: click.Parameter, user: str | None) -> str | None:
    """`--user` as the store keeps it: an empty one connected as the default user while
    listing nobody's data, and on PostgreSQL one past the column's length failed only after
    the provider had made the Item (left behind, and billed); a longer one is not cut, as
    two users who share its start would become one."""
    if user is None:
        return None
    if not user.strip():
        raise click.BadParameter("the app user is empty", ctx, param)
    if any(map(is_control, user)):  # stored, it would reach every later listing's terminal
        raise click.BadParameter(f"the app user holds a control character: {user!r}", ctx, param)
    if len(user) > USER_REF_LENGTH:
        raise click.BadParameter(
            f"the app user is {len(user)} characters, more than the {USER_REF_LENGTH} stored",
            ctx,
            param,
        )
    return user


def is_control(char: str) -> bool:
    """Whether a character drives a terminal instead of showing (ESC, BEL, a line break)."""
    return unicodedata.category(char) == "Cc"


def given(ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    """An option's text, refused when empty: `connect --public-token "$TOKEN"` with the
    variable unset printed a Link URL and exited 0, as if the bank were connected."""
    if text is not None and not text.strip():
        raise click.BadParameter("it is empty", ctx, param)
    return text


def webhook_url(ctx: click.Context, param: click.Parameter, url: str | None) -> str | None:
    """Where the provider sends the Item's webhooks (`bank-client serve`'s
    `/webhooks/plaid`): refused here rather than by the provider, whose words name no
    option."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port raises only when read
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"must be an http:// or https:// URL, not {url!r}", ctx, param)
    return url
