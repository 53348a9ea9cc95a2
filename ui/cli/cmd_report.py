"""`report NAME --from YYYY-MM-DD --to YYYY-MM-DD [--group G] [--xlsx FILE] [--json]`.

`report sale-records ... [--account A] [--operator O] [--method M] [--kind K]` lists each sale,
refund and reversal (receipt number first) with its totals per kind (billing/reports/records.py).
--xlsx refuses to overwrite an existing file unless --force is given.

The reports of billing/reports/catalog.py from the command line, as the acting operator (who
needs report_view): to an Excel file with --xlsx, as one JSON object with --json, else as a
tab-separated table. Exit 0 done, 1 refused or failed, 2 wrong usage (bad date, unknown report
or grouping).
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

from billing.reports.catalog import REPORTS, export_streamed, export_title, export_xlsx
from billing.reports.records import RecordFilter, RecordTally, record_totals, totals_lines
from billing.reports.shown import Shown
from models import station_files, station_time
from resources.i18n import _
from ui.cli.context import CliContext

# command-line names (cli.md fixes sales, consumption, alarms, shift) -> catalog keys
NAMES = {"sales": "sales", "sale-records": "sale_records", "receivable": "receivable", "refunds": "corrections",
         "consumption": "consumption",
         "line-loss": "line_loss", "alarms": "alarms", "lost": "lost", "read-success": "read_success",
         "shift": "shift"}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text} is not a date (YYYY-MM-DD)").format(text=text)) from None


def register(sub) -> None:
    groups = sorted({g for s in REPORTS.values() for g in s.groups})
    # --operator after the name is sale-records' filter (cli.md); the acting operator is then named
    # before the command (meterstation --operator NAME report ...) or by METERSTATION_OPERATOR.
    # For the other reports it still names the acting operator, as before.
    # (so this parser does not take the shared --db/--operator parent: it declares --db itself)
    p = sub.add_parser("report", help=_("reports: to Excel (--xlsx), JSON or a table"), parents=[])
    p.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                   help=_("database URL (sqlite:///file.db, postgresql+psycopg://..., mssql+pyodbc://...)"))
    p.add_argument("name", choices=list(NAMES), metavar="REPORT", help=" | ".join(NAMES))
    p.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--group", choices=groups, help=_("grouping (sales: day|month|year|operator|method; "
                                                     "consumption: building|floor|room|meter|tag ...)"))
    p.add_argument("--xlsx", metavar="FILE", help=_("write the report to this Excel file"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--force", action="store_true", help=_("replace the --xlsx file if it exists"))
    p.add_argument("--account", default="", metavar="A", help=_("sale-records: only this account"))
    p.add_argument("--operator", dest="by_operator", default="", metavar="O",
                   help=_("sale-records: only this operator (other reports: act as this operator)"))
    p.add_argument("--method", default="", metavar="M", help=_("sale-records: cash|card|wechat|alipay|transfer"))
    p.add_argument("--kind", default="", metavar="K", help=_("sale-records: sale|refund|reversal"))
    p.set_defaults(func=run)


def _text(value) -> str:
    """A cell as text: local time for moments, decimal text for money and energy."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return station_time.text(value, seconds=False)
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
    filters = None
    if spec.filtered:
        filters = RecordFilter(account=args.account, operator=args.by_operator, method=args.method, kind=args.kind)
    elif args.by_operator:
        args.operator = args.by_operator
    if not spec.filtered and (args.account or args.method or args.kind):
        print(_("meterstation: --account, --method and --kind are for sale-records only"), file=sys.stderr)
        return 2
    if args.xlsx:
        station_files.output_path(args.xlsx, url=ctx.url, force=args.force)
    db, actor = ctx.db(), ctx.reader()          # report_view: checked by the report (billing/reports/catalog.py)
    if args.xlsx:
        title = None
        if filters is not None:
            described = "  ".join(f"{_(k)}: {v}" for k, v in filters.describe())
            title = export_title(spec, args.start, args.end, group) + (f"  {described}" if described else "")
        from models import settings

        company = str(settings.get(db, "company.name") or "")
        totals = None
        if spec.stream is not None:         # a long table: from the cursor to the file, totals on the way
            tally = RecordTally() if spec.filtered else None
            n = export_streamed(db, args.xlsx, spec.key, args.start, args.end, group, actor, filters=filters,
                                title=title, company=company, tally=tally)
            totals = tally.totals() if tally is not None else None
        else:
            rows = spec.run(db, args.start, args.end, group, actor)
            n = export_xlsx(args.xlsx, spec.key, rows, args.start, args.end, group, title=title, company=company)
        if ctx.json:
            ctx.emit({"report": args.name, "rows": n, "file": args.xlsx, **_totals_json(totals)})
        else:
            ctx.say(_("{n} rows written to {file}").format(n=n, file=args.xlsx))
        return 0
    rows = (spec.run(db, args.start, args.end, group, actor, filters=filters) if spec.filtered
            else spec.run(db, args.start, args.end, group, actor))
    cols = spec.cols(group)
    totals = record_totals(rows) if spec.filtered else None
    table = spec.table(rows, group)
    cut = isinstance(rows, Shown) and rows.cut       # the first rows only: said, never passed off as all
    if ctx.json:
        heads = [_(c.header) for c in cols]
        ctx.emit({"report": args.name, "from": args.start, "to": args.end, "group": group, "columns": heads,
                  "rows": [[None if v is None else _text(v) for v in r] for r in table], **_totals_json(totals),
                  **({"total_rows": rows.total} if cut else {})})
        return 0
    ctx.say("\t".join(_(c.header) for c in cols))
    for r in table:
        ctx.say("\t".join(_text(v) for v in r))
    if totals is not None:
        for line in totals_lines(totals):
            ctx.say(line)
    if cut:
        for line in rows.note():
            print(line, file=sys.stderr)
    return 0


def _totals_json(t) -> dict:
    if t is None:
        return {}
    return {"totals": {**{k: {"count": n, "amount": str(v)} for k, (n, v) in t.by_kind.items()},
                       "count": t.count, "net": str(t.net)}}
