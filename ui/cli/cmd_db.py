"""`db upgrade`: create or migrate the schema; `db status`: show the revision."""
from __future__ import annotations

from models import migrate
from models.db import Database
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("db", help=_("database schema"))
    s = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = s.add_parser("upgrade", help=_("create or migrate the schema"))
    up.add_argument("--json", action="store_true")
    up.set_defaults(func=upgrade)
    st = s.add_parser("status", help=_("show the schema revision"))
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=status)


def upgrade(ctx: CliContext, args) -> int:
    db = Database(ctx.url)
    try:
        before, after = migrate.upgrade(db)
    finally:
        db.dispose()
    if ctx.json:
        ctx.emit({"before": before, "after": after})
    elif before == after:
        ctx.say(_("The schema is up to date (revision {rev})").format(rev=after))
    else:
        ctx.say(_("Schema migrated from {before} to {after}").format(before=before or "-", after=after))
    return 0


def status(ctx: CliContext, args) -> int:
    ctx.require_station()                 # looking must not create an empty file
    db = Database(ctx.url)
    try:
        rev = migrate.current_revision(db)
    finally:
        db.dispose()
    head = migrate.head_revision()
    if ctx.json:
        ctx.emit({"revision": rev, "head": head, "url": ctx.url})
    else:
        ctx.say(_("Schema revision {rev}; this program's newest is {head}").format(rev=rev or "-", head=head))
    return 0
