"""`settings show` and `settings set KEY VALUE` (station-local or database settings)."""
from __future__ import annotations

from models import settings
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("settings", help=_("station and business settings"))
    s = p.add_subparsers(dest="settings_command", required=True, metavar="ACTION")
    sh = s.add_parser("show", help=_("list every setting with its value"))
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=show)
    st = s.add_parser("set", help=_("change a setting"))
    st.add_argument("key", choices=sorted(settings.SETTINGS))
    st.add_argument("value")
    st.set_defaults(func=set_)


def show(ctx: CliContext, args) -> int:
    """Every setting the operator may change (settings_edit; backup.* needs backup too, the
    database URL restore): a value it has no right to is not shown."""
    actor = ctx.reader("settings_edit", "settings.show")
    values = {k: settings.get_local(k) for k, v in settings.SETTINGS.items() if v.local}
    values.update(settings.all_db_settings(ctx.db()))
    shown = {k: v for k, v in values.items() if actor.can(settings.SETTINGS[k].right)}
    if ctx.json:
        ctx.emit({"settings": shown})
        return 0
    for key, spec in settings.SETTINGS.items():
        if key in shown:
            ctx.say(f"{key:<22} {shown[key]!s:<24} {_(spec.description)}")
    return 0


def set_(ctx: CliContext, args) -> int:
    # every setting, station-local ones included, needs its right and is logged
    settings.put(ctx.db(), ctx.actor(), args.key, args.value)
    ctx.say(_("{key} set").format(key=args.key))
    return 0
