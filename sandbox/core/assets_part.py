"""``bank.assets``: Asset reports over some items, their PDFs, refreshes, filters and audit
copies.

A report is built in the background: ``PRODUCT_NOT_READY`` until the tenant's clock passes
its snapshot plus ``HISTORICAL_DELAY_SECONDS``, then ``PRODUCT_READY`` is sent. Refreshing or
filtering makes a new report (reports are immutable, as Plaid's are).

The part lives apart from ``assets`` (the report rows and content) because it queues
webhooks, and ``webhooks.triggers`` reads those rows: one module holding both would loop.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from . import assets, errors
from .assets import ReportContent
from .models import AssetReport, Item
from .webhooks import triggers

if TYPE_CHECKING:
    from .bank import Bank


class Assets:
    """One tenant's Asset reports, on the bank's session."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.session = bank.session

    def create(
        self, access_tokens: list[str], days: int, options: dict[str, Any]
    ) -> tuple[str, AssetReport]:
        """A report over the items; built in the background (``PRODUCT_READY`` when done).

        Unlike most products, Assets is not added on first use: each item must have been
        linked with it. A token given twice names its item once (Plaid does not say; an item
        listed twice would count its assets twice)."""
        items = list({item.pk: item for item in map(self.bank.item, access_tokens)}.values())
        if any("assets" not in item.products for item in items):
            raise errors.AssetReportProductNotEnabled()
        return self._new(items, days, options, [])

    def _new(
        self,
        items: list[Item],
        days: int,
        options: dict[str, Any],
        excluded: list[str],
        snapshot: dt.datetime | None = None,
    ) -> tuple[str, AssetReport]:
        """A new report of the items' data at ``snapshot`` (default: now, pulled afresh), and
        its ``PRODUCT_READY`` for when it is built: ``HISTORICAL_DELAY_SECONDS`` after the
        snapshot, so a report made from one already built (a filtered one) is ready at once."""
        now = self.bank.now()
        tenant = self.bank.tenant
        token, record = assets.create(
            self.session, tenant, items, days, options, snapshot or now, excluded=excluded
        )
        url = options.get("webhook") or next((i.webhook for i in items if i.webhook), None)
        if assets.FAST_ADD_ON in assets.add_ons(options):
            triggers.asset_report_ready(self.session, tenant, record, url, dt.timedelta(), "FAST")
        building = max(dt.timedelta(), record.created_at + self.bank.historical_delay - now)
        triggers.asset_report_ready(self.session, tenant, record, url, building)
        return token, record

    def get(
        self, token: str, days_to_include: int | None = None, *, fast: bool = False
    ) -> ReportContent:
        """The report's content (``PRODUCT_NOT_READY`` while it is being built), or its Fast
        version (``fast``)."""
        record = assets.find(self.session, self.bank.tenant, token)
        return assets.build(
            self.session,
            record,
            self.bank.now(),
            self.bank.historical_delay,
            days_to_include,
            fast=fast,
        )

    def pdf(self, report: ReportContent, owners: dict[int, str]) -> bytes:
        """The report as a PDF (``owners``: each item's account holder by item pk)."""
        from . import asset_pdf  # fpdf2 (fontTools, Pillow): imported for the first PDF only

        return asset_pdf.render(report, owners)

    def refresh(
        self, token: str, days: int | None, options: dict[str, Any] | None
    ) -> tuple[str, AssetReport]:
        """A new report over the same items with today's data; omitted options keep theirs."""
        record = self._built(token)
        items = assets.items_of(self.session, record)
        if removed := [i.id for i in items if i.removed_at is not None]:
            raise errors.AssetReportDataUnavailable(
                causes=[(item_id, errors.ItemNotFound()) for item_id in removed]
            )
        for item in items:
            self.bank.read_item(item)
        merged = {**record.options, **(options or {})}
        days = record.days_requested if days is None else days
        return self._new(items, days, merged, list(record.excluded_account_ids))

    def filter(self, token: str, exclude: list[str]) -> tuple[str, AssetReport]:
        """A new report of the same day without the accounts ``exclude`` names; Plaid makes
        it from the existing report, so it is ready (and ``PRODUCT_READY`` sent) at once."""
        record = self._built(token)
        items = assets.items_of(self.session, record)
        known = {a.id for i in items for a in i.accounts}
        if unknown := [a for a in exclude if a not in known]:
            raise errors.InvalidAccountId(
                f"the following account_ids_to_exclude are invalid: {', '.join(unknown)}",
                field="account_ids_to_exclude",
            )
        excluded = sorted({*record.excluded_account_ids, *exclude})
        # the same snapshot, fewer accounts: built from the report, not pulled again
        return self._new(
            items, record.days_requested, dict(record.options), excluded, record.created_at
        )

    def _built(self, token: str) -> AssetReport:
        """The report ``token`` names, once built (``PRODUCT_NOT_READY`` before)."""
        record = assets.find(self.session, self.bank.tenant, token)
        assets.check_ready(record, self.bank.now(), self.bank.historical_delay)
        return record

    def remove(self, token: str) -> None:
        """Remove a report and its audit copies."""
        record = assets.find(self.session, self.bank.tenant, token)
        assets.remove(self.session, record, self.bank.now())

    def create_audit_copy(self, token: str, auditor_id: str) -> str:
        """An audit copy token an auditor can read the report with."""
        record = self._built(token)
        return assets.create_audit_copy(self.session, record, auditor_id, self.bank.now())

    def audit_copy(
        self, audit_copy_token: str, days_to_include: int | None = None
    ) -> ReportContent:
        """The report an audit copy points at (its last ``days_to_include`` days, if given)."""
        copy = assets.find_audit_copy(self.session, self.bank.tenant, audit_copy_token)
        return assets.build(
            self.session, copy.report, self.bank.now(), self.bank.historical_delay, days_to_include
        )

    def remove_audit_copy(self, audit_copy_token: str) -> None:
        """The audit copy stops working; the report stays."""
        copy = assets.find_audit_copy(self.session, self.bank.tenant, audit_copy_token)
        copy.removed_at = self.bank.now()
