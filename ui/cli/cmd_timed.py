"""`timed add|list|remove|next`: timed remote control (定时通断电) of a meter group (tag).

    meterstation timed add 宿舍熄灯 --tag area:宿舍楼 --off 23:00 --on 06:00 --days school --skip 2026-12-31
    meterstation timed list [--json]        meterstation timed remove 宿舍熄灯
    meterstation timed next [--count N] [--json]

The schedules are run by the job station's minute job (billing/timed/run.py). Changing them
needs the relay-control right; every change is in the operation log.
"""
from __future__ import annotations

from datetime import date

from billing.automation.calendar import to_local, utcnow
from billing.timed import service as timed
from models.errors import InvalidInput
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("timed", help=_("timed remote control: switch a meter group off and on at set times"))
    s = p.add_subparsers(dest="timed_command", required=True, metavar="ACTION")
    a = s.add_parser("add", help=_("add a timed schedule"))
    a.add_argument("name")
    a.add_argument("--tag", required=True, help=_("the meter group: KIND:NAME or a tag name"))
    a.add_argument("--off", default="", metavar="HH:MM", help=_("local time the relays are tripped"))
    a.add_argument("--on", default="", metavar="HH:MM", help=_("local time the relays are closed again"))
    a.add_argument("--days", default="every", choices=("every", "weekdays", "school", "dates"),
                   help=_("every day, Monday to Friday, school (working) days, or only --date days"))
    a.add_argument("--date", action="append", default=[], metavar="YYYY-MM-DD", help=_("a day (with --days dates)"))
    a.add_argument("--skip", nargs="+", action="extend", default=[], metavar="YYYY-MM-DD",
                   help=_("days on which the schedule does not act"))
    a.add_argument("--disabled", action="store_true", help=_("add it switched off"))
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=add)
    ls = s.add_parser("list", help=_("list the timed schedules"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_)
    rm = s.add_parser("remove", help=_("remove a timed schedule"))
    rm.add_argument("name")
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(func=remove)
    nx = s.add_parser("next", help=_("the next scheduled switchings"))
    nx.add_argument("--count", type=int, default=10)
    nx.add_argument("--json", action="store_true")
    nx.set_defaults(func=next_)


def _dates(values: list[str]) -> tuple[date, ...]:
    out = []
    for v in values:
        try:
            out.append(date.fromisoformat(v.strip()))
        except ValueError:
            raise InvalidInput(_("{value} is not a date (YYYY-MM-DD)").format(value=v)) from None
    return tuple(out)


def _row(r: timed.TimedRow) -> dict:
    return {"name": r.name, "tag": r.tag, "off": r.off_at, "on": r.on_at, "days": r.days,
            "dates": [d.isoformat() for d in r.dates], "skip": [d.isoformat() for d in r.skip],
            "enabled": r.enabled}


def add(ctx: CliContext, args) -> int:
    spec = timed.TimedSpec(args.name, args.tag, args.off, args.on, args.days, _dates(args.date),
                           _dates(args.skip), not args.disabled)
    timed.check_spec(spec)                       # a bad time or rule is refused before logging in
    timed.add_timed(ctx.db(), ctx.actor(), spec)
    if ctx.json:
        ctx.emit({"timed": args.name.strip()})
    else:
        ctx.say(_("Timed schedule {name} added").format(name=args.name.strip()))
    return 0


def list_(ctx: CliContext, args) -> int:
    ctx.reader(timed.RIGHT, "timed.list")
    rows = timed.list_timed(ctx.db())
    if ctx.json:
        ctx.emit({"timed": [_row(r) for r in rows]})
        return 0
    if not rows:
        ctx.say(_("No timed schedules"))
    for r in rows:
        days = _(timed.DAY_RULE_TITLES[r.days])
        if r.dates:
            days += " " + ", ".join(d.isoformat() for d in r.dates)
        skip = (" " + _("skip {days}").format(days=", ".join(d.isoformat() for d in r.skip))) if r.skip else ""
        state = "" if r.enabled else " " + _("(disabled)")
        off, on = _(timed.ACTION_TITLES["off"]), _(timed.ACTION_TITLES["on"])
        ctx.say(f"{r.name}\t{r.tag}\t{off} {r.off_at or '-'}\t{on} {r.on_at or '-'}\t{days}{skip}{state}")
    return 0


def remove(ctx: CliContext, args) -> int:
    timed.remove_timed(ctx.db(), ctx.actor(), args.name)
    if ctx.json:
        ctx.emit({"removed": args.name})
    else:
        ctx.say(_("Timed schedule {name} removed").format(name=args.name))
    return 0


def next_(ctx: CliContext, args) -> int:
    if not 1 <= args.count <= 1000:
        raise InvalidInput(_("Give a count from 1 to 1000"))
    ctx.reader(timed.RIGHT, "timed.next")
    upcoming = timed.next_occurrences(ctx.db(), utcnow(), args.count)
    if ctx.json:
        ctx.emit({"next": [{"at": to_local(u.at).isoformat(timespec="minutes"), "schedule": u.schedule,
                            "tag": u.tag, "action": u.action} for u in upcoming]})
        return 0
    for u in upcoming:
        ctx.say(f"{to_local(u.at):%Y-%m-%d %H:%M}\t{u.schedule}\t{u.tag}\t{_(timed.ACTION_TITLES[u.action])}")
    return 0
