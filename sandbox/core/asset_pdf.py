"""The Asset Report as a PDF a loan officer would read: a summary, then every account.

fpdf2 writes it with its built-in Helvetica (Latin-1 only, so other characters are
replaced); the document carries no timestamps of its own beyond the report's date, so the
same report gives the same bytes.
"""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF

from .assets import AccountSection, ReportContent
from .institutions import get as institution

ROWS_PER_ACCOUNT = 40
FIXED_CREATION = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # fpdf2 stamps the PDF's own metadata


def render(report: ReportContent, owners: dict[int, str]) -> bytes:
    """The PDF bytes of ``report``; ``owners`` names each item's account holder by item pk."""
    pdf = FPDF(format="Letter")
    pdf.set_creation_date(FIXED_CREATION)
    pdf.set_title(f"Asset Report {report.record.report_id}")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Asset Report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    user = report.record.options.get("user") or {}
    name = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
    for label, value in (
        ("Report ID", report.record.report_id),
        ("Client report ID", report.record.options.get("client_report_id") or "-"),
        ("Prepared for", name or "-"),
        ("Date generated", report.as_of.isoformat()),
        ("Days requested", str(report.record.days_requested)),
    ):
        _line(pdf, f"{label}: {value}")
    for section in report.items:
        bank = institution(section.item.institution_id)
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 14)
        _line(pdf, bank.name, height=8)
        pdf.set_font("Helvetica", size=10)
        _line(pdf, f"Account holder: {owners.get(section.item.pk, '-')}")
        for account in section.accounts:
            _account(pdf, account, bank.currency)
    return bytes(pdf.output())


def _account(pdf: FPDF, section: AccountSection, currency: str) -> None:
    account = section.account
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, f"{account.name} ({account.subtype or account.type}) ...{account.mask or ''}")
    pdf.set_font("Helvetica", size=9)
    _line(pdf, f"Current balance: {_money(section.current_minor, currency)}")
    _line(pdf, f"Days of history available: {section.days_available}")
    if section.history:
        low = min(p[1] for p in section.history)
        high = max(p[1] for p in section.history)
        _line(pdf, f"Balance range: {_money(low, currency)} to {_money(high, currency)}")
    shown = section.transactions[:ROWS_PER_ACCOUNT]
    if not shown:
        return
    pdf.set_font("Helvetica", "B", 9)
    for text, width in (("Date", 25), ("Description", 120), ("Amount", 35)):
        pdf.cell(width, 5, text, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for row in shown:
        pdf.cell(25, 5, row.date.isoformat())
        pdf.cell(120, 5, _latin1(row.name)[:70])
        pdf.cell(35, 5, _money(-row.amount_minor, currency), align="R")
        pdf.ln()
    if len(section.transactions) > len(shown):
        _line(pdf, f"... and {len(section.transactions) - len(shown)} older transactions")


def _line(pdf: FPDF, text: str, height: float = 5) -> None:
    pdf.cell(0, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _money(minor: int, currency: str) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) / 100:,.2f} {currency}"


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
