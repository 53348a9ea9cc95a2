"""`operator add|list|passwd|unlock|enable|disable|areas` and `role add|list`.

`operator add NAME --role ROLE` reads the new operator's password from standard input (after
the acting operator's password, when that one is not in METERSTATION_PASSWORD). While the
database has no operator at all, it creates the first (super admin) without authenticating.
"""
from __future__ import annotations

from access import login as auth
from access import operators as ops
from models.errors import InvalidInput
from models.rights import RIGHTS
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("operator", help=_("operators and their rights"))
    s = p.add_subparsers(dest="operator_command", required=True, metavar="ACTION")
    a = s.add_parser("add", help=_("add an operator (password from standard input)"))
    a.add_argument("name")
    a.add_argument("--role", required=True, help="super-admin | admin | cashier | viewer | a defined role")
    a.add_argument("--display-name", default="")
    a.add_argument("--building", type=int, action="append", help=_("limit to this building id (repeatable)"))
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=add)
    ls = s.add_parser("list", help=_("list operators"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_)
    for verb, helptext in (("passwd", _("set a new password (from standard input)")),
                           ("unlock", _("unlock after failed logins")),
                           ("enable", _("allow logging in")), ("disable", _("forbid logging in"))):
        x = s.add_parser(verb, help=helptext)
        x.add_argument("name")
        x.set_defaults(func=update, verb=verb)
    ar = s.add_parser("areas", help=_("set the buildings an operator may act on"))
    ar.add_argument("name")
    ar.add_argument("buildings", help=_("comma-separated building ids, or 'all'"))
    ar.set_defaults(func=update, verb="areas")
    r = sub.add_parser("role", help=_("roles an administrator defines"))
    rs = r.add_subparsers(dest="role_command", required=True, metavar="ACTION")
    ra = rs.add_parser("add", help=_("define or change a role"))
    ra.add_argument("name")
    ra.add_argument("--rights", required=True, help=", ".join(RIGHTS))
    ra.add_argument("--label", default="")
    ra.set_defaults(func=role_add)
    rl = rs.add_parser("list", help=_("list roles"))
    rl.add_argument("--json", action="store_true")
    rl.set_defaults(func=role_list)


def _new_password(ctx: CliContext) -> str:
    pw = ctx.stdin_line()
    if not pw:
        raise InvalidInput(_("Give the new operator's password on standard input"))
    return pw


def add(ctx: CliContext, args) -> int:
    db = ctx.db()
    if not auth.has_operators(db):
        info = ops.create_first_operator(db, args.name, _new_password(ctx), ctx.station, args.role)
    else:
        actor = ctx.actor()
        info = ops.add_operator(db, actor, args.name, _new_password(ctx), args.role,
                                args.display_name, args.building)
    if ctx.json:
        ctx.emit({"operator": info.name, "role": info.role})
    else:
        ctx.say(_("Operator {name} added with role {role}").format(name=info.name, role=info.role))
    return 0


def list_(ctx: CliContext, args) -> int:
    ctx.reader("operator_admin", "operator.list")
    rows = ops.list_operators(ctx.db())
    if ctx.json:
        ctx.emit({"operators": [{"name": o.name, "display_name": o.display_name, "role": o.role,
                                 "active": o.active, "locked": o.locked,
                                 "buildings": "all" if o.all_areas else list(o.areas)} for o in rows]})
        return 0
    for o in rows:
        state = _("locked") if o.locked else (_("active") if o.active else _("disabled"))
        areas = _("all buildings") if o.all_areas else ",".join(map(str, o.areas))
        ctx.say(f"{o.name:<16} {o.role:<12} {state:<8} {areas}")
    return 0


def update(ctx: CliContext, args) -> int:
    actor = ctx.actor()
    kw: dict = {}
    if args.verb == "passwd":
        kw["password"] = _new_password(ctx)
    elif args.verb == "unlock":
        kw["unlock"] = True
    elif args.verb in ("enable", "disable"):
        kw["active"] = args.verb == "enable"
    elif args.verb == "areas":
        text = args.buildings.strip().lower()
        try:
            kw["buildings"] = None if text == "all" else [int(x) for x in text.split(",") if x.strip()]
        except ValueError:
            raise InvalidInput(_("Buildings must be ids separated by commas, or 'all'")) from None
    ops.update_operator(ctx.db(), actor, args.name, **kw)
    ctx.say(_("Operator {name} updated").format(name=args.name))
    return 0


def role_add(ctx: CliContext, args) -> int:
    actor = ctx.actor()
    rights = [r.strip() for r in args.rights.split(",") if r.strip()]
    ops.define_role(ctx.db(), actor, args.name, args.label or args.name, rights)
    ctx.say(_("Role {name} saved").format(name=args.name))
    return 0


def role_list(ctx: CliContext, args) -> int:
    ctx.reader("operator_admin", "role.list")
    roles = ops.list_roles(ctx.db())
    if ctx.json:
        ctx.emit({"roles": [{"name": r.name, "label": r.label, "builtin": r.builtin,
                             "rights": sorted(r.right_set())} for r in roles]})
        return 0
    for r in roles:
        ctx.say(f"{r.name:<14} {' '.join(sorted(r.right_set()))}")
    return 0
