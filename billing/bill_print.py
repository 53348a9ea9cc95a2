"""Printing postpaid bills: the original, counted and logged reprints, the bills folder.

    printed = print_bill(db, actor, "A0012", "2026-10")   # first time: the original; then copies
    write_pdf(printed, path)

A bill document is issued once (operation-log row 'bill.issue', by the settlement-day job or the
first print); every later print is a copy (row 'bill.reprint' with its number), like a receipt
reprint (billing/receipts.py). The counts come from the operation log itself, so no table is
needed and the log cannot disagree with them. Printing needs the right a receipt reprint needs
('sell', on the account's building). The document is gathered from stored data each time
(billing/bill_documents.py): a copy prints the same bill as the original.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.bill_documents import BillDocument, bill_data, bill_number, billed_months, gather
from billing.ledger import lock_account
from billing.lookup import account_building, find_account, require_account_read
from billing.subsidies import check_month
from models.accounts import Account
from models.audit import audited, record
from models.db import Database, retrying
from models.errors import NotFound, StationError
from models.ledger import LedgerEntry
from models.oplog import OpLogEntry
from models.rights import Actor
from resources.i18n import _

ISSUE, REPRINT = "bill.issue", "bill.reprint"


@dataclass(frozen=True)
class PrintedBill:
    document: BillDocument
    copy: bool
    reprints: int            # how many copies have been printed, this one included
    company: str = ""

    @property
    def file_name(self) -> str:
        suffix = f"-copy{self.reprints}" if self.copy else ""
        return f"{self.document.bill_no}{suffix}.pdf"


@dataclass(frozen=True)
class BillSummary:
    month: str
    bill_no: str
    amount: str
    amount_due: str
    issued: bool
    reprints: int


def bill_folder() -> Path:
    """Where bill PDFs are kept: METERSTATION_BILL_DIR, else <data folder>/bills."""
    env = os.environ.get("METERSTATION_BILL_DIR")
    if env:
        folder = Path(env)
    else:
        from models.station_paths import data_dir

        folder = data_dir() / "bills"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _company(db: Database) -> str:
    from models import settings

    return str(settings.get(db, "company.name") or "")


def _counts(session: Session, bill_nos: list[str]) -> dict[str, tuple[bool, int]]:
    rows = session.execute(sa.select(OpLogEntry.target, OpLogEntry.action, sa.func.count()).where(
        OpLogEntry.action.in_((ISSUE, REPRINT)), OpLogEntry.target.in_(bill_nos))
        .group_by(OpLogEntry.target, OpLogEntry.action)).all()
    out = {n: (False, 0) for n in bill_nos}
    for target, action, n in rows:
        issued, reprints = out[target]
        out[target] = (issued or action == ISSUE, reprints + (int(n) if action == REPRINT else 0))
    return out


def _document(session: Session, account: Account, month: str, company: str = "") -> BillDocument:
    doc = gather(session, account, month, company=company)
    if doc is None:
        raise NotFound(_("Account {account} has no bill for {month}").format(account=account.number, month=month))
    return doc


@retrying
def print_bill(db: Database, actor: Actor, account_ref: str | int, month: str) -> PrintedBill:
    """Issue the bill, or count and log a reprint of it; returns what to print."""
    check_month(month)
    company = _company(db)
    with audited(db, actor, "bill.print", f"{account_ref} {month}") as s:
        actor.require("sell")                    # first: a refusal says nothing of what exists
        account = find_account(s, account_ref)
        actor.require("sell", account_building(s, account))
        account = lock_account(s, account.id)         # one issue per bill, even from two stations
        doc = _document(s, account, month, company)
        issued, reprints = _counts(s, [doc.bill_no])[doc.bill_no]
        if not issued:
            record(s, actor, ISSUE, doc.bill_no, {"account": account.number, "month": month,
                                                  "amount_due": str(doc.amount_due)})
            return PrintedBill(doc, False, 0, company)
        record(s, actor, REPRINT, doc.bill_no, {"account": account.number, "month": month,
                                                "reprints": reprints + 1})
        return PrintedBill(doc, True, reprints + 1, company)


def require_print(db: Database, actor: Actor, accounts: list[str]) -> None:
    """Refuse (and log the refusal) unless actor may print every one of these accounts' bills."""
    with audited(db, actor, "bill.print", ",".join(accounts)[:200]) as s:
        actor.require("sell")                    # first: a refusal says nothing of what exists
        for number in accounts:
            actor.require("sell", account_building(s, find_account(s, number)))


def preview_bill(db: Database, account_ref: str | int, month: str) -> BillDocument:
    """The bill as it would print (nothing logged; for --json and the account page)."""
    check_month(month)
    with db.read() as s:
        return _document(s, find_account(s, account_ref), month, _company(db))


def list_bills(db: Database, account_ref: str | int) -> list[BillSummary]:
    """An account's bills, newest first, with whether each was issued and how often reprinted."""
    with db.read() as s:
        account = find_account(s, account_ref)
        out = []
        months = billed_months(s, account.id)
        counts = _counts(s, [bill_number(m, account.number) for m in months])
        for month in months:
            doc = gather(s, account, month)
            assert doc is not None
            issued, reprints = counts[doc.bill_no]
            out.append(BillSummary(month, doc.bill_no, str(doc.charges), str(doc.amount_due), issued, reprints))
        return out


def bills_of(db: Database, actor: Actor, account_ref: str | int) -> list[BillSummary]:
    """`list_bills` for an operator (`bill list`): report_view, first, then on the account's building."""
    require_account_read(db, actor, "report_view", "bill.list", account_ref)
    return list_bills(db, account_ref)


def billed_accounts(db: Database, month: str) -> list[str]:
    """Numbers of the accounts billed for `month` (a settlement day's bills), in account order."""
    check_month(month)
    with db.read() as s:
        return list(s.execute(sa.select(Account.number).where(Account.id.in_(
            sa.select(LedgerEntry.account_id).where(LedgerEntry.kind == "bill",
                                                    LedgerEntry.period_key.like(f"{month}/m%"))))
            .order_by(Account.id)).scalars())


def render(printed: PrintedBill) -> bytes:
    from printing.bill import render_bill_pdf

    return render_bill_pdf(bill_data(printed.document, copy=printed.copy, reprints=printed.reprints,
                                     company=printed.company))


def write_pdf(printed: PrintedBill, path: str | os.PathLike[str]) -> Path:
    """Render the bill into path (atomic: a complete file or none)."""
    from printing.pdfcanvas import write_atomic

    return write_atomic(path, render(printed))


def write_new(printed: PrintedBill, path: Path) -> bool:
    """Write the bill to path unless a file is there already (never overwritten); True if written."""
    data = render(printed)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            os.link(tmp, path)              # fails if path exists: no race with another writer
        except FileExistsError:
            return False
        except OSError:                     # a file system without hard links
            with open(path, "xb") as f:
                f.write(data)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


@retrying
def _record_issue(db: Database, actor: Actor, number: str, month: str) -> bool:
    """Log the issue of a bill whose original was just saved; False if it was issued meanwhile."""
    with audited(db, actor, "bill.print", f"{number} {month}") as s:
        actor.require("sell")
        account = find_account(s, number)
        actor.require("sell", account_building(s, account))
        account = lock_account(s, account.id)
        bill_no = bill_number(month, account.number)
        if _counts(s, [bill_no])[bill_no][0]:
            return False
        record(s, actor, ISSUE, bill_no, {"account": account.number, "month": month, "file": "bills folder"})
        return True


def issue_period(db: Database, actor: Actor, month: str, accounts: list[str],
                 folder: Path | None = None) -> dict[str, str]:
    """The settlement day's documents: each billed account's bill saved in the bills folder as
    <bill no>.pdf, then logged as issued (a bill already issued is left alone; a file already
    there is never overwritten). Returns account -> file, or "error: ..." for one not written."""
    with audited(db, actor, "bill.print", month):
        actor.require("sell")          # before any account is read or any file written (a refusal is logged)
    company = _company(db)
    out: dict[str, str] = {}
    for number in accounts:
        try:
            with db.read() as s:
                doc = gather(s, find_account(s, number), month, company=company)
                if doc is None or _counts(s, [doc.bill_no])[doc.bill_no][0]:
                    continue
            printed = PrintedBill(doc, False, 0, company)
            path = (folder or bill_folder()) / printed.file_name
            write_new(printed, path)
            if _record_issue(db, actor, number, month):
                out[number] = str(path)
        except (OSError, ValueError, StationError) as e:   # the bill is posted; print it later
            out[number] = f"error: {e}"
    return out
