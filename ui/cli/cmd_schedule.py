"""`schedule add|list|remove`: reading schedules (抄表计划) of all meters or of a meter group (tag).

    meterstation schedule add 一号楼每小时 --kind hourly --at 00:05 --tag area:一号楼
    meterstation schedule add 全部每30分钟 --kind interval --every 30
    meterstation schedule list [--json]        meterstation schedule remove 一号楼每小时

The services are billing/settings_service.py (the Settings page's editor uses the same ones): every
change needs `settings_edit` and is in the operation log. The running scheduler picks changes
up when it (re)starts or syncs its jobs.
"""
from __future__ import annotations

from billing import settings_service as schedules
from models.automation import SCHEDULE_KINDS
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("schedule", help=_("reading schedules: when the meters (or a meter group) are read"))
    s = p.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")
    a = s.add_parser("add", help=_("add a reading schedule"))
    a.add_argument("name")
    a.add_argument("--kind", default="interval", choices=SCHEDULE_KINDS)
    a.add_argument("--every", type=int, default=30, metavar="MINUTES", help=_("interval: read every N minutes"))
    a.add_argument("--at", default="00:00", metavar="HH:MM", help=_("time of day (hourly: the minutes)"))
    a.add_argument("--weekday", type=int, default=0, help=_("weekly: 0 = Monday ... 6 = Sunday"))
    a.add_argument("--day", type=int, default=1, help=_("monthly: day of month 1-28"))
    a.add_argument("--tag", default="", help=_("the meter group: KIND:NAME or a tag name (default every meter)"))
    a.add_argument("--disabled", action="store_true", help=_("add it switched off"))
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=add)
    ls = s.add_parser("list", help=_("list the reading schedules"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_)
    rm = s.add_parser("remove", help=_("remove a reading schedule"))
    rm.add_argument("name")
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(func=remove)


def _row(r: schedules.ScheduleRow) -> dict:
    return {"name": r.name, "kind": r.kind, "every_minutes": r.every_minutes, "at": r.at_time,
            "weekday": r.weekday, "day": r.day, "tag": r.tag, "enabled": r.enabled}


def _when(r: schedules.ScheduleRow) -> str:
    if r.kind == "interval":
        return _("every {n} minutes").format(n=r.every_minutes)
    if r.kind == "hourly":
        return _("hourly at minute {m}").format(m=r.at_time[3:])
    if r.kind == "daily":
        return _("daily at {at}").format(at=r.at_time)
    if r.kind == "weekly":
        return _("weekly on day {d} at {at}").format(d=r.weekday, at=r.at_time)
    return _("monthly on day {d} at {at}").format(d=r.day, at=r.at_time)


def add(ctx: CliContext, args) -> int:
    spec = schedules.ScheduleSpec(args.name, kind=args.kind, every_minutes=args.every, at_time=args.at,
                                  weekday=args.weekday, day=args.day, tag=args.tag, enabled=not args.disabled)
    schedules.check_spec(spec)                    # a bad rule is refused before logging in
    schedule_id = schedules.add_schedule(ctx.db(), ctx.actor(), spec)
    if ctx.json:
        ctx.emit({"schedule": spec.name.strip(), "id": schedule_id})
    else:
        ctx.say(_("Reading schedule {name} added").format(name=spec.name.strip()))
    return 0


def list_(ctx: CliContext, args) -> int:
    ctx.reader("settings_edit", "schedule.list")
    rows = schedules.list_schedules(ctx.db())
    if ctx.json:
        ctx.emit({"schedules": [_row(r) for r in rows]})
        return 0
    if not rows:
        ctx.say(_("No reading schedules"))
    for r in rows:
        state = "" if r.enabled else " " + _("(disabled)")
        ctx.say(f"{r.name}\t{_when(r)}\t{r.tag or _('every meter')}{state}")
    return 0


def remove(ctx: CliContext, args) -> int:
    name = schedules.delete_schedule_named(ctx.db(), ctx.actor(), args.name)    # the right first, then the name
    if ctx.json:
        ctx.emit({"removed": name})
    else:
        ctx.say(_("Reading schedule {name} removed").format(name=name))
    return 0
