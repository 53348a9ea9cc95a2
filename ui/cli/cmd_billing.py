"""`account open|show|close`, `sell`, `refund`, `reverse`, `reprint`, `shift open|close`,
`tariff add|list` — thin wrappers over billing/ (the same services and rights as the windows).

Money is typed as text ("12.50", "¥1,234.50") and printed as decimal strings in --json.
"""
from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

from billing import receipts, shifts
from billing.account_changes import close_account
from billing.accounts_open import MeterOpening, open_account, show_to
from billing.lookup import require_account_read
from billing.money import parse_amount, parse_quantity
from billing.pricing import preview
from billing.refunds import refund, reverse
from billing.results import MoneyResult
from billing.sales import METHODS, sell
from billing.tariffs import plan_store
from models import station_files
from models.accounts import MODES
from models.errors import InvalidInput, StationError
from resources.i18n import _
from ui.cli.context import CliContext

TARIFF_HELP = _("TOU and tiered tariffs: a JSON file with one tariff version, e.g. "
                '{"kind": "tou", "tou": {"prices": {...}, "schedules": {...}, "seasons": [...]}} or '
                '{"kind": "tiered", "price": "0.5", "tiers": {"basis": "monthly", "steps": [...]}}; '
                "--effective sets when it takes effect (a first version: from 2000-01-01; a later one: now)")


def register(sub) -> None:
    acc = sub.add_parser("account", help=_("open, show and close accounts"))
    a = acc.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    o = a.add_parser("open", help=_("open an account; --meter NUMBER=READING gives the opening reading, "
                                    "--meter NUMBER takes the first poll's reading"))
    o.add_argument("--customer", required=True)
    o.add_argument("--meter", action="append", default=[], metavar="NUMBER[=READING]")
    o.add_argument("--room", default=None, help=_("room number (default: the meter's room)"))
    o.add_argument("--mode", choices=MODES, default="station-prepaid")
    o.add_argument("--tariff", default=None)
    o.add_argument("--arrears", default="trip-now", help="trip-now | never | trip-at=HH:MM")
    o.add_argument("--type", dest="account_type", default=None)
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=account_open)
    sh = a.add_parser("show", help=_("show an account"))
    sh.add_argument("account")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=account_show)
    c = a.add_parser("close", help=_("close an account: settle, expire subsidy, refund the rest"))
    c.add_argument("account")
    c.add_argument("--final", action="append", default=[], metavar="METER=READING")
    _receipt_options(c)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=account_close)

    s = sub.add_parser("sell", help=_("sell to an account (by amount, or by energy with --energy)"))
    s.add_argument("account")
    s.add_argument("amount", help=_("yuan, or kWh with --energy"))
    s.add_argument("--method", choices=list(METHODS), required=True)
    s.add_argument("--reference", default="")
    s.add_argument("--energy", action="store_true", help=_("AMOUNT is the energy to buy"))
    s.add_argument("--preview", action="store_true", help=_("show what it buys; sell nothing"))
    s.add_argument("--idempotency-key", default=None)
    _receipt_options(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=do_sell)
    r = sub.add_parser("refund", help=_("refund the account's own money (never subsidy)"))
    r.add_argument("account")
    r.add_argument("amount")
    r.add_argument("--method", choices=list(METHODS), default="cash")
    r.add_argument("--reference", default="")
    r.add_argument("--idempotency-key", default=None)
    _receipt_options(r)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=do_refund)
    v = sub.add_parser("reverse", help=_("reverse (冲正) the sale of a receipt"))
    v.add_argument("receipt_no")
    v.add_argument("--reason", default="")
    _receipt_options(v)
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=do_reverse)
    rp = sub.add_parser("reprint", help=_("reprint a receipt as a copy (same number)"))
    rp.add_argument("receipt_no")
    _receipt_options(rp, always=True)
    rp.set_defaults(func=do_reprint)

    sf = sub.add_parser("shift", help=_("open and close the cashier's shift"))
    ss = sf.add_subparsers(dest="shift_command", required=True, metavar="ACTION")
    so = ss.add_parser("open")
    so.add_argument("--json", action="store_true")
    so.set_defaults(func=shift_open)
    sc = ss.add_parser("close")
    sc.add_argument("--counted", required=True, metavar="AMOUNT")
    sc.add_argument("--json", action="store_true")
    sc.set_defaults(func=shift_close)

    t = sub.add_parser("tariff", help=_("tariff plans"), description=TARIFF_HELP)
    ts = t.add_subparsers(dest="tariff_command", required=True, metavar="ACTION")
    ta = ts.add_parser("add", help=_("add a tariff, or a new version of one"), description=TARIFF_HELP)
    ta.add_argument("name")
    kind = ta.add_mutually_exclusive_group(required=True)
    kind.add_argument("--flat", metavar="PRICE")
    kind.add_argument("--tou", metavar="FILE.json")
    kind.add_argument("--tiered", metavar="FILE.json")
    ta.add_argument("--effective", metavar="YYYY-MM-DD[THH:MM]")
    ta.add_argument("--json", action="store_true")
    ta.set_defaults(func=tariff_add)
    tl = ts.add_parser("list", help=_("list tariffs and their versions"))
    tl.add_argument("--json", action="store_true")
    tl.set_defaults(func=tariff_list)


def _receipt_options(p, *, always: bool = False) -> None:
    p.add_argument("--receipt", metavar="FILE.pdf", nargs="?", const="", default="" if always else None,
                   help=_("write the receipt PDF to FILE.pdf (no FILE: into the receipts folder)"))
    p.add_argument("--force", action="store_true", help=_("replace FILE.pdf if it exists"))


def _check_receipt_file(ctx: CliContext, args) -> None:
    """Refuse a receipt file the operator may not write before any money moves."""
    if getattr(args, "receipt", None):
        station_files.output_path(args.receipt, url=ctx.url, force=args.force)


def _pairs(items: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for item in items:
        number, sep, value = item.partition("=")
        out[number.strip()] = value.strip() if sep else None
    return out


def _money_out(ctx: CliContext, args, result: MoneyResult, message: str) -> int:
    data = result.to_json()
    if getattr(args, "receipt", None) is not None and result.receipt:
        data["receipt_file"] = _write_receipt(ctx, args, result.receipt)
    if ctx.json:
        ctx.emit(data)
    else:
        ctx.say(message)
    return 0


def _write_receipt(ctx: CliContext, args, number: str) -> str | None:
    """The money is already booked: a PDF that cannot be written is a warning, not a failure."""
    try:
        target = station_files.receipt_target(args.receipt or None, number, url=ctx.url, force=args.force)
        receipts.write_pdf(ctx.db(), receipts.load(ctx.db(), number), str(target))
        station_files.private_file(target)
        return str(target)
    except (OSError, ValueError, StationError) as e:
        print(_("meterstation: receipt {number} was booked but the PDF could not be written ({error}); "
                "reprint it").format(number=number, error=e), file=sys.stderr)
        return None


def account_open(ctx: CliContext, args) -> int:
    meters = [MeterOpening(m, v) for m, v in _pairs(args.meter).items()]
    view = open_account(ctx.db(), ctx.actor(), args.customer, meters, room=args.room, mode=args.mode,
                        tariff=args.tariff, arrears=args.arrears, account_type=args.account_type)
    if ctx.json:
        ctx.emit(view.to_json())
    else:
        ctx.say(_("Account {account} opened").format(account=view.number))
    return 0


def account_show(ctx: CliContext, args) -> int:
    view = show_to(ctx.db(), ctx.reader(), args.account)      # report_view, checked before the lookup
    if ctx.json:
        ctx.emit(view.to_json())
        return 0
    for key, value in view.to_json().items():
        ctx.say(f"{key:<12} {', '.join(value) if isinstance(value, list) else value}")
    return 0


def account_close(ctx: CliContext, args) -> int:
    finals = {k: v for k, v in _pairs(args.final).items() if v is not None}
    _check_receipt_file(ctx, args)
    result = close_account(ctx.db(), ctx.actor(), args.account, finals)
    return _money_out(ctx, args, result, _("Account {account} closed; refunded {amount} yuan")
                      .format(account=result.account, amount=-result.amount))


def do_sell(ctx: CliContext, args) -> int:
    if args.preview:        # the counter's preview: the right to sell, on the account's building
        require_account_read(ctx.db(), ctx.reader(), "sell", "sale.preview", args.account)
        p = (preview(ctx.db(), args.account, energy=parse_quantity(args.amount)) if args.energy
             else preview(ctx.db(), args.account, amount=parse_amount(args.amount)))
        data = {"amount": str(p.amount), "energy": None if p.energy is None else str(p.energy)}
        ctx.emit(data) if ctx.json else ctx.say(json.dumps(data))
        return 0
    kw = {"energy": args.amount} if args.energy else {"amount": args.amount}
    _check_receipt_file(ctx, args)
    result = sell(ctx.db(), ctx.actor(), args.account, method=args.method, reference=args.reference,
                  idempotency_key=args.idempotency_key, **kw)
    return _money_out(ctx, args, result, _("Receipt {receipt}: sold {amount} yuan, balance {balance} yuan")
                      .format(receipt=result.receipt, amount=result.amount, balance=result.balance))


def do_refund(ctx: CliContext, args) -> int:
    _check_receipt_file(ctx, args)
    result = refund(ctx.db(), ctx.actor(), args.account, args.amount, method=args.method,
                    reference=args.reference, idempotency_key=args.idempotency_key)
    return _money_out(ctx, args, result, _("Receipt {receipt}: refunded {amount} yuan, balance {balance} yuan")
                      .format(receipt=result.receipt, amount=-result.amount, balance=result.balance))


def do_reverse(ctx: CliContext, args) -> int:
    _check_receipt_file(ctx, args)
    result = reverse(ctx.db(), ctx.actor(), args.receipt_no, reason=args.reason)
    return _money_out(ctx, args, result, _("Receipt {receipt}: reversed {original}, balance {balance} yuan")
                      .format(receipt=result.receipt, original=args.receipt_no, balance=result.balance))


def do_reprint(ctx: CliContext, args) -> int:
    _check_receipt_file(ctx, args)
    info = receipts.reprint(ctx.db(), ctx.actor(), args.receipt_no)
    target = station_files.receipt_target(args.receipt or None, info.number, url=ctx.url, force=args.force,
                                          copy=True)
    receipts.write_pdf(ctx.db(), info, str(target), copy=True)
    station_files.private_file(target)
    ctx.say(_("Receipt {receipt} reprinted as a copy into {file}").format(receipt=info.number, file=target))
    return 0


def shift_open(ctx: CliContext, args) -> int:
    report = shifts.open_shift(ctx.db(), ctx.actor())
    ctx.emit(report.to_json()) if ctx.json else ctx.say(_("Shift {shift} opened").format(shift=report.shift_id))
    return 0


def shift_close(ctx: CliContext, args) -> int:
    report = shifts.close_shift(ctx.db(), ctx.actor(), args.counted)
    if ctx.json:
        ctx.emit(report.to_json())
        return 0
    for method, amount in report.takings.items():
        ctx.say(f"{_(METHODS[method]) if method in METHODS else method:<12} {amount}")
    ctx.say(_("Expected cash {expected}, counted {counted}, difference {difference}").format(
        expected=report.expected_cash, counted=report.counted_cash, difference=report.difference))
    return 0


def tariff_add(ctx: CliContext, args) -> int:
    if args.flat is not None:
        data: dict = {"kind": "flat", "price": str(_price(args.flat))}
    else:
        path = Path(args.tou or args.tiered)
        try:
            data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        except (OSError, ValueError) as e:
            raise InvalidInput(_("Cannot read the tariff file {file}: {error}").format(file=path, error=e)) from None
        if not isinstance(data, dict):
            raise InvalidInput(_("The tariff file {file} must hold one JSON object").format(file=path))
        data = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()}
    if args.effective:
        data["effective"] = args.effective
    info = plan_store.add_version(ctx.db(), ctx.actor(), args.name, data)
    ctx.emit(info.to_json()) if ctx.json else ctx.say(_("Tariff {name} saved").format(name=info.name))
    return 0


def _price(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        raise InvalidInput(_("{text} is not a price").format(text=text)) from None
    if not value.is_finite():
        raise InvalidInput(_("{text} is not a price").format(text=text))
    return value


def tariff_list(ctx: CliContext, args) -> int:
    ctx.reader("report_view", "tariff.list")
    plans = plan_store.list_plans(ctx.db())
    if ctx.json:
        ctx.emit({"tariffs": [p.to_json() for p in plans]})
        return 0
    for p in plans:
        for effective, kind, summary in p.versions:
            ctx.say(f"{p.name:<16} {effective:<17} {kind:<10} {summary}")
    return 0
