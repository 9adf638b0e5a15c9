"""The TrueLayer provider: Data API v1 reads as `ChangePage`s over a date window, token refresh
inside the sync, TrueLayer errors as provider-neutral sync errors.

One page is one date chunk of one account or card (the first sync reads its history in
chunks; later syncs usually need one chunk per account), preceded by a page that lists the
accounts and fixes the window. A renewed token pair is a page of its own, so the engine stores
it (in the same transaction as the cursor) before any data is read with it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from client.api.transport import Observer
from client.providers import errors
from client.providers.base import AccountFacts, ChangePage
from client.providers.model import LocalAccount
from client.providers.truelayer_api import (
    Tokens,
    TrueLayerAPI,
    TrueLayerError,
    TrueLayerUnreachable,
)
from client.providers.truelayer_mapping import (
    ACCOUNTS,
    CARDS,
    account_id,
    day,
    map_account,
    map_card,
    map_card_account,
    map_direct_debit,
    map_standing_order,
    map_transaction,
    transaction_keys,
)
from client.providers.truelayer_window import Run, WindowState, reconcile

# TrueLayer error codes the engine must act on; 429s and 5xx are retryable, the rest plain.
_LOGIN = frozenset(
    {
        "access_denied",  # consent expired or revoked: re-consent
        "invalid_grant",  # refresh token expired, revoked, or consent over
        "invalid_token",
        "unauthorized",
        "wrong_credentials",
        "user_input_required",
        "sca_exceeded",
    }
)
_APP = frozenset({"invalid_client", "unauthorized_client"})  # the app's client id or secret
_LATER = frozenset({"account_temporarily_locked", "provider_error", "temporarily_unavailable"})
CONNECTION_ERROR = "CONNECTION_ERROR"
NOT_SUPPORTED = 501
# Refreshes in a row without a data page in between before a refused token means the
# consent is gone (no refresh loop when the server refuses every new token).
MAX_RENEWALS = 2


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class TrueLayerProvider:
    """Implements `Provider` over a `TrueLayerAPI`; credentials are `Tokens` as JSON."""

    name = "truelayer"

    def __init__(
        self,
        api: TrueLayerAPI,
        *,
        history_days: int = 730,
        overlap_days: int = 14,
        chunk_days: int = 31,
        today: Callable[[], dt.date] = _utc_today,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`overlap_days`: how far before the last sync's end a sync reads again (late
        settlements, back-dated postings); `chunk_days`: the date span of one page."""
        self.api = api
        self.history_days, self.overlap_days, self.chunk_days = (
            history_days,
            overlap_days,
            chunk_days,
        )
        self.today, self.clock = today, clock

    def __repr__(self) -> str:
        return f"TrueLayerProvider({self.api!r})"

    def observed(self, observer: Observer) -> TrueLayerProvider:
        """A provider whose calls are also reported to `observer`."""
        return TrueLayerProvider(
            self.api.observed(observer),
            history_days=self.history_days,
            overlap_days=self.overlap_days,
            chunk_days=self.chunk_days,
            today=self.today,
            clock=self.clock,
        )

    def refresh(self, credentials: str) -> None:
        """Nothing to ask for: every Data API read goes to the bank."""

    def left_out_accounts(self, credentials: str) -> list[LocalAccount]:
        """None: a sync's run reads the balance of every account and card it lists."""
        return []

    def fetch_changes(self, credentials: str, cursor: str | None, count: int) -> ChangePage:
        """The next page of the sync the cursor describes (see the module docstring)."""
        tokens, state = Tokens.loads(credentials), WindowState.loads(cursor)
        renewals = state.renewals
        with neutral_errors():
            if tokens.expiring(self.clock()):
                return self._renewed(tokens, state)
            try:
                return self._page(tokens, state)
            except TrueLayerError as exc:
                # The bank's clock may run ahead of ours (a sandbox clock moved forward).
                if exc.error != "invalid_token" or renewals >= MAX_RENEWALS:
                    raise
                return self._renewed(tokens, WindowState.loads(cursor))

    def renew(self, tokens: Tokens) -> Tokens:
        """The refresh_token grant; the new pair keeps the connection's `ns`."""
        if not tokens.refresh_token:
            raise errors.LoginRequired("invalid_grant", "no refresh token (offline_access)")
        with neutral_errors():
            reply = self.api.refresh(tokens.refresh_token)
        return tokens.renewed_by(reply, self.clock())

    # -- pages -----------------------------------------------------------------------------

    def _renewed(self, tokens: Tokens, state: WindowState) -> ChangePage:
        """A page carrying only the new token pair; the sync goes on where it was."""
        renewed = self.renew(tokens).dumps()
        state.renewals += 1
        return ChangePage(next_cursor=state.dumps(), has_more=True, credentials=renewed)

    def _page(self, tokens: Tokens, state: WindowState) -> ChangePage:
        state.renewals = 0
        if state.run is None:
            return self._plan(tokens, state)
        return self._chunk(tokens, state, state.run)

    def _plan(self, tokens: Tokens, state: WindowState) -> ChangePage:
        """Start a run: list accounts and cards, fix the window."""
        found, today = self._survey(tokens)
        return self._start(state, found, today)

    def _survey(self, tokens: Tokens) -> tuple[list[tuple[str, dict[str, Any]]], dt.date]:
        """The accounts and cards, and the bank's today: ours, or the banks' latest update when
        their clock is ahead (a sandbox whose clock was moved forward)."""
        found = self._listed(tokens)
        stamps = [day(obj.get("update_timestamp")) for _, obj in found]
        return found, max([self.today(), *(s for s in stamps if s)])

    def _listed(self, tokens: Tokens) -> list[tuple[str, dict[str, Any]]]:
        """The accounts, then the cards when granted, each with its kind."""
        found = [(ACCOUNTS, a) for a in self.api.results(tokens.access_token, "/accounts")]
        cards = self._granted(tokens, "cards", "/cards")
        return found + [(CARDS, c) for c in cards or []]

    def accounts(self, tokens: Tokens) -> list[LocalAccount]:
        """The connection's accounts and cards as the bank lists them, without balances: what a
        new connection is stored with, and checked against the user's other connections with
        (`client.sync.duplicates` compares names, masks, types and subtypes only), before its
        first sync reads the balances. One listing call (two with cards), not one more per
        account: a balance read failing cannot defeat the check. TrueLayer errors are raised as
        they come (`neutral_errors` turns them into sync errors)."""
        return [self._mapped(tokens.ns, kind, raw, {}) for kind, raw in self._listed(tokens)]

    def _start(
        self, state: WindowState, found: list[tuple[str, dict[str, Any]]], today: dt.date
    ) -> ChangePage:
        """A run over `found` up to `today` (none when there is nothing to read)."""
        start, end = state.window(today, self.history_days, self.overlap_days)
        if not found:
            state.synced_to = end
            return ChangePage(next_cursor=state.dumps(), has_more=False)
        state.run = Run(start, end, found, start)
        return ChangePage(next_cursor=state.dumps(), has_more=True)

    def _finish(self, tokens: Tokens, state: WindowState, run: Run) -> ChangePage:
        """After a run's last account: done, unless the bank's day moved past the run's end
        meanwhile (a run resumed after a crash, a sync across midnight): then one more run
        from the overlap, so a sync always ends up to date."""
        state.synced_to, state.run = run.end, None
        found, today = self._survey(tokens)
        if today > run.end:
            return self._start(state, found, today)
        return ChangePage(next_cursor=state.dumps(), has_more=False)

    def _chunk(self, tokens: Tokens, state: WindowState, run: Run) -> ChangePage:
        """One date chunk of the run's current account: settled transactions; the balance on
        its first chunk; pending ones, card and standing orders/direct debits on its last."""
        token, ns = tokens.access_token, tokens.ns
        kind, raw = run.todo[0]
        aid = raw["account_id"]
        start, end = run.chunk(self.chunk_days)
        last = end >= run.end
        settled = self.api.transactions(token, kind, aid, start, end)
        booked = [
            map_transaction(ns, aid, t, key, pending=False)
            for t, key in zip(settled, transaction_keys(settled), strict=True)
        ]
        page = ChangePage()
        if start == run.start:
            page.accounts = [self._account(token, ns, kind, raw)]
        pending = None
        if last:
            open_ = self.api.results(token, f"/{kind}/{aid}/transactions/pending")
            pending = [
                map_transaction(ns, aid, t, key, pending=True)
                for t, key in zip(open_, transaction_keys(open_), strict=True)
            ]
            page.facts = [self._facts(tokens, kind, raw)]
        keep_from = run.end - dt.timedelta(days=self.overlap_days)
        result = reconcile(state, account_id(ns, aid), (start, end), booked, pending, keep_from)
        page.added, page.removed = result.upserts, result.removed
        state.run = run.advanced(end)
        if state.run.todo:
            page.next_cursor, page.has_more = state.dumps(), True
        else:
            ending = self._finish(tokens, state, run)
            page.next_cursor, page.has_more = ending.next_cursor, ending.has_more
            page.pending_complete = not ending.has_more
        return page

    def _account(self, token: str, ns: str, kind: str, raw: dict[str, Any]) -> LocalAccount:
        """The account or card with its balance."""
        balance = self.api.results(token, f"/{kind}/{raw['account_id']}/balance")
        return self._mapped(ns, kind, raw, balance[0] if balance else {})

    def _mapped(
        self, ns: str, kind: str, raw: dict[str, Any], balance: dict[str, Any]
    ) -> LocalAccount:
        """The account or card with `balance` (empty: balances unknown yet)."""
        app = self.api.config.client_id
        if kind == CARDS:
            return map_card_account(ns, raw, balance, app=app)
        return map_account(ns, raw, balance, app=app)

    def _facts(self, tokens: Tokens, kind: str, raw: dict[str, Any]) -> AccountFacts:
        """The card itself, or the account's standing orders and direct debits (None when not
        granted or the bank does not offer them: what is stored stays)."""
        aid = raw["account_id"]
        facts = AccountFacts(account_id(tokens.ns, aid))
        if kind == CARDS:
            facts.card = map_card(raw)
            return facts
        orders = self._granted(tokens, "standing_orders", f"/accounts/{aid}/standing_orders")
        debits = self._granted(tokens, "direct_debits", f"/accounts/{aid}/direct_debits")
        if orders is not None:
            facts.standing_orders = [map_standing_order(o) for o in orders]
        if debits is not None:
            facts.direct_debits = [map_direct_debit(d) for d in debits]
        return facts

    def _granted(self, tokens: Tokens, scope: str, path: str) -> list[dict[str, Any]] | None:
        """A read that needs its own scope, when granted and offered."""
        if not tokens.allows(scope):
            return None
        return self._optional(lambda: self.api.results(tokens.access_token, path))

    @staticmethod
    def _optional(read: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]] | None:
        """A read the bank may not support (501 endpoint_not_supported): None then."""
        try:
            return read()
        except TrueLayerError as exc:
            if exc.status == NOT_SUPPORTED:
                return None
            raise


@contextmanager
def neutral_errors() -> Iterator[None]:
    """Re-raise TrueLayer's errors as provider-neutral sync errors (the cause is kept)."""
    try:
        yield
    except TrueLayerError as exc:
        code, text = exc.error, exc.description
        if code in _LOGIN:
            raise errors.LoginRequired(code, text, request_id=exc.trace_id) from exc
        if code in _APP:
            raise errors.AppMisconfigured(code, text, request_id=exc.trace_id) from exc
        if code in _LATER or exc.status == 429 or (exc.status >= 500 and exc.status != 501):
            raise errors.ProviderUnavailable(code, text, request_id=exc.trace_id) from exc
        raise errors.SyncError(code, text, request_id=exc.trace_id) from exc
    except TrueLayerUnreachable as exc:
        # Reads are idempotent, so even a lost reply is safe to retry.
        raise errors.ProviderUnavailable(CONNECTION_ERROR, str(exc)) from exc
