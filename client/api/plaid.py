"""`PlaidClient`: typed methods for the Plaid endpoints the sync engine needs."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from client.api.transport import Observer, Transport, full_jitter

Json = dict[str, Any]
MAX_SYNC_COUNT = 500  # the most /transactions/sync returns in one page (`count`)
MAX_DAYS_REQUESTED = 730  # the most history Link may ask of a bank (`days_requested`)


class PlaidClient:
    """Explicitly configured; the same code talks to this sandbox, Plaid Sandbox or Production."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        timeout: float = 10,
        max_retries: int = 2,
        *,
        sleep: Callable[[float], None] | None = None,
        jitter: Callable[[float], float] = full_jitter,
        transport: Transport | None = None,
    ) -> None:
        self.transport = transport or Transport(
            base_url,
            client_id,
            secret,
            timeout=timeout,
            max_retries=max_retries,
            jitter=jitter,
            sleep=sleep or time.sleep,
        )

    def __repr__(self) -> str:
        return f"PlaidClient({self.transport.base_url!r})"

    @property
    def base_url(self) -> str:
        """Where requests go (kept for logs and health output)."""
        return self.transport.base_url

    def observed(self, observer: Observer) -> PlaidClient:
        """A client sharing the pool whose calls are also reported to `observer` (audit)."""
        return PlaidClient("", "", "", transport=self.transport.with_observer(observer))

    def close(self) -> None:
        """Release pooled connections."""
        self.transport.close()

    def post(self, path: str, **body: Any) -> Json:
        """Any Plaid endpoint, for calls without a dedicated method."""
        return self.transport.post(path, body)

    # -- Link and Items ----------------------------------------------------------------------

    def link_token_create(
        self,
        client_user_id: str,
        *,
        client_name: str = "Bank Client",
        products: Sequence[str] = ("transactions",),
        access_token: str | None = None,
        webhook: str | None = None,
        days_requested: int | None = None,
        country_codes: Sequence[str] = ("US",),
        language: str = "en",
        **options: Any,
    ) -> Json:
        """A Link token; with `access_token` it opens update mode (no products then). `options`
        are further top-level fields such as `hosted_link={}` or `update={...}`."""
        body: Json = {
            "client_name": client_name,
            "language": language,
            "country_codes": list(country_codes),
            "user": {"client_user_id": client_user_id},
            **options,
        }
        if access_token:
            body["access_token"] = access_token
        else:
            body["products"] = list(products)
        if webhook:
            body["webhook"] = webhook
        if days_requested is not None and not access_token:  # 0 is Plaid's to refuse
            body["transactions"] = {"days_requested": days_requested}
        return self.transport.post("/link/token/create", body)

    def item_public_token_exchange(self, public_token: str) -> Json:
        """Trade Link's one-use public token for the long-lived access token."""
        return self.transport.post("/item/public_token/exchange", {"public_token": public_token})

    def sandbox_public_token_create(
        self,
        institution_id: str = "ins_109508",
        products: Sequence[str] = ("transactions",),
        *,
        days_requested: int | None = None,
        webhook: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> Json:
        """Sandbox-only shortcut that links an Item without the Link UI."""
        options: Json = {}
        if days_requested is not None:  # 0 is Plaid's to refuse, not a default
            options["transactions"] = {"days_requested": days_requested}
        if webhook:
            options["webhook"] = webhook
        if username:
            options["override_username"] = username
        if password:
            options["override_password"] = password
        body: Json = {"institution_id": institution_id, "initial_products": list(products)}
        if options:
            body["options"] = options
        return self.transport.post("/sandbox/public_token/create", body)

    def item_get(self, access_token: str) -> Json:
        """The Item with its error (200 even while broken)."""
        return self.transport.post("/item/get", {"access_token": access_token})

    def item_remove(self, access_token: str) -> Json:
        """End the Item; its access token stops working."""
        return self.transport.post("/item/remove", {"access_token": access_token})

    def accounts_get(self, access_token: str) -> Json:
        """Accounts with cached balances."""
        return self.transport.post("/accounts/get", {"access_token": access_token})

    def accounts_balance_get(self, access_token: str) -> Json:
        """Accounts with live balances (rate limited harder by Plaid)."""
        return self.transport.post("/accounts/balance/get", {"access_token": access_token})

    def transactions_sync(
        self,
        access_token: str,
        cursor: str | None,
        count: int = MAX_SYNC_COUNT,
        *,
        include_original_description: bool = False,
    ) -> Json:
        """One page of changes since `cursor` (None or "" = from the beginning)."""
        body: Json = {"access_token": access_token, "cursor": cursor or "", "count": count}
        if include_original_description:
            body["options"] = {"include_original_description": True}
        return self.transport.post("/transactions/sync", body)

    def transactions_refresh(self, access_token: str) -> Json:
        """Ask Plaid to check the bank for new transactions now (results arrive via sync)."""
        return self.transport.post("/transactions/refresh", {"access_token": access_token})

    def transactions_get_all(
        self, access_token: str, start: dt.date, end: dt.date, page_size: int = 500
    ) -> Iterator[Json]:
        """Every transaction in [start, end] through /transactions/get's offset pages."""
        offset = 0
        while True:
            page = self.transport.post(
                "/transactions/get",
                {
                    "access_token": access_token,
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "options": {"count": page_size, "offset": offset},
                },
            )
            yield from page["transactions"]
            offset += len(page["transactions"])
            if not page["transactions"] or offset >= page["total_transactions"]:
                return

    def webhook_verification_key_get(self, key_id: str) -> Json:
        """The public JWK that signed a webhook."""
        return self.transport.post("/webhook_verification_key/get", {"key_id": key_id})
