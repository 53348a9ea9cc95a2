"""`log show`, `log verify`, `log export FILE` — the operation log (操作日志)."""
from __future__ import annotations

import json
from datetime import datetime

from access import log_view
from models import oplog, station_files, station_time
from models.errors import AuthenticationFailed, InvalidInput
from models.rights import Actor
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("log", help=_("the operation log"))
    s = p.add_subparsers(dest="log_command", required=True, metavar="ACTION")
    show = s.add_parser("show", help=_("search the log (newest first)"))
    export = s.add_parser("export", help=_("export the log to .csv or .xlsx"))
    export.add_argument("file")
    export.add_argument("--force", action="store_true", help=_("replace the file if it exists"))
    for x in (show, export):
        x.add_argument("--by", dest="by_operator", help=_("only this operator's actions"))
        x.add_argument("--action", help=_("only this action (* wildcard), e.g. login*"))
        x.add_argument("--search", help=_("text in the target or details"))
        x.add_argument("--from", dest="since", help="YYYY-MM-DD")
        x.add_argument("--to", dest="until", help=_("YYYY-MM-DD (inclusive)"))
    show.add_argument("--limit", type=int, default=100)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=show_)
    export.set_defaults(func=export_)
    v = s.add_parser("verify", help=_("check the keyed chain, the ledger and rights it covers; exit 1 on any "
                                      "edited, deleted or inserted row"))
    v.add_argument("--anchor", metavar="SEQ:HASH",
                   help=_("a chain head kept outside the database (from a backup's .sig file, a shift report "
                          "or an earlier 'log head'): the log must still reach it"))
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=verify)
    h = s.add_parser("head", help=_("print the chain head (SEQ:HASH) to keep outside the database"))
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=head)


def _day(text: str | None, *, end: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        d = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise InvalidInput(_("{text} is not a date (YYYY-MM-DD)").format(text=text)) from None
    return station_time.day_end(d.date()) if end else station_time.day_start(d.date())   # station midnight


def _filters(args) -> dict:
    return {"operator": args.by_operator, "action": args.action, "text": args.search,
            "since": _day(args.since), "until": _day(args.until, end=True)}


def _viewer(ctx: CliContext) -> Actor:
    """Reading the log is a right (log_view): name the operator, as for commands that change data."""
    if not ctx.operator_name():
        raise AuthenticationFailed(_("Reading the operation log needs an operator with the right to view it: "
                                     "name the operator with --operator or METERSTATION_OPERATOR"))
    return ctx.reader()             # log_view: checked by the service (access/log_view.py)


def show_(ctx: CliContext, args) -> int:
    entries = log_view.search(ctx.db(), _viewer(ctx), limit=args.limit, **_filters(args))
    rows = [{"seq": e.seq, "at": station_time.local(e.at).isoformat(timespec="seconds"), "operator": e.operator,
             "station": e.station, "action": e.action, "target": e.target, "details": json.loads(e.details)}
            for e in entries]
    if ctx.json:
        ctx.emit({"entries": rows, "count": len(rows)})
        return 0
    for r in rows:
        details = json.dumps(r["details"], ensure_ascii=False) if r["details"] else ""
        ctx.say(f"{r['seq']:>7} {r['at'][:19]} {r['operator']:<12} {r['action']:<18} {r['target']} {details}")
    return 0


def export_(ctx: CliContext, args) -> int:
    """Streamed: rows go from the cursor to the file as they come (flat memory at any size)."""
    from printing.oplog_export import export_log

    actor = _viewer(ctx)
    target = station_files.output_path(args.file, url=ctx.url, force=args.force)
    n = log_view.export(ctx.db(), actor, target, write=export_log, **_filters(args))
    ctx.say(_("{n} log rows written to {file}").format(n=n, file=args.file))
    return 0


def _anchor(text: str | None) -> oplog.Anchor | None:
    if not text:
        return None
    try:
        return oplog.Anchor.parse(text)
    except ValueError:
        raise InvalidInput(_("{text} is not a chain head: give SEQ:HASH (a number, a colon and 64 hex digits)")
                           .format(text=text[:100])) from None


def head(ctx: CliContext, args) -> int:
    anchor = log_view.head(ctx.db(), _viewer(ctx))
    if ctx.json:
        ctx.emit({"seq": anchor.seq, "hash": anchor.hash, "anchor": str(anchor)})
    else:
        ctx.say(str(anchor))
    return 0


def verify(ctx: CliContext, args) -> int:
    anchor = _anchor(args.anchor)
    with ctx.db().read() as s:
        result = oplog.verify(s, anchor=anchor)
    if ctx.json:
        ctx.emit({"ok": result.ok, "rows": result.rows, "problem": result.problem or None,
                  "seq": result.bad_seq, "entry": result.entry})
    elif result.ok:
        ctx.say(_("The operation log is intact: {n} rows").format(n=result.rows))
    else:
        messages = {"missing": _("row {seq} is missing (deleted)"), "link": _("row {seq} does not follow "
                    "the row before it (a row was deleted or replaced)"),
                    "edited": _("row {seq} was edited (or written without this station's key)"),
                    "truncated": _("rows from {seq} on were deleted"),
                    "anchor": _("the log no longer reaches the given chain head at row {seq} (rows were deleted "
                                "or rewritten)"),
                    "key": _("it was written with another station key"),
                    "ledger-missing": _("ledger entry {entry} logged in row {seq} is missing"),
                    "ledger-edited": _("ledger entry {entry} logged in row {seq} was changed"),
                    "ledger-unlogged": _("ledger entry {entry} is in no log row (inserted behind the station's "
                                         "back)"),
                    "rights": _("operators, roles or rights differ from the last change the log recorded")}
        import sys

        print(_("The operation log is broken: {what}").format(
            what=messages[result.problem].format(seq=result.bad_seq, entry=result.entry)), file=sys.stderr)
    return 0 if result.ok else 1
