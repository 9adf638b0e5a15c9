"""Monthly PDF statements (fpdf2): the bank's colours and logo, a summary box, every row.

Deposit accounts show opening and closing balances, credits and debits, and each posted
transaction with the running balance; cards show the statement balance, minimum payment,
due date, APR and credit limit, then the cycle's activity. The same statement is served by
the bank's Statements page, the control API and Plaid's ``/statements/download``; the
creation date is the tenant's clock, so the same seed and clock give the same bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

from fpdf import FPDF

from .period import Period

SYMBOLS = {"USD": "$", "GBP": "\N{POUND SIGN}", "CAD": "CA$"}
INK = (34, 34, 34)
MUTED = (110, 110, 110)
RULE = (210, 210, 210)
ROW_HEIGHT = 6.0


def money(minor: int, currency: str) -> str:
    """``-$1,234.56`` (an ISO code before the figure where there is no Latin-1 symbol)."""
    sign = "-" if minor < 0 else ""
    symbol = SYMBOLS.get(currency, f"{currency} ")
    return f"{sign}{symbol}{Decimal(abs(minor)).scaleb(-2):,.2f}"


def _rgb(colour: str) -> tuple[int, int, int]:
    raw = colour.lstrip("#")
    return int(raw[0:2], 16), int(raw[2:4], 16), int(raw[4:6], 16)


class StatementPdf(FPDF):
    """A statement page with the bank's header band and a numbered footer."""

    def __init__(self, period: Period) -> None:
        super().__init__(format="Letter")
        self.period = period
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(f"{period.institution.name} statement {period.end:%B %Y}")
        self.set_author(period.institution.name)

    def header(self) -> None:
        """The bank's colour band with its logo and name."""
        bank = self.period.institution
        self.set_fill_color(*_rgb(bank.primary_color))
        self.rect(0, 0, self.w, 22, style="F")
        logo = io.BytesIO(base64.b64decode(bank.logo_base64))
        self.image(logo, x=10, y=4, h=14)
        self.set_xy(28, 7)
        self.set_text_color(255, 255, 255)
        self.set_font("Helvetica", "B", 15)
        self.cell(0, 8, bank.name)
        self.set_xy(10, 26)
        self.set_text_color(*INK)

    def footer(self) -> None:
        """Page x of y, and the sandbox's disclaimer."""
        self.set_y(-14)
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, "Sandbox statement: fictitious data for testing.", align="L")
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def render(period: Period, generated: dt.datetime) -> bytes:
    """The period's statement as PDF bytes."""
    pdf = StatementPdf(period)
    pdf.set_creation_date(generated)
    pdf.add_page()
    _heading(pdf, period)
    _summary(pdf, period)
    _activity(pdf, period)
    return bytes(pdf.output())


def _heading(pdf: StatementPdf, period: Period) -> None:
    kind = "Credit Card Statement" if period.is_card else "Account Statement"
    pdf.set_font("Helvetica", "B", 17)
    pdf.cell(0, 9, kind, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    span = f"{period.start:%B %d, %Y} - {period.end:%B %d, %Y}"
    account = f"{period.account.official_name or period.account.name} ...{period.account.mask}"
    for text in (span, account, "", period.holder, *period.address):
        pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _summary(pdf: StatementPdf, period: Period) -> None:
    cur = period.currency
    credits = period.total_minor(outflows=False)
    debits = period.total_minor(outflows=True)
    if period.card is not None:
        card = period.card
        rows = [
            ("New balance", money(card.statement_minor, cur)),
            ("Minimum payment due", money(card.minimum_minor, cur)),
            ("Payment due date", f"{card.due_date:%m/%d/%Y}"),
            ("Previous balance", money(period.opening_minor, cur)),
            ("Payments and credits", money(-credits, cur)),
            ("Purchases, fees and interest", money(debits, cur)),
            ("Purchase APR", f"{card.apr:.2f}%"),
            ("Interest charged", money(card.interest_minor, cur)),
        ]
        if card.limit_minor is not None:
            rows.append(("Credit limit", money(card.limit_minor, cur)))
    else:
        rows = [
            ("Opening balance", money(period.opening_minor, cur)),
            ("Deposits and other credits", money(credits, cur)),
            ("Withdrawals and other debits", money(-debits, cur)),
            ("Closing balance", money(period.closing_minor, cur)),
        ]
    pdf.set_draw_color(*RULE)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Summary", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for label, value in rows:
        pdf.cell(95, ROW_HEIGHT, label, border="B")
        pdf.cell(40, ROW_HEIGHT, value, border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)


def _activity(pdf: StatementPdf, period: Period) -> None:
    widths = (24, 106, 32, 32) if not period.is_card else (24, 138, 32)
    titles = ("Date", "Description", "Amount", "Balance")[: len(widths)]
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Transactions", new_x="LMARGIN", new_y="NEXT")
    _row(pdf, widths, titles, bold=True)
    cur = period.currency
    if not period.lines:
        pdf.set_font("Helvetica", "I", 9)
        pdf.cell(0, ROW_HEIGHT, "No transactions this period.", new_x="LMARGIN", new_y="NEXT")
    for line in period.lines:
        # On a statement money out reads negative on deposit accounts, positive on cards.
        shown = line.amount_minor if period.is_card else -line.amount_minor
        cells: tuple[str, ...] = (f"{line.date:%m/%d/%Y}", line.name, money(shown, cur))
        if not period.is_card:
            cells += (money(line.balance_minor, cur),)
        if pdf.will_page_break(ROW_HEIGHT):
            pdf.add_page()
            _row(pdf, widths, titles, bold=True)
        _row(pdf, widths, cells)


def _row(
    pdf: StatementPdf, widths: tuple[int, ...], cells: tuple[str, ...], *, bold: bool = False
) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 9)
    pdf.set_draw_color(*RULE)
    for n, (width, text) in enumerate(zip(widths, cells, strict=True)):
        align = "R" if n >= 2 else "L"
        pdf.cell(width, ROW_HEIGHT, text[:60], border="B", align=align)
    pdf.ln(ROW_HEIGHT)
