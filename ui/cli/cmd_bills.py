"""`bill print ACCOUNT --period YYYY-MM [--pdf FILE] [--force] [--json]`,
`bill print-all --period YYYY-MM --dir DIR [--force] [--json]`, `bill list ACCOUNT [--json]`.

Postpaid bills as documents (billing/bill_print.py): the first print of a bill is the original,
every later one a copy, counted and logged like a receipt reprint; printing needs the right a
receipt reprint needs. Without --pdf the file goes to the bills folder. Output files are never
overwritten unless --force, and never a file of the station's own database; every target is
checked before anything is logged, so a refusal changes nothing.
"""
from __future__ import annotations

from pathlib import Path

from billing import bill_print
from billing.subsidies import check_month
from models import station_files
from models.backup import sqlite_path
from models.errors import Conflict, InvalidInput, NotFound
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("bill", help=_("postpaid bills: print, reprint and list them"))
    b = p.add_subparsers(dest="bill_command", required=True, metavar="ACTION")
    pr = b.add_parser("print", help=_("print an account's bill for a month (again: a counted copy)"))
    pr.add_argument("account")
    pr.add_argument("--period", required=True, metavar="YYYY-MM", help=_("the month the bill is for"))
    pr.add_argument("--pdf", metavar="FILE", help=_("write the bill to this PDF file (default: the bills folder)"))
    pr.add_argument("--force", action="store_true", help=_("overwrite an existing file"))
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(func=bill_print_one)
    pa = b.add_parser("print-all", help=_("print every bill of a settlement day into a folder"))
    pa.add_argument("--period", required=True, metavar="YYYY-MM", help=_("the month the bills are for"))
    pa.add_argument("--dir", required=True, metavar="DIR", help=_("folder to write the bills to"))
    pa.add_argument("--force", action="store_true", help=_("overwrite existing files"))
    pa.add_argument("--json", action="store_true")
    pa.set_defaults(func=bill_print_all)
    ls = b.add_parser("list", help=_("list an account's bills"))
    ls.add_argument("account")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=bill_list)


def _own_files(ctx: CliContext) -> set[Path]:
    db = sqlite_path(ctx.url)
    if db is None:
        return set()
    db = db.resolve()
    return {db} | {db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal")}


def _check_target(ctx: CliContext, path: Path, force: bool) -> Path:
    # the station's own files and folders, links and any SQLite database: never, even with --force
    station_files.check_target(path, url=ctx.url, force=True)
    resolved = path.resolve()
    if resolved in _own_files(ctx):
        raise Conflict(_("{file} is the station's database; choose another file").format(file=path))
    if path.is_dir():
        raise InvalidInput(_("{file} is a folder; give a file name").format(file=path))
    if path.exists() and not force:
        raise Conflict(_("{file} exists already; give another name, or --force to overwrite it").format(file=path))
    if not path.parent.is_dir():
        raise InvalidInput(_("The folder {folder} does not exist").format(folder=path.parent))
    return path


def _json(printed: bill_print.PrintedBill, path: Path) -> dict:
    doc = printed.document
    return {"bill": doc.bill_no, "account": doc.account, "period": doc.month, "file": str(path.absolute()),
            "copy": printed.copy, "reprints": printed.reprints, "amount": str(doc.charges),
            "previous_balance": str(doc.previous_balance), "amount_due": str(doc.amount_due),
            "document": doc.to_json()}


def bill_print_one(ctx: CliContext, args) -> int:
    check_month(args.period)
    actor = ctx.actor()
    # the right first (a refusal logged, and it says nothing of which accounts exist), then
    # whether there is a bill: none is refused before anything is logged as printed
    bill_print.require_print(ctx.db(), actor, [args.account])
    bill_print.preview_bill(ctx.db(), args.account, args.period)
    if args.pdf:
        path = _check_target(ctx, Path(args.pdf), args.force)
    else:
        path = None
    printed = bill_print.print_bill(ctx.db(), actor, args.account, args.period)
    if path is None:
        path = _check_target(ctx, bill_print.bill_folder() / printed.file_name, True)
    bill_print.write_pdf(printed, path)
    if ctx.json:
        ctx.emit(_json(printed, path))
    elif printed.copy:
        ctx.say(_("Bill {bill} printed as copy {n}: {file}").format(bill=printed.document.bill_no,
                                                                   n=printed.reprints, file=path))
    else:
        ctx.say(_("Bill {bill} printed: {file}").format(bill=printed.document.bill_no, file=path))
    return 0


def bill_print_all(ctx: CliContext, args) -> int:
    check_month(args.period)
    folder = Path(args.dir)
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(_("{file} is not a folder").format(file=folder))
    actor = ctx.actor()
    bill_print.require_print(ctx.db(), actor, [])       # the plain right before the month's accounts are read
    accounts = bill_print.billed_accounts(ctx.db(), args.period)
    if not accounts:
        raise NotFound(_("No account was billed for {month}").format(month=args.period))
    bill_print.require_print(ctx.db(), actor, accounts)
    docs = [bill_print.preview_bill(ctx.db(), number, args.period) for number in accounts]
    targets = [folder / f"{d.bill_no}.pdf" for d in docs]
    if folder.exists():
        for target in targets:
            _check_target(ctx, target, args.force)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, target in zip(accounts, targets, strict=True):
        printed = bill_print.print_bill(ctx.db(), actor, number, args.period)
        bill_print.write_pdf(printed, target)
        written.append(_json(printed, target))
    if ctx.json:
        ctx.emit({"period": args.period, "bills": len(written), "dir": str(folder.absolute()),
                  "files": [{k: w[k] for k in ("bill", "account", "file", "copy", "amount_due")} for w in written]})
    else:
        ctx.say(_("{n} bills for {month} written to {folder}").format(n=len(written), month=args.period,
                                                                     folder=folder))
    return 0


def bill_list(ctx: CliContext, args) -> int:
    bills = bill_print.bills_of(ctx.db(), ctx.reader(), args.account)     # report_view, checked before the lookup
    if ctx.json:
        ctx.emit({"account": args.account, "bills": [b.__dict__ for b in bills]})
        return 0
    for b in bills:
        ctx.say(f"{b.month}  {b.bill_no:<20} {b.amount:>12} {b.amount_due:>12}  "
                + (_("reprinted {n}x").format(n=b.reprints) if b.issued else _("not printed yet")))
    return 0
