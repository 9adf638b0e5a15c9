"""OFX 1.x (SGML), 2.x (XML) and QFX through ofxtools, the maintained OFX parser."""

from __future__ import annotations

import io
import re
import warnings
from decimal import Decimal
from typing import Any

from ofxtools.Parser import OFXTree

from client.imports.rows import (
    FileRow,
    ImportFileError,
    ParsedFile,
    checked_amount,
    checked_text,
)


def looks_like_ofx(head: bytes) -> bool:
    """An OFX header (SGML ``OFXHEADER:`` or XML ``<?OFX``) near the start."""
    text = head[:1024].lstrip().upper()
    return text.startswith(b"OFXHEADER") or b"<?OFX" in text or text.startswith(b"<OFX>")


# A value that ofxtools would reject with no position: checked first, so the error names the line.
_VALUE = re.compile(rb"<(TRNAMT|DTPOSTED)>([^<\r\n]*)")
_CHECKS = {
    b"TRNAMT": (re.compile(rb"^[+-]?\d*[.,]?\d+$"), "is not an amount"),
    b"DTPOSTED": (re.compile(rb"^\d{8}"), "is not a date (YYYYMMDD…)"),
}


def _precheck(data: bytes) -> None:
    """Amounts and posting dates, each with the line it is on."""
    for found in _VALUE.finditer(data):
        try:
            _check(found[1], found[2].strip())
        except ImportFileError as exc:  # the line is counted only for the value at fault
            line = data.count(b"\n", 0, found.start()) + 1
            raise ImportFileError(line, exc.problem) from None


def _check(tag: bytes, raw: bytes) -> None:
    """One value: its shape, and for an amount whether the store can hold it."""
    pattern, problem = _CHECKS[tag]
    value = raw.decode("ascii", errors="replace")
    if not pattern.match(raw):
        raise ImportFileError(None, f"{tag.decode()}: {value!r} {problem}")
    if tag == b"TRNAMT":
        checked_amount(0, "TRNAMT", value, Decimal(value.replace(",", ".")))


def read_ofx(data: bytes, last_digits: str | None = None) -> ParsedFile:
    """Every transaction of the file's statement; of a file holding several accounts'
    statements (a bank's "all accounts" download), the one whose number ends in
    ``last_digits``, as the others' rows must not land in that account."""
    _precheck(data)
    tree = OFXTree()
    try:
        with warnings.catch_warnings():  # Quicken's INTU.* tags: ofxtools warns and skips them
            warnings.simplefilter("ignore")
            tree.parse(io.BytesIO(data))
            ofx = tree.convert()
    except Exception as exc:  # ofxtools raises many kinds (ParseError, OFXSpecError, ValueError…)
        raise ImportFileError(None, f"not a valid OFX file: {_first_line(exc)}") from None
    statement = _statement(list(ofx.statements), last_digits)
    rows = [_row(n, t) for n, t in enumerate(statement.banktranlist or [], start=1)]
    account = statement.account
    card = type(account).__name__ == "CCACCTFROM"
    fid = getattr(getattr(ofx.signonmsgsrsv1.sonrs, "fi", None), "fid", None)
    org = getattr(getattr(ofx.signonmsgsrsv1.sonrs, "fi", None), "org", None)
    return ParsedFile(
        format="qfx" if b"<INTU.BID>" in data else "ofx",
        rows=rows,
        currency=statement.curdef,
        bank=org,
        institution_id=f"ins_{fid}" if fid else None,
        account_number=account.acctid,
        kind="credit" if card else "depository",
    )


def _statement(statements: list[Any], last_digits: str | None) -> Any:
    """The one statement to import: the file's only one, or the one whose account number
    ends in ``last_digits`` (4 of them); several without a choice are refused, naming them
    (the first alone used to be imported, the rest dropped without a word)."""
    if not statements:
        raise ImportFileError(None, "the OFX file holds no bank or card statement")
    if len(statements) == 1:
        return statements[0]
    wanted = last_digits if last_digits and len(last_digits) == 4 else None
    named = [s for s in statements if wanted and str(s.account.acctid).endswith(wanted)]
    if len(named) == 1:
        return named[0]
    ends = ", ".join(f"...{str(s.account.acctid)[-4:]}" for s in statements)
    raise ImportFileError(
        None,
        f"the OFX file holds statements of {len(statements)} accounts ({ends}): pass the "
        "last 4 digits of the one to import",
    )


def _row(n: int, txn: Any) -> FileRow:
    """OFX signs money out negative, as the local model does; MEMO holds a long name."""
    name = txn.memo if txn.memo and txn.name and txn.memo.startswith(txn.name) else txn.name
    if txn.dtposted is None or txn.trnamt is None:
        raise ImportFileError(n, "a STMTTRN without DTPOSTED or TRNAMT")
    return FileRow(
        line=n,
        date=txn.dtposted.date(),
        amount=Decimal(txn.trnamt),
        description=checked_text(n, "NAME" if name else "MEMO", name or txn.memo or ""),
        fitid=txn.fitid,
        check_number=txn.checknum,
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
