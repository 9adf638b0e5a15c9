"""Statement files that once lost data, half-imported or gave raw errors (tests/client/files):
each is refused whole with its line and field, or imported exactly, alike on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from client.books import Books
from client.imports.importer import import_file
from client.imports.rows import DESCRIPTION_LIMIT, ImportFileError
from client.store.db import Store
from client.store.models import Account, Transaction

FILES = Path(__file__).parent / "files"


@pytest.fixture
def store(any_store: Store) -> Store:
    """This module runs on SQLite and on PostgreSQL."""
    return any_store


def _wallet(store: Store, user: str = "zoe", mask: str | None = None) -> int:
    account = Books(store, user_ref=user).add_account("W2", "USD")
    if mask:
        with store.session() as session:
            row = session.get(Account, account.id)
            assert row is not None
            row.mask = mask
    return account.id


def _stored(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Transaction)) or 0


def test_import_a_different_payee_on_the_same_day_and_amount_is_added_not_matched(
    store: Store,
) -> None:
    account = str(_wallet(store))
    import_file(store, FILES / "rent.csv", user_ref="zoe", account=account)
    report = import_file(store, FILES / "coffee.csv", user_ref="zoe", account=account)
    assert ([r.description for r in report.added], report.matched) == (["COFFEE SHOP"], [])
    with store.session() as session:
        kept = sorted(session.scalars(select(Transaction.description)))
    assert kept == ["COFFEE SHOP", "RENT PAYMENT"]


def test_import_the_same_payee_spelt_another_way_is_still_matched(
    store: Store, tmp_path: Path
) -> None:
    account = str(_wallet(store))
    import_file(store, FILES / "rent.csv", user_ref="zoe", account=account)
    respelt = tmp_path / "rent-again.csv"
    respelt.write_text(
        "Date,Description,Amount,Balance\n2026-11-01,ACH DEBIT RENT 0042,-3.00,100\n"
    )
    report = import_file(store, respelt, user_ref="zoe", account=account)
    assert (report.added, len(report.matched)) == ([], 1)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("quote2.csv", "line 3: not valid CSV: a quote is opened and never closed"),
        ("badquote.csv", "line 2: not valid CSV: a quote is opened and never closed"),
        ("garbage.csv", "line 1: not valid CSV: new-line character seen in unquoted field"),
        ("nul.csv", "line 2: Description: holds the control character '\\x00'"),
        ("manydecimals.csv", "line 2: Amount: '-3.123456' has more than 4 decimal places"),
        ("hugeamount.csv", "line 2: Amount: '-1e20' is too large an amount"),
    ],
)
def test_import_a_bad_file_is_refused_whole_naming_line_and_field(
    store: Store, name: str, message: str
) -> None:
    account = str(_wallet(store))
    with pytest.raises(ImportFileError) as refused:
        import_file(store, FILES / name, user_ref="zoe", account=account)
    assert str(refused.value).startswith(message)
    assert _stored(store) == 0


def test_import_an_over_long_description_is_refused_alike_on_both_stores(
    store: Store, tmp_path: Path
) -> None:
    """Once a StringDataRightTruncation on PostgreSQL and stored whole on SQLite."""
    account = str(_wallet(store))
    longest, over = "X" * DESCRIPTION_LIMIT, "X" * 100_000
    path = tmp_path / "long.csv"
    path.write_text(f"Date,Description,Amount,Balance\n2026-11-01,{longest},-3.00,100\n")
    assert len(import_file(store, path, user_ref="zoe", account=account).added) == 1
    path.write_text(f"Date,Description,Amount,Balance\n2026-11-02,{over},-3.00,100\n")
    with pytest.raises(ImportFileError, match="line 2: Description: 100000 characters"):
        import_file(store, path, user_ref="zoe", account=account)
    assert _stored(store) == 1


def test_import_last_four_shared_by_several_users_is_refused_without_a_user(
    store: Store,
) -> None:
    alice, bob = _wallet(store, "alice", "0000"), _wallet(store, "bob", "0000")
    with pytest.raises(ImportFileError) as refused:
        import_file(store, FILES / "rent.csv", user_ref=None, account="0000")
    assert str(refused.value) == (
        f"several accounts end in 0000: {alice} (alice), {bob} (bob); "
        "name the user (--user) or the account id"
    )
    assert _stored(store) == 0
    by_user = import_file(store, FILES / "rent.csv", user_ref="bob", account="0000")
    by_id = import_file(store, FILES / "coffee.csv", user_ref=None, account=str(alice))
    assert (by_user.account_id, by_id.account_id) == (bob, alice)


def test_import_rows_dated_at_the_calendar_ends_import_once(store: Store, tmp_path: Path) -> None:
    """The 3-day matching window around 9999-12-31 or 0001-01-01 was an OverflowError
    traceback."""
    account = str(_wallet(store))
    path = tmp_path / "ends.csv"
    path.write_text(
        "Date,Description,Amount,Balance\n"
        "9999-12-31,LAST DAY,-1.00,0\n0001-01-01,FIRST DAY,-2.00,0\n"
    )
    assert len(import_file(store, path, user_ref="zoe", account=account).added) == 2
    again = import_file(store, path, user_ref="zoe", account=account)
    assert (again.added, len(again.matched)) == ([], 2)
    assert _stored(store) == 2


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ("é", "account 'é': neither an account id nor an account's last 4 digits"),
        ("²³", "account '²³': neither an account id nor an account's last 4 digits"),
        ("12345 6", "account '12345 6': neither an account id nor an account's last 4 digits"),
        ("99999999999999999999", "account 99999999999999999999: no such account"),
    ],
)
def test_import_an_account_that_is_no_id_nor_last_four_is_refused(
    store: Store, account: str, message: str
) -> None:
    """Such a value made a new account with that "mask" (or, past 64 bits, was an
    OverflowError traceback)."""
    _wallet(store)
    with pytest.raises(ImportFileError) as refused:
        import_file(store, FILES / "rent.csv", user_ref="zoe", account=account)
    assert str(refused.value) == message
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 1
    assert _stored(store) == 0


def test_import_a_pdf_statement_is_refused_saying_which_files_to_use(
    store: Store, tmp_path: Path
) -> None:
    """A PDF was read as CSV: "line 37: not valid CSV: new-line character seen in unquoted
    field - do you need to open the file in universal-newline mode?"."""
    account = str(_wallet(store))
    path = tmp_path / "statement.csv"  # named as the user saved it: the bytes decide
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    with pytest.raises(ImportFileError) as refused:
        import_file(store, path, user_ref="zoe", account=account)
    assert str(refused.value) == (
        "a PDF statement cannot be imported: download the account's CSV, OFX or QFX export instead"
    )


def _statement(account_number: str, fitid: str, amount: str) -> str:
    """One bank statement of an OFX 1 (SGML) file, with one transaction."""
    return (
        "<STMTTRNRS><TRNUID>0<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD"
        f"<BANKACCTFROM><BANKID>011401533<ACCTID>{account_number}<ACCTTYPE>CHECKING"
        "</BANKACCTFROM><BANKTRANLIST><DTSTART>20261101<DTEND>20261130<STMTTRN><TRNTYPE>DEBIT"
        f"<DTPOSTED>20261102<TRNAMT>{amount}<FITID>{fitid}<NAME>SHOP {fitid}</STMTTRN>"
        "</BANKTRANLIST><LEDGERBAL><BALAMT>0<DTASOF>20261130</LEDGERBAL></STMTRS></STMTTRNRS>\n"
    )


def test_import_an_ofx_of_several_accounts_imports_only_the_one_named(
    store: Store, tmp_path: Path
) -> None:
    """A bank's "all accounts" OFX: the first statement alone was imported and the others
    were dropped without a word."""
    checking, savings = _wallet(store, mask="0000"), _wallet(store, mask="1111")
    path = tmp_path / "all-accounts.ofx"
    path.write_text(
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
        "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<DTSERVER>20261130<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1>\n"
        + _statement("2770574237850000", "CHK1", "-12.34")
        + _statement("2770574237851111", "SAV1", "-56.78")
        + "</BANKMSGSRSV1></OFX>\n"
    )
    with pytest.raises(ImportFileError) as refused:
        import_file(store, path, user_ref="zoe")
    assert str(refused.value) == (
        "the OFX file holds statements of 2 accounts (...0000, ...1111): pass the last 4 "
        "digits of the one to import"
    )
    assert _stored(store) == 0
    savings_rows = import_file(store, path, user_ref="zoe", account="1111")
    assert savings_rows.account_id == savings
    assert [(r.fitid, str(r.amount)) for r in savings_rows.added] == [("SAV1", "-56.78")]
    checking_rows = import_file(store, path, user_ref="zoe", account="0000")
    assert checking_rows.account_id == checking
    assert [(r.fitid, str(r.amount)) for r in checking_rows.added] == [("CHK1", "-12.34")]
    assert _stored(store) == 2
