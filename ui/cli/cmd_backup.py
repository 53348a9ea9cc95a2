"""`backup FILE`, `restore FILE` — the station's SQLite database (models/backup.py).

restore replaces the database file: run it with the station and the polling service stopped.
A backup is signed with the station key (FILE.sig, beside it, carrying the log's chain head);
restore refuses a backup without a valid signature or whose log does not reach that head.
The acting operator needs the "restore" right in the current database; when there is no
database file at all (a new PC, a lost disk), the operator logs in on the verified backup.
"""
from __future__ import annotations

from pathlib import Path

from access import login as auth
from models import backup as backups
from models import backup_sign, station_files
from models.db import Database
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    b = sub.add_parser("backup", help=_("back the database up into FILE (the station keeps working)"))
    b.add_argument("file", metavar="FILE")
    b.add_argument("--force", action="store_true", help=_("replace FILE if it is an older backup"))
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=backup_)
    r = sub.add_parser("restore", help=_("replace the database with the backup FILE (stop the station first)"))
    r.add_argument("file", metavar="FILE")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=restore_)


def backup_(ctx: CliContext, args) -> int:
    station_files.output_path(args.file, url=ctx.url, force=args.force, backup=True)
    actor = ctx.actor()
    path = backups.backup(ctx.db(), actor, args.file)
    size = path.stat().st_size
    anchor = backup_sign.check(path)
    sig = backup_sign.sig_path(path.absolute())
    if ctx.json:
        ctx.emit({"file": str(path.absolute()), "bytes": size, "signature": str(sig), "anchor": str(anchor)})
    else:
        ctx.say(_("Backup written to {file} ({size} bytes)").format(file=path.absolute(), size=size))
        ctx.say(_("Signed in {sig}; log head {anchor} (keep it: 'log verify --anchor' checks against it)")
                .format(sig=sig, anchor=anchor))
    return 0


def _login(ctx: CliContext):
    name, password = ctx.credentials()

    def login(db: Database):
        return auth.login(db, name, password, ctx.station)
    return login


def restore_(ctx: CliContext, args) -> int:
    login = _login(ctx)
    target = backups.sqlite_path(ctx.url)
    if target is not None and target.exists() and target.stat().st_size > 0:
        where = ctx.db()
    else:
        where = ctx.url
    kept = backups.restore(where, login, args.file)
    ctx.close()
    if ctx.json:
        ctx.emit({"restored": str(Path(args.file).absolute()), "kept": str(kept) if kept else None})
    elif kept:
        ctx.say(_("Restored from {file}; the old database is kept as {kept}").format(file=args.file, kept=kept))
    else:
        ctx.say(_("Restored from {file}").format(file=args.file))
    return 0
