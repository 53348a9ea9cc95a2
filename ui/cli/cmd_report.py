"""`report NAME --from YYYY-MM-DD --to YYYY-MM-DD [--group G] [--xlsx FILE] [--json]`.

The reports of billing/report_catalog.py from the command line, as the acting operator (who
needs report_view): to an Excel file with --xlsx, as one JSON object with --json, else as a
tab-separated table. Exit 0 done, 1 refused or failed, 2 wrong usage (bad date, unknown report
or grouping).
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

from billing.report_catalog import REPORTS, export_xlsx
from resources.i18n import _
from ui.cli.context import CliContext

# command-line names (cli.md fixes sales, consumption, alarms, shift) -> catalog keys
NAMES = {"sales": "sales", "receivable": "receivable", "refunds": "corrections", "consumption": "consumption",
         "line-loss": "line_loss", "alarms": "alarms", "lost": "lost", "read-success": "read_success",
         "shift": "shift"}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a date (YYYY-MM-DD)").format(text=text)) from None


def register(sub) -> None:
    groups = sorted({g for s in REPORTS.values() for g in s.groups})
    p = sub.add_parser("report", help=_("reports: to Excel (--xlsx), JSON or a table"))
    p.add_argument("name", choices=list(NAMES), metavar="REPORT", help=" | ".join(NAMES))
    p.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--group", choices=groups, help=_("grouping (sales: day|month|year|operator|method; "
                                                     "consumption: building|floor|room|meter|tag ...)"))
    p.add_argument("--xlsx", metavar="FILE", help=_("write the report to this Excel file"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _text(value) -> str:
    """A cell as text: local time for moments, decimal text for money and energy."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value.astimezone() if value.tzinfo else value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def run(ctx: CliContext, args) -> int:
    spec = REPORTS[NAMES[args.name]]
    group = args.group or (spec.groups[0] if spec.groups else "")
    if (group and group not in spec.groups) or (args.group and not spec.groups):
        print(_("meterstation: report {name} has no grouping {group}").format(name=args.name, group=args.group),
              file=sys.stderr)
        return 2
    db, actor = ctx.db(), ctx.actor()
    rows = spec.run(db, args.start, args.end, group, actor)
    cols = spec.cols(group)
    if args.xlsx:
        from models import settings

        company = str(settings.get(db, "company.name") or "")
        n = export_xlsx(args.xlsx, spec.key, rows, args.start, args.end, group, company=company)
        if ctx.json:
            ctx.emit({"report": args.name, "rows": n, "file": args.xlsx})
        else:
            ctx.say(_("{n} rows written to {file}").format(n=n, file=args.xlsx))
        return 0
    table = spec.table(rows, group)
    if ctx.json:
        heads = [_(c.header) for c in cols]
        ctx.emit({"report": args.name, "from": args.start, "to": args.end, "group": group, "columns": heads,
                  "rows": [[None if v is None else _text(v) for v in r] for r in table]})
        return 0
    ctx.say("\t".join(_(c.header) for c in cols))
    for r in table:
        ctx.say("\t".join(_text(v) for v in r))
    return 0
