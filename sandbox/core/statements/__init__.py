"""Statement files: CSV in the banks' layouts, OFX/QFX, and monthly PDF statements.

``Statements`` is the tenant-bound part ``Bank.statements`` hands to the dialects (the
banks' Statements pages, the control API, Plaid's ``/statements/*``). Every file is
rendered from one ``Period`` read off the stored ledger, so files and API agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy.orm import Session

from .. import tenants
from ..errors import InvalidField
from ..models import Account, Item, Tenant
from ..webhooks.outbox import emit
from . import csv_layouts, monthly, ofx
from .csv_layouts import LAYOUTS
from .monthly import Monthly
from .period import Period, build

FORMATS = {
    "csv": ("text/csv", "csv"),
    "ofx": ("application/x-ofx", "ofx"),
    "ofx2": ("application/x-ofx", "ofx"),
    "qfx": ("application/vnd.intu.qfx", "qfx"),
    "pdf": ("application/pdf", "pdf"),
}
MAX_RANGE = dt.timedelta(days=731)
# Plaid's Statements dates (``/statements/refresh``, Link's ``statements``): "You can request
# up to two years of data"; two years with a leap day are 731 days.
MAX_WINDOW = dt.timedelta(days=731)

__all__ = ["FORMATS", "LAYOUTS", "Download", "Monthly", "Period", "Statements", "check_window"]


def check_window(start: dt.date, end: dt.date, at: str = "") -> None:
    """Refuse Statements dates Plaid refuses: ``end_date`` before ``start_date``, or more than
    two years apart; ``at`` is where the two dates sit in the request (``statements.``)."""
    if end < start:
        raise InvalidField(f"{at}end_date must not be before {at}start_date", field=f"{at}end_date")
    if end - start > MAX_WINDOW:
        raise InvalidField(
            f"{at}start_date must be at most 2 years before {at}end_date", field=f"{at}start_date"
        )


@dataclass(frozen=True)
class Download:
    """A file ready to send: its name, media type and bytes."""

    filename: str
    media_type: str
    body: bytes


class Statements:
    """One tenant's statement files."""

    formats: ClassVar[tuple[str, ...]] = tuple(FORMATS)
    layouts: ClassVar[dict[str, str]] = {key: layout.title for key, layout in LAYOUTS.items()}

    def __init__(self, session: Session, tenant: Tenant) -> None:
        self.session = session
        self.tenant = tenant

    def _now(self) -> dt.datetime:
        return tenants.clock_of(self.tenant).now()

    def export(
        self,
        item: Item,
        account_id: str,
        start: dt.date,
        end: dt.date,
        fmt: str,
        layout: str | None = None,
    ) -> Download:
        """One account's posted activity from ``start`` to ``end`` as a file in ``fmt``."""
        if fmt not in FORMATS:
            raise InvalidField(f"format must be one of {', '.join(FORMATS)}", field="format")
        if layout is not None and layout not in LAYOUTS:
            raise InvalidField(f"layout must be one of {', '.join(LAYOUTS)}", field="layout")
        if end - start > MAX_RANGE:
            raise InvalidField("at most 731 days per download", field="start")
        account = _account(item, account_id)
        period = build(self.session, item, account, start, end, self._now().date())
        media, extension = FORMATS[fmt]
        name = f"{item.institution_id}_{account.mask}_{period.start:%Y%m%d}_{period.end:%Y%m%d}"
        return Download(f"{name}.{extension}", media, self._render(period, fmt, layout))

    def _render(self, period: Period, fmt: str, layout: str | None) -> bytes:
        now = self._now()
        if fmt == "csv":
            return csv_layouts.render(period, layout).encode("utf-8")
        if fmt == "pdf":
            return _pdf(period, now)
        return ofx.render(period, now, version=2 if fmt == "ofx2" else 1, qfx=fmt == "qfx")

    def listing(self, item: Item) -> list[tuple[Account, list[Monthly]]]:
        """Every account that gets statements, with its complete monthly statements."""
        today = self._now().date()
        return [
            (a, monthly.listing(self.session, item, a, today))
            for a in item.accounts
            if monthly.has_statements(a)
        ]

    def statement(self, item: Item, statement_id: str) -> Download:
        """One monthly statement as PDF."""
        today = self._now().date()
        found = monthly.find(self.session, item, statement_id, today)
        period = monthly.period(self.session, item, found, today)
        name = f"{found.statement_id}.pdf"
        return Download(name, "application/pdf", _pdf(period, self._closing_instant(found)))

    def refresh(self, item: Item) -> None:
        """Plaid's ``/statements/refresh``: statements are ready at once; the webhook says so.
        Its dates select nothing (the statements cover the whole history): the dialect checks
        them with ``check_window`` before the call counts against its rate limits."""
        emit(
            self.session,
            self.tenant,
            item,
            "STATEMENTS",
            "STATEMENTS_REFRESH_COMPLETE",
            {"result": "SUCCESS"},
        )

    @staticmethod
    def _closing_instant(found: Monthly) -> dt.datetime:
        """A monthly statement is dated when it was issued, so its bytes never change."""
        return dt.datetime.combine(found.date_posted, dt.time(6), tzinfo=dt.UTC)


def _account(item: Item, account_id: str) -> Account:
    found = next((a for a in item.accounts if a.id == account_id), None)
    if found is None:
        raise InvalidField("account_id is not an account of this item", field="account_id")
    return found


def _pdf(period: Period, generated: dt.datetime) -> bytes:
    """A PDF statement; fpdf2 (with fontTools and Pillow) is imported for the first one only,
    so a server that never renders a PDF does not pay for it at start."""
    from . import pdf

    return pdf.render(period, generated)
