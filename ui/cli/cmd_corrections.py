"""`recompute --from YYYY-MM-DD --to YYYY-MM-DD [--account A] [--dry-run] [--json]`: price the
settled consumption spans of local days FROM..TO again with the corrected tiered pricing and post
the difference as one adjustment entry per account (billing/recompute.py; right: reverse).

--dry-run lists what it would post and posts nothing. --json prints
{"from", "to", "dry_run", "accounts": [{"account", "spans", "charged", "recomputed",
"corrected_before", "difference", "status", "entry"}], "total"}; difference > 0: the account is
charged more (it was undercharged). Running the same period again posts nothing.
"""
from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal

from billing.recompute import recompute
from resources.i18n import N_, _
from ui.cli.context import CliContext

STATUS = {"posted": N_("posted"), "would-post": N_("would post"), "nothing": N_("nothing to correct"),
          "already-adjusted": N_("already adjusted for this period"), "no-tariff": N_("no tariff")}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a date (YYYY-MM-DD)").format(text=text)) from None


def register(sub) -> None:
    p = sub.add_parser("recompute", help=_("recompute settled consumption charges of a period with the "
                                           "corrected tiered pricing; post one adjustment per account"))
    p.add_argument("--from", dest="first", type=_day, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="last", type=_day, required=True, metavar="YYYY-MM-DD",
                   help=_("last local day of the period (included)"))
    p.add_argument("--account", default=None, help=_("only this account (default: every charged account)"))
    p.add_argument("--dry-run", action="store_true", help=_("list what would be posted; post nothing"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(ctx: CliContext, args) -> int:
    rows = recompute(ctx.db(), ctx.actor(), args.first, args.last, account=args.account, dry_run=args.dry_run)
    moving = [r for r in rows if r.status in ("posted", "would-post")]
    total = sum((r.difference for r in moving), Decimal("0.00"))
    if ctx.json:
        ctx.emit({"from": args.first.isoformat(), "to": args.last.isoformat(), "dry_run": args.dry_run,
                  "accounts": [r.to_json() for r in rows], "total": str(total)})
        return 0
    for r in rows:
        ctx.say(_("{account}: {spans} spans, charged {charged}, recomputed {recomputed}, "
                  "difference {difference} yuan — {status}")
                .format(account=r.account, spans=r.spans, charged=r.charged, recomputed=r.recomputed,
                        difference=r.difference, status=_(STATUS[r.status])))
    ctx.say((_("Would post {n} adjustments, {total} yuan in all") if args.dry_run
             else _("Posted {n} adjustments, {total} yuan in all")).format(n=len(moving), total=total))
    return 0
