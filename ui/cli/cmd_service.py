"""`service install|uninstall|status`: the headless polling service (集中抄表服务), i.e.
`meterstation poll` started at boot and restarted after a failure.

Linux: a systemd unit (/etc/systemd/system/meterstation-poll.service, run as --user, logs to the
journal), enabled and started with systemctl. Windows: a scheduled task started at boot (Task
Scheduler XML through schtasks, no time limit, restarted after a failure). `--print` / `--dry-run`
only show what would be written and run. Only the job station runs the scheduled jobs
(setting automation.job_station, station/runtime.py); `status` shows which one it is.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from models import settings
from models.errors import InvalidInput, StationError
from resources.i18n import _
from ui.cli import service_units as su
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("service", help=_("install, remove or show the headless polling service"))
    s = p.add_subparsers(dest="service_command", required=True, metavar="ACTION")
    ins = s.add_parser("install", help=_("install and start the polling service (systemd unit; Windows task)"))
    ins.add_argument("--user", help=_("the account the service runs as (default: the current user)"))
    ins.add_argument("--print", "--dry-run", dest="dry_run", action="store_true",
                     help=_("only print the unit (task) and the commands; change nothing"))
    ins.add_argument("--unit-dir", metavar="DIR",
                     help=_("write the systemd unit into DIR (default /etc/systemd/system)"))
    ins.add_argument("--no-enable", action="store_true", help=_("write the unit but do not enable or start it"))
    ins.add_argument("--jobs", action="store_true",
                     help=_("make this station the one that runs the scheduled jobs (needs an administrator)"))
    ins.add_argument("--identity", default="service", metavar="NAME",
                     help=_("the service identity the service acts as (default service; made when it has no "
                            "secret yet)"))
    ins.set_defaults(func=install)
    ident = s.add_parser("identity", help=_("create the station's service identity or give it a new secret "
                                            "(needs an administrator)"))
    ident.add_argument("--name", default="service", help=_("its operator name (default service)"))
    ident.add_argument("--json", action="store_true")
    ident.set_defaults(func=identity)
    un = s.add_parser("uninstall", help=_("stop and remove the polling service (the database stays)"))
    un.add_argument("--print", "--dry-run", dest="dry_run", action="store_true",
                    help=_("only print the commands; change nothing"))
    un.add_argument("--unit-dir", metavar="DIR", help=_("the folder of the systemd unit (default /etc/systemd/system)"))
    un.add_argument("--no-enable", action="store_true", help=_("only remove the unit file; run no systemctl"))
    un.set_defaults(func=uninstall)
    st = s.add_parser("status", help=_("is the service installed and running; which station runs the jobs"))
    st.add_argument("--unit-dir", metavar="DIR", help=_("the folder of the systemd unit (default /etc/systemd/system)"))
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=status)


def _windows() -> bool:
    return sys.platform == "win32" or os.environ.get("METERSTATION_SERVICE_PLATFORM") == "windows"


def _unit_path(args) -> Path:
    return Path(args.unit_dir or su.UNIT_DIR) / su.UNIT_NAME


def _as_service_user(args, user: str) -> None:
    """`sudo meterstation service install [--user NAME]`: the service runs as that account (default
    the one that called sudo) on ITS settings and database, not root's, unless given explicitly."""
    if sys.platform == "win32" or os.geteuid() != 0 or user == "root":
        return
    import pwd

    try:
        home = Path(pwd.getpwnam(user).pw_dir)
    except KeyError:
        raise InvalidInput(_("There is no account {user} on this computer").format(user=user)) from None
    if not os.environ.get("METERSTATION_CONFIG_DIR"):
        os.environ["METERSTATION_CONFIG_DIR"] = str(home / ".config" / "MeterStation")
    if not getattr(args, "db", None) and not os.environ.get("METERSTATION_DB"):
        args.db = settings.get_local("station.db_url") or f"sqlite:///{home / '.local/share/MeterStation/station.db'}"
    if args.db.startswith("sqlite:///") and not Path(args.db.removeprefix("sqlite:///")).exists():
        # root must not create the account's database (it would own it)
        raise InvalidInput(_("The database {url} does not exist yet: start the station once as {user}, "
                             "or give --db").format(url=args.db, user=user))


def _plan(ctx: CliContext, args) -> su.ServicePlan:
    user = args.user or su.default_user()
    if not args.dry_run:
        _as_service_user(args, user)
    from access.service_identity import secret_path

    return su.ServicePlan(program=su.this_program(), db_url=su.absolute_url(ctx.url),
                          config_dir=str(settings.config_dir().resolve()), user=user,
                          identity=args.identity, secret_file=str(secret_path().resolve()))


def _make_identity(ctx: CliContext, name: str, owner: str | None = None) -> Path:
    """Create (or give a new secret to) the service identity as the logged-in administrator and
    write its secret into the config folder, 0600 (owned by the service's account)."""
    from access import service_identity

    secret = service_identity.make_identity(ctx.db(), ctx.actor(), name)
    return service_identity.write_secret(service_identity.secret_path(), secret, owner)


def _ensure_identity(ctx: CliContext, plan: su.ServicePlan) -> None:
    """The service logs in as its identity: made (by the administrator installing) when its
    secret file is not there yet; an existing secret is kept (`service identity` renews it)."""
    if not Path(plan.poll_args[-1]).exists():
        _make_identity(ctx, plan.identity, plan.user)


def identity(ctx: CliContext, args) -> int:
    path = _make_identity(ctx, args.name)
    if ctx.json:
        ctx.emit({"identity": args.name, "secret_file": str(path)})
    else:
        ctx.say(_("Service identity {name}: its secret is in {path} (readable by this account only); "
                  "the polling service logs in with it").format(name=args.name, path=path))
    return 0


def _run(ctx: CliContext, commands: list[list[str]], dry_run: bool, *, check: bool = True) -> None:
    for cmd in commands:
        line = su.windows_quote(cmd) if _windows() else " ".join(cmd)
        if dry_run:
            ctx.say(line)
            continue
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except OSError as e:
            raise StationError(_("Cannot run {cmd}: {reason}").format(cmd=cmd[0], reason=e.strerror or e)) from None
        if check and r.returncode != 0:
            reason = (r.stderr or r.stdout).strip().splitlines()[-1:] or [str(r.returncode)]
            raise StationError(_("{cmd} failed: {reason}").format(cmd=line, reason=reason[0]))


def _job_station(ctx: CliContext) -> dict:
    """Who runs the scheduled jobs: the setting, this station, and whether this service will."""
    chosen = str(settings.all_db_settings(ctx.db()).get("automation.job_station") or "").strip()
    local = bool(settings.get_local("station.runs_jobs"))
    return {"station": ctx.station, "job_station": chosen,
            "runs_jobs": local and (not chosen or chosen == ctx.station)}


def _say_jobs(ctx: CliContext, info: dict) -> None:
    if not info["job_station"]:
        ctx.say(_("Scheduled jobs: any station may run them (automation.job_station is empty); with several "
                  "stations on one database choose one: meterstation settings set automation.job_station NAME"))
    elif info["runs_jobs"]:
        ctx.say(_("Scheduled jobs: this station ({station}) runs them").format(station=info["station"]))
    else:
        ctx.say(_("Scheduled jobs: station {job} runs them; this station ({station}) only polls").format(
            job=info["job_station"], station=info["station"]))


def install(ctx: CliContext, args) -> int:
    if args.user is not None and not args.user.strip():
        raise InvalidInput(_("--user needs an account name"))
    plan = _plan(ctx, args)
    info = _job_station(ctx)              # also checks that the database opens before installing
    if args.jobs and not args.dry_run:
        settings.put(ctx.db(), ctx.actor(), "automation.job_station", ctx.station)
        info = _job_station(ctx)
    description = _("MeterStation polling service")
    if _windows():
        xml = su.task_xml(plan, description)
        if args.dry_run:
            ctx.say(xml)
            _run(ctx, [su.schtasks_install("meterstation-task.xml"), su.schtasks_run()], True)
            return 0
        _ensure_identity(ctx, plan)
        with tempfile.TemporaryDirectory() as tmp:
            xml_file = Path(tmp) / "meterstation-task.xml"
            xml_file.write_text(xml, encoding="utf-16")
            _run(ctx, [su.schtasks_install(str(xml_file)), su.schtasks_run()], False)
        ctx.say(_("Scheduled task {name} installed: starts at boot").format(name=su.TASK_NAME))
        _say_jobs(ctx, info)
        return 0
    unit = su.systemd_unit(plan, description)
    path = _unit_path(args)
    if args.dry_run:
        ctx.say(f"# {path}")
        ctx.say(unit)
        _run(ctx, [] if args.no_enable else su.systemctl_install(), True)
        return 0
    if not path.parent.is_dir():
        raise InvalidInput(_("The folder {folder} does not exist").format(folder=path.parent))
    _ensure_identity(ctx, plan)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if su.url_has_password(plan.db_url) else 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(unit)
    except PermissionError:
        raise StationError(_("Cannot write {path}: run this command as root (sudo)").format(path=path)) from None
    if not args.no_enable:
        _run(ctx, su.systemctl_install(), False)
    ctx.say(_("Service unit written to {path}").format(path=path))
    ctx.say(_("The service polls {url} as {user} (settings in {folder})").format(
        url=plan.db_url, user=plan.user, folder=plan.config_dir))
    _say_jobs(ctx, info)
    return 0


def uninstall(ctx: CliContext, args) -> int:
    if _windows():
        _run(ctx, su.schtasks_uninstall()[:1], args.dry_run, check=False)     # not running is fine
        _run(ctx, su.schtasks_uninstall()[1:], args.dry_run)
        if not args.dry_run:
            ctx.say(_("Scheduled task {name} removed").format(name=su.TASK_NAME))
        return 0
    path = _unit_path(args)
    if not args.no_enable:
        _run(ctx, su.systemctl_uninstall(), args.dry_run, check=False)
    if args.dry_run:
        ctx.say(f"rm {path}")
        return 0
    if not path.exists():
        raise InvalidInput(_("The polling service is not installed ({path} does not exist)").format(path=path))
    try:
        path.unlink()
    except PermissionError:
        raise StationError(_("Cannot remove {path}: run this command as root (sudo)").format(path=path)) from None
    if not args.no_enable:
        _run(ctx, [["systemctl", "daemon-reload"]], False, check=False)
    ctx.say(_("Service unit {path} removed; the database is kept").format(path=path))
    return 0


def status(ctx: CliContext, args) -> int:
    info = _job_station(ctx)
    if _windows():
        try:
            r = subprocess.run(su.schtasks_query(), capture_output=True, text=True, timeout=30)
            installed, state = r.returncode == 0, ("installed" if r.returncode == 0 else "not installed")
        except OSError:
            installed, state = False, "unknown"
        out = {"service": su.TASK_NAME, "installed": installed, "enabled": state, "active": state}
    else:
        path = _unit_path(args)
        systemd = su.systemctl_state() if path.exists() else {"is-enabled": "not installed", "is-active": "inactive"}
        out = {"service": str(path), "installed": path.exists(), "enabled": systemd["is-enabled"],
               "active": systemd["is-active"]}
    out.update(info)
    if ctx.json:
        ctx.emit(out)
        return 0
    ctx.say(_("Polling service {service}: installed {installed}, enabled {enabled}, running {active}").format(
        service=out["service"], installed=_("yes") if out["installed"] else _("no"),
        enabled=out["enabled"], active=out["active"]))
    _say_jobs(ctx, info)
    return 0
