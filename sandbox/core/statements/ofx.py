"""OFX downloads: 1.0.2 SGML, 2.2 XML, and QFX (Quicken's OFX 1.0.2 with ``INTU.BID``).

One tree of aggregates is built per period and written either way: SGML leaves elements
unclosed, XML closes them. Amounts follow OFX (money out negative; on cards purchases are
negative and the ledger balance is the amount owed, negated); ``FITID`` is the transaction
id the API reports, so an importer can match a file row with an API row exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import Union
from xml.sax.saxutils import escape

from .csv_layouts import units
from .period import Line, Period

Node = tuple[str, Union[str, list["Node"]]]  # noqa: UP007 (a recursive alias needs the string)
# OFX 1.x limits NAME to 32 characters; the full descriptor goes to MEMO.
NAME_LIMIT = 32
SGML_HEADER = (
    "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
    "CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
)
XML_HEADER = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\r\n'
    '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" '
    'NEWFILEUID="NONE"?>\r\n'
)
ACCOUNT_TYPES = {"savings": "SAVINGS", "money market": "MONEYMRKT"}


def render(period: Period, generated: dt.datetime, *, version: int = 1, qfx: bool = False) -> bytes:
    """The period as an OFX file: ``version`` 1 (SGML) or 2 (XML); ``qfx`` for Quicken."""
    tree = ("OFX", [_signon(period, generated, qfx=qfx), _statement(period, generated)])
    if version == 2:
        return (XML_HEADER + _markup(tree, xml=True) + "\r\n").encode("utf-8")
    return (SGML_HEADER + _markup(tree, xml=False) + "\r\n").encode("cp1252", errors="replace")


def fid(period: Period) -> str:
    """The institution's financial-institution id (digits of its catalogue id)."""
    return "".join(c for c in period.institution.institution_id if c.isdigit())


def _when(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S.000[0:GMT]")
    return moment.strftime("%Y%m%d120000.000[0:GMT]")


def _status() -> Node:
    return ("STATUS", [("CODE", "0"), ("SEVERITY", "INFO")])


def _signon(period: Period, generated: dt.datetime, *, qfx: bool) -> Node:
    fi: Node = ("FI", [("ORG", period.institution.name[:32]), ("FID", fid(period))])
    sonrs: list[Node] = [_status(), ("DTSERVER", _when(generated)), ("LANGUAGE", "ENG"), fi]
    if qfx:
        sonrs.append(("INTU.BID", fid(period)))
    return ("SIGNONMSGSRSV1", [("SONRS", sonrs)])


def _statement(period: Period, generated: dt.datetime) -> Node:
    card = period.is_card
    numbers = period.account.numbers
    account: Node
    if card:
        account = ("CCACCTFROM", [("ACCTID", str(numbers.get("account", "")))])
    else:
        kind = ACCOUNT_TYPES.get(period.account.subtype or "", "CHECKING")
        account = (
            "BANKACCTFROM",
            [
                ("BANKID", str(numbers.get("ach_routing", ""))),
                ("ACCTID", str(numbers.get("account", ""))),
                ("ACCTTYPE", kind),
            ],
        )
    transactions: list[Node] = [("DTSTART", _when(period.start)), ("DTEND", _when(period.end))]
    transactions += [_transaction(line) for line in period.lines]
    balance = -period.closing_minor if card else period.closing_minor
    body: list[Node] = [
        ("CURDEF", period.currency),
        account,
        ("BANKTRANLIST", transactions),
        ("LEDGERBAL", [("BALAMT", units(balance)), ("DTASOF", _when(period.end))]),
    ]
    if not card and period.account.available_minor is not None:
        available = units(period.account.available_minor)
        body.append(("AVAILBAL", [("BALAMT", available), ("DTASOF", _when(generated))]))
    prefix = "CC" if card else ""
    group = "CREDITCARDMSGSRSV1" if card else "BANKMSGSRSV1"
    response: Node = (f"{prefix}STMTRS", body)
    return (group, [(f"{prefix}STMTTRNRS", [("TRNUID", "0"), _status(), response])])


def _transaction(line: Line) -> Node:
    fields: list[Node] = [
        ("TRNTYPE", _kind(line)),
        ("DTPOSTED", _when(line.date)),
    ]
    if line.authorized_date and line.authorized_date != line.date:
        fields.append(("DTUSER", _when(line.authorized_date)))
    fields += [("TRNAMT", units(-line.amount_minor)), ("FITID", line.id)]
    if line.check_number:
        fields.append(("CHECKNUM", line.check_number))
    fields.append(("NAME", line.name[:NAME_LIMIT]))
    if len(line.name) > NAME_LIMIT:
        fields.append(("MEMO", line.name))
    return ("STMTTRN", fields)


def _kind(line: Line) -> str:
    """OFX's TRNTYPE from the transaction's category and channel."""
    if line.check_number:
        return "CHECK"
    for prefix, kind in (
        ("BANK_FEES_INTEREST", "INT"),
        ("INCOME_INTEREST", "INT"),
        ("BANK_FEES_ATM", "ATM"),
        ("BANK_FEES", "FEE"),
        ("INCOME_WAGES", "DIRECTDEP"),
        ("TRANSFER", "XFER"),
        ("LOAN_PAYMENTS", "PAYMENT"),
    ):
        if line.category.startswith(prefix):
            return kind
    if line.payment_channel == "in store":
        return "POS"
    return "DEBIT" if line.outflow else "CREDIT"


def _markup(node: Node, *, xml: bool) -> str:
    """An aggregate with its children; an element closed in XML, left open in SGML."""
    tag, value = node
    if isinstance(value, str):
        return f"<{tag}>{escape(value)}" + (f"</{tag}>" if xml else "")
    inner = "\r\n".join(_markup(child, xml=xml) for child in value)
    return f"<{tag}>\r\n{inner}\r\n</{tag}>"
