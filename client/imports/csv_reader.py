"""CSV files in any known layout (or a saved/user mapping) to signed rows, line by line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from client.imports.csv_layouts import BANK_CATEGORIES, Mapping, check_mapping, find_header
from client.imports.rows import (
    FileRow,
    ImportFileError,
    ParsedFile,
    checked_amount,
    checked_text,
)

MONEY_NOISE = str.maketrans("", "", "$£€, '\"")


def read_csv(
    data: bytes, saved: dict[str, Mapping], mapping: Mapping | None = None
) -> tuple[ParsedFile, list[str]]:
    """The file's rows and its header (for saving a mapping); every bad cell is an error."""
    lines, starts = _records(_decode(data))
    if not any(lines):
        raise ImportFileError(None, "the file is empty")
    if mapping is not None:
        index, layout = 0, "mapped"
        mapping = _checked(mapping, lines[0])
    else:
        index, layout, found = find_header(lines, saved)
        if index == -2:
            raise ImportFileError(
                1,
                f"unknown CSV layout (header: {', '.join(lines[0][:8])}); give a column "
                "mapping, e.g. --map 'date=Date,amount=Amount,description=Description'",
            )
        mapping = found
    header = lines[index] if index >= 0 else [str(n) for n in range(len(lines[0]))]
    columns = {name.strip(): n for n, name in enumerate(header)}
    rows, skipped = [], []
    records = list(zip(starts[index + 1 :], lines[index + 1 :], strict=True))
    for number, cells in records:
        if not any(c.strip() for c in cells):
            continue
        row = _row(number, cells, columns, mapping)
        if row is None:
            skipped.append(number)
        else:
            rows.append(row)
    parsed = ParsedFile(
        format=layout,
        rows=rows,
        bank=mapping.get("bank"),
        institution_id=mapping.get("institution_id"),
        account_number=_account_number(lines, index, columns, mapping),
        account_id=_one_account(records, columns, mapping),
        kind=mapping.get("kind"),
        skipped=skipped,
    )
    return parsed, header


def _records(text: str) -> tuple[list[list[str]], list[int]]:
    """The file's records and the line each starts on (a quoted cell may span lines); a
    quote left open or text that is not CSV refuses the file, naming the line."""
    reader = csv.reader(io.StringIO(text), strict=True)
    records: list[list[str]] = []
    starts: list[int] = []
    start = 1
    try:
        for cells in reader:
            records.append(cells)
            starts.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        problem = str(exc)
        if problem == "unexpected end of data":
            problem = "a quote is opened and never closed"
        raise ImportFileError(start, f"not valid CSV: {problem}") from None
    return records, starts


def _checked(mapping: Mapping, header: list[str]) -> Mapping:
    try:
        return check_mapping(mapping, [c.strip() for c in header])
    except ValueError as exc:
        raise ImportFileError(1, str(exc)) from None


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252 as older bank exports use."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _cell(cells: list[str], columns: dict[str, int], name: str | None) -> str:
    if not name:
        return ""
    index = columns.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _money(number: int, column: str, raw: str) -> Decimal | None:
    """A bank's amount cell: ``$1,234.56``, ``-12.00``, ``(12.00)``; blank is None."""
    cleaned = raw.translate(MONEY_NOISE)
    if not cleaned:
        return None
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    try:
        value = Decimal(cleaned.strip("()"))
    except InvalidOperation:
        raise ImportFileError(number, f"{column}: {raw!r} is not an amount") from None
    if not value.is_finite():
        raise ImportFileError(number, f"{column}: {raw!r} is not an amount")
    return checked_amount(number, column, raw, -value if negative else value)


def _amount(number: int, cells: list[str], columns: dict[str, int], m: Mapping) -> Decimal | None:
    """The row's amount signed like the local model (money in positive)."""
    if m.get("debit"):
        debit = _money(number, m["debit"], _cell(cells, columns, m["debit"]))
        credit = _money(number, m["credit"], _cell(cells, columns, m["credit"]))
        if debit is None and credit is None:
            return None
        return (credit or Decimal(0)) - (debit or Decimal(0))
    value = _money(number, m["amount"], _cell(cells, columns, m["amount"]))
    if value is None:
        return None
    if m.get("type"):
        kind = _cell(cells, columns, m["type"]).lower()
        if kind not in ("debit", "credit"):
            raise ImportFileError(number, f"{m['type']}: {kind!r} is neither Debit nor Credit")
        return -abs(value) if kind == "debit" else abs(value)
    return -value if m.get("sign") == "out_positive" else value


def _row(number: int, cells: list[str], columns: dict[str, int], m: Mapping) -> FileRow | None:
    """One transaction, or None for a row that is not one (an opening-balance line)."""
    raw_date = _cell(cells, columns, m["date"])
    try:
        date = dt.datetime.strptime(raw_date, m["date_format"]).date()
    except ValueError:
        raise ImportFileError(
            number, f"{m['date']}: {raw_date!r} is not a date like {m['date_format']}"
        ) from None
    amount = _amount(number, cells, columns, m)
    if amount is None:
        return None
    description = checked_text(number, m["description"], _cell(cells, columns, m["description"]))
    if not description:
        raise ImportFileError(number, f"{m['description']}: the description is empty")
    category = BANK_CATEGORIES.get(m.get("categories") or "", {}).get(
        _cell(cells, columns, m.get("category"))
    )
    return FileRow(
        line=number,
        date=date,
        amount=amount,
        description=description,
        fitid=_cell(cells, columns, m.get("id")).strip("'") or None,
        category=category,
    )


def _account_number(
    lines: list[list[str]], index: int, columns: dict[str, int], m: Mapping
) -> str | None:
    """The account number (or last digits) from the first data row, when the layout has one."""
    if not m.get("account") or len(lines) <= index + 1:
        return None
    return _cell(lines[index + 1], columns, m["account"]) or None


def _one_account(
    records: Iterable[tuple[int, list[str]]], columns: dict[str, int], m: Mapping
) -> str | None:
    """The provider's id of the file's account, when the layout has that column (the
    client's own export, whose rows may be of every account): a file holding rows of
    several accounts is refused, as they would all land in the one account imported into."""
    if not m.get("account_id"):
        return None
    first = None
    for number, cells in records:
        value = _cell(cells, columns, m["account_id"])
        if not value:
            continue
        if first is None:
            first = value
        elif value != first:
            raise ImportFileError(
                number,
                f"{m['account_id']}: {value!r} is another account than the rows above "
                f"({first!r}); import one account's rows (bank-client transactions --account "
                "ID --csv)",
            )
    return first
