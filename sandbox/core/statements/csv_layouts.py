"""CSV downloads in the layouts real banks use: their columns, date formats and signs.

Each layout is a header plus one cell function per column; the bank and the account kind
pick the layout. The layouts follow what each bank's "Download activity" produces:
Chase signs outflows negative with a running balance (checking) or a category (cards);
American Express signs charges positive; Bank of America opens checking files with a
summary block and thousands separators; Wells Fargo writes five unnamed columns; Capital One
splits debits and credits; UK banks write day-first dates with paid-out/paid-in columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .period import Line, Period

Cell = Callable[[Period, Line], str]

# The banks' own spending categories for card downloads, by Plaid primary category.
CARD_CATEGORIES = {
    "FOOD_AND_DRINK": ("Food & Drink", "Restaurant-Restaurant", "Dining"),
    "GENERAL_MERCHANDISE": ("Shopping", "Merchandise & Supplies-General Retail", "Merchandise"),
    "TRANSPORTATION": ("Gas", "Transportation-Fuel", "Gas/Automotive"),
    "TRAVEL": ("Travel", "Travel-Airline", "Airfare"),
    "ENTERTAINMENT": ("Entertainment", "Entertainment-General Events", "Entertainment"),
    "RENT_AND_UTILITIES": ("Bills & Utilities", "Business Services-Utilities", "Phone/Cable"),
    "MEDICAL": ("Health & Wellness", "Other-Medical Services", "Health Care"),
    "PERSONAL_CARE": ("Personal", "Other-Personal Care", "Other Services"),
    "BANK_FEES": ("Fees & Adjustments", "Fees & Adjustments-Fees", "Fee/Interest Charge"),
}
CHASE, AMEX, CAPITAL_ONE = 0, 1, 2
GROCERIES = ("Groceries", "Merchandise & Supplies-Groceries", "Grocery")


def units(minor: int, *, thousands: bool = False) -> str:
    """Minor units as a plain decimal string (``-1234.50``, or ``-1,234.50``)."""
    value = Decimal(minor).scaleb(-2)
    return f"{value:,.2f}" if thousands else f"{value:.2f}"


def day(fmt: str, *, posted: bool = True) -> Cell:
    """The posted date (or the authorised date, falling back to posted) in ``fmt``."""

    def cell(_: Period, line: Line) -> str:
        when = line.date if posted else (line.authorized_date or line.date)
        return when.strftime(fmt)

    return cell


def signed(*, outflow_negative: bool = True, thousands: bool = False) -> Cell:
    """One amount column; most banks show money out as negative, American Express the reverse."""
    sign = -1 if outflow_negative else 1
    return lambda _, line: units(sign * line.amount_minor, thousands=thousands)


def split(*, outflows: bool) -> Cell:
    """A debit (money out) or credit (money in) column, blank on the other side's rows."""
    return lambda _, line: units(abs(line.amount_minor)) if line.outflow == outflows else ""


def running(*, thousands: bool = False) -> Cell:
    """The balance after the row."""
    return lambda _, line: units(line.balance_minor, thousands=thousands)


def const(text: str) -> Cell:
    """The same text on every row."""
    return lambda _, __: text


def description(_: Period, line: Line) -> str:
    """The statement descriptor."""
    return line.name


def mask(period: Period, _: Line) -> str:
    """The account's last four digits."""
    return period.account.mask or ""


def card_category(bank: int) -> Cell:
    """The bank's spending category for a card purchase (blank for payments and credits)."""

    def cell(_: Period, line: Line) -> str:
        if line.category.startswith("FOOD_AND_DRINK_GROCERIES"):
            return GROCERIES[bank]
        names = next((v for k, v in CARD_CATEGORIES.items() if line.category.startswith(k)), None)
        return names[bank] if names and line.outflow else ""

    return cell


def chase_details(_: Period, line: Line) -> str:
    """Chase's DEBIT/CREDIT/CHECK column."""
    if line.check_number:
        return "CHECK"
    return "DEBIT" if line.outflow else "CREDIT"


def chase_type(_: Period, line: Line) -> str:
    """Chase's transaction type (checking: ACH_DEBIT, DEBIT_CARD…; cards: Sale, Payment…)."""
    if line.category.startswith("LOAN_PAYMENTS"):
        return "ACH_DEBIT" if line.outflow else "Payment"
    if line.payment_channel in ("in store", "online"):
        return "DEBIT_CARD" if line.outflow else "Return"
    return "ACH_DEBIT" if line.outflow else "ACH_CREDIT"


def card_type(_: Period, line: Line) -> str:
    """Chase card rows: Sale, Payment, Return or Fee."""
    if line.category.startswith("LOAN_PAYMENTS"):
        return "Payment"
    if line.category.startswith("BANK_FEES"):
        return "Fee"
    return "Sale" if line.outflow else "Return"


def reference(_: Period, line: Line) -> str:
    """A per-transaction reference number (American Express quotes it with an apostrophe)."""
    digits = "".join(str(ord(c) % 10) for c in line.id)[:18]
    return f"'{digits}'"


@dataclass(frozen=True)
class Layout:
    """One bank's CSV: its header (None: the bank writes none), cells and row order."""

    key: str
    title: str
    header: tuple[str, ...] | None
    cells: tuple[Cell, ...]
    newest_first: bool = True
    preamble: Callable[[Period], list[list[str]]] | None = None

    def render(self, period: Period) -> str:
        """The file's text, with the line endings the banks use (CRLF)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if self.preamble is not None:
            writer.writerows(self.preamble(period))
        if self.header is not None:
            writer.writerow(self.header)
        lines = reversed(period.lines) if self.newest_first else period.lines
        writer.writerows([cell(period, line) for cell in self.cells] for line in lines)
        return out.getvalue()


def _bofa_summary(period: Period) -> list[list[str]]:
    """Bank of America's summary block, then a blank line, then the opening-balance row."""
    start, end = period.start.strftime("%m/%d/%Y"), period.end.strftime("%m/%d/%Y")
    return [
        ["Description", "", "Summary Amt."],
        [f"Beginning balance as of {start}", "", units(period.opening_minor, thousands=True)],
        ["Total credits", "", units(period.total_minor(outflows=False), thousands=True)],
        ["Total debits", "", units(-period.total_minor(outflows=True), thousands=True)],
        [f"Ending balance as of {end}", "", units(period.closing_minor, thousands=True)],
        [],
    ]


US_DATE, ISO_DATE, UK_DATE = "%m/%d/%Y", "%Y-%m-%d", "%d/%m/%Y"
LAYOUTS = {
    layout.key: layout
    for layout in (
        Layout(
            "chase-checking",
            "Chase checking",
            (
                "Details",
                "Posting Date",
                "Description",
                "Amount",
                "Type",
                "Balance",
                "Check or Slip #",
            ),
            (chase_details, day(US_DATE), description, signed(), chase_type, running(), const("")),
        ),
        Layout(
            "chase-card",
            "Chase credit card",
            ("Transaction Date", "Post Date", "Description", "Category", "Type", "Amount", "Memo"),
            (
                day(US_DATE, posted=False),
                day(US_DATE),
                description,
                card_category(CHASE),
                card_type,
                signed(),
                const(""),
            ),
        ),
        Layout(
            "amex",
            "American Express",
            ("Date", "Description", "Card Member", "Account #", "Amount", "Reference", "Category"),
            (
                day(US_DATE),
                description,
                lambda p, _: p.holder.upper(),
                lambda p, _: f"-{p.account.mask or ''}",
                signed(outflow_negative=False),
                reference,
                card_category(AMEX),
            ),
        ),
        Layout(
            "bofa-checking",
            "Bank of America checking",
            ("Date", "Description", "Amount", "Running Bal."),
            (day(US_DATE), description, signed(thousands=True), running(thousands=True)),
            newest_first=False,
            preamble=_bofa_summary,
        ),
        Layout(
            "bofa-card",
            "Bank of America credit card",
            ("Posted Date", "Reference Number", "Payee", "Address", "Amount"),
            (day(US_DATE), lambda _, line: line.id[:23].upper(), description, const(""), signed()),
        ),
        Layout(
            "wells-fargo",
            "Wells Fargo",
            None,
            (
                day(US_DATE),
                signed(),
                const("*"),
                lambda _, line: line.check_number or "",
                description,
            ),
        ),
        Layout(
            "capital-one-card",
            "Capital One credit card",
            (
                "Transaction Date",
                "Posted Date",
                "Card No.",
                "Description",
                "Category",
                "Debit",
                "Credit",
            ),
            (
                day(ISO_DATE, posted=False),
                day(ISO_DATE),
                mask,
                description,
                card_category(CAPITAL_ONE),
                split(outflows=True),
                split(outflows=False),
            ),
        ),
        Layout(
            "capital-one-360",
            "Capital One 360",
            (
                "Account Number",
                "Transaction Description",
                "Transaction Date",
                "Transaction Type",
                "Transaction Amount",
                "Balance",
            ),
            (
                mask,
                description,
                day("%m/%d/%y"),
                lambda _, line: "Debit" if line.outflow else "Credit",
                lambda _, line: units(abs(line.amount_minor)),
                running(),
            ),
        ),
        Layout(
            "uk",
            "UK bank",
            (
                "Transaction Date",
                "Transaction Type",
                "Sort Code",
                "Account Number",
                "Transaction Description",
                "Debit Amount",
                "Credit Amount",
                "Balance",
            ),
            (
                day(UK_DATE),
                lambda _, line: "DEB" if line.outflow else "FPI",
                lambda p, _: "'" + str(p.account.numbers.get("sort_code", "")),
                lambda p, _: str(p.account.numbers.get("account", ""))[-8:],
                description,
                split(outflows=True),
                split(outflows=False),
                running(),
            ),
        ),
        Layout(
            "generic",
            "Generic (ISO dates, signed amounts)",
            ("Date", "Description", "Amount", "Balance"),
            (day(ISO_DATE), description, signed(), running()),
        ),
    )
}
BANK_LAYOUTS = {
    "ins_56": ("chase-checking", "chase-card"),
    "ins_10": ("generic", "amex"),
    "ins_127989": ("bofa-checking", "bofa-card"),
    "ins_127991": ("wells-fargo", "wells-fargo"),
    "ins_128026": ("capital-one-360", "capital-one-card"),
}


def default_layout(period: Period) -> Layout:
    """The layout the account's own bank writes (UK banks share one; others get generic)."""
    deposit, card = BANK_LAYOUTS.get(period.institution.institution_id, ("generic", "generic"))
    if period.institution.country == "GB":
        deposit = card = "uk"
    return LAYOUTS[card if period.is_card else deposit]


def render(period: Period, layout: str | None = None) -> str:
    """The period as CSV in ``layout`` (default: the bank's own)."""
    return (LAYOUTS[layout] if layout else default_layout(period)).render(period)
