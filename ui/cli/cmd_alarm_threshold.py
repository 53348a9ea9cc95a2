"""`alarm-threshold set|list|remove`: power-quality alarm limits of every meter, a meter group
(tag) or one meter (billing/quality_thresholds.py).

    meterstation alarm-threshold set tag:area:一号楼 --over-voltage 253 --under-voltage 198
    meterstation alarm-threshold set meter:E0001 --overload 13.2
    meterstation alarm-threshold list [--json]      meterstation alarm-threshold remove all

`set` replaces the scope's limits (a limit not given is inherited from the group / all).
Needs the settings right; every change is in the operation log.
"""
from __future__ import annotations

from billing import quality_thresholds as qt
from resources.i18n import _
from ui.cli.context import CliContext

OPTIONS = {"over_voltage": "--over-voltage", "under_voltage": "--under-voltage",
           "over_current": "--over-current", "overload": "--overload"}


def register(sub) -> None:
    p = sub.add_parser("alarm-threshold", help=_("power-quality alarm limits of all meters, a group or a meter"))
    s = p.add_subparsers(dest="threshold_command", required=True, metavar="ACTION")
    scope_help = _("all, tag:KIND:NAME (a meter group) or meter:NUMBER")
    a = s.add_parser("set", help=_("set the limits of a scope (replaces its limits)"))
    a.add_argument("scope", help=scope_help)
    for kind, option in OPTIONS.items():
        a.add_argument(option, dest=kind, default=None, metavar="N", help=_(qt.LIMIT_TITLES[kind]))
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=set_)
    ls = s.add_parser("list", help=_("list the alarm limits"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_)
    rm = s.add_parser("remove", help=_("remove the limits of a scope"))
    rm.add_argument("scope", help=scope_help)
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(func=remove)


def _limits_json(limits: qt.Limits) -> dict:
    return {k: (str(v) if v is not None else None) for k, v in limits.items()}


def set_(ctx: CliContext, args) -> int:
    limits = qt.check_limits(qt.Limits(**{k: getattr(args, k) for k in OPTIONS}))   # refused before logging in
    qt.set_thresholds(ctx.db(), ctx.actor(), args.scope, limits)
    if ctx.json:
        ctx.emit({"scope": args.scope.strip(), "limits": _limits_json(limits)})
    else:
        ctx.say(_("Alarm limits of {scope} set").format(scope=args.scope.strip()))
    return 0


def list_(ctx: CliContext, args) -> int:
    ctx.reader(qt.RIGHT, "quality.threshold_list")
    rows = qt.list_thresholds(ctx.db())
    if ctx.json:
        ctx.emit({"thresholds": [{"scope": r.scope, "limits": _limits_json(r.limits), "by": r.updated_by}
                                 for r in rows]})
        return 0
    if not rows:
        ctx.say(_("No alarm limits: no power-quality alarms"))
    for r in rows:
        parts = [f"{_(qt.LIMIT_TITLES[k])} {v}" for k, v in r.limits.items() if v is not None]
        ctx.say(f"{r.scope}\t" + "\t".join(parts))
    return 0


def remove(ctx: CliContext, args) -> int:
    qt.remove_thresholds(ctx.db(), ctx.actor(), args.scope)
    if ctx.json:
        ctx.emit({"removed": args.scope.strip()})
    else:
        ctx.say(_("Alarm limits of {scope} removed").format(scope=args.scope.strip()))
    return 0
