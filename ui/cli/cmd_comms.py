"""Meter I/O from the command line: `read`, `control`, `poll`, `simulate`.

`read`/`control` take either --url/--protocol/--address (commissioning a meter on the bench) or a
METER_NO from the archive. `control` always acts as an operator with the right to control, through
the control service (billing/control.py: right and area checked, refusal and outcome logged; the
--url form is logged with the URL). `read --url` needs no database.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from comms.errors import CommsError
from comms.interfaces import ACTIONS, PROTOCOLS, QUANTITIES, MeterConfig
from comms.session import LinkSession
from models.errors import InvalidInput, NotFound
from resources.i18n import _
from ui.cli.context import CliContext


def _target(p: argparse.ArgumentParser) -> None:
    p.add_argument("meter", nargs="?", metavar="METER_NO", help=_("meter number in the archive"))
    p.add_argument("--url", help="serial:///dev/ttyUSB0?baud=2400&parity=E | tcp://HOST:PORT | modbus-tcp://HOST:PORT")
    p.add_argument("--protocol", choices=PROTOCOLS)
    p.add_argument("--profile", help=_("Modbus register profile, e.g. eastron-sdm630"))
    p.add_argument("--address", help=_("nameplate address (12/14 digits) or Modbus unit id"))
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help=_("meter option, e.g. password=000000 (repeatable)"))
    p.add_argument("--json", action="store_true")


def register(sub) -> None:
    r = sub.add_parser("read", help=_("read a meter now"))
    _target(r)
    r.add_argument("--quantity", help=_("default: by meter kind (electricity: energy; water, gas: "
                                        "volume, valve; heat: volume)") + "; " + ", ".join(QUANTITIES))
    r.set_defaults(func=read)
    c = sub.add_parser("control", help=_("send a relay or valve command and confirm it"),
                       epilog=_("Exit status: 0 confirmed, 1 refused by the meter, 3 accepted but not "
                                "confirmed, 4 no reply, 5 garbled reply, 6 link failed."))
    _target(c)
    c.add_argument("action", choices=ACTIONS)
    c.set_defaults(func=control)
    p = sub.add_parser("poll", help=_("poll the meters (--once: one pass, then exit)"))
    p.add_argument("--once", action="store_true")
    p.add_argument("--link", action="append", help=_("only this link (repeatable)"))
    p.add_argument("--quantity", help=_("read these quantities instead of each meter's defaults"))
    p.add_argument("--password-file", metavar="FILE",
                   help=_("the service identity's secret is in FILE (as written by 'meterstation service identity')"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=poll)
    s = sub.add_parser("simulate", help=_("run a bus of simulated meters (tests, demos, or an administrator)"))
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--listen", metavar="HOST:PORT")
    where.add_argument("--pty", action="store_true")
    s.add_argument("--meters", metavar="SPEC",
                   help=_("e.g. dlt645-2007:000000000001-000000000040,cjt188:00000000000001-00000000000008"))
    s.add_argument("--baud", type=int, default=2400)
    s.add_argument("--latency", type=float, default=0.03)
    s.set_defaults(func=simulate)


def _options(args) -> dict[str, str]:
    """--option KEY=VALUE items, checked for the protocol (models/meter_options.py; unknown keys refused)."""
    from models.meter_options import check_options, parse_items

    checked = check_options(args.protocol or "", parse_items(args.option))
    return {k: v for k, v in checked.items() if v != ""}


def _resolve(ctx: CliContext, args, right: str, actor=None):
    """(url, config, meter_id, actor) for --url... or METER_NO (`actor`: already logged in)."""
    if args.url:
        if args.meter or not args.protocol or not args.address:
            raise InvalidInput(_("Give either METER_NO, or --url with --protocol and --address"))
        return args.url, MeterConfig(args.protocol, args.address, args.profile, _options(args)), None, None
    if not args.meter:
        raise InvalidInput(_("Give either METER_NO, or --url with --protocol and --address"))
    import sqlalchemy as sa

    from billing.lookup import room_building
    from comms.polling.archive_plans import link_url_for, meter_config
    from models.archive import Link, Meter
    from models.audit import require_read

    if actor is None:        # `read`: its right before the meter is looked up (a refusal is logged)
        actor = ctx.reader(right, "meter.read", args.meter) if right else ctx.actor()
    with ctx.db().read() as s:
        row = s.execute(sa.select(Meter, Link).join(Link, Link.id == Meter.link_id, isouter=True)
                        .where(Meter.number == args.meter)).first()
        if row is None:
            raise NotFound(_("There is no meter {number}").format(number=args.meter))
        meter, link = row
        url = link_url_for(s, link) if link is not None else ""      # profile serial defaults applied
        building = room_building(s, meter.room_id)
    if right:                # then on the meter's building (a meter in no room: all-area operators only)
        require_read(ctx.db(), actor, right, "meter.read", args.meter, -1 if building is None else building)
    if not url:
        raise InvalidInput(_("Meter {number} is on no link").format(number=args.meter))
    return url, meter_config(meter), meter.id, actor


# what `read` reads when --quantity is not given and the meter's kind is not known (--url)
PROTOCOL_KIND = {"cjt188": "water"}


def _default_quantities(ctx: CliContext, args, protocol: str) -> list[str]:
    """The poller's quantities for the meter's kind (comms.polling.archive_plans.quantities_for)."""
    from comms.polling.archive_plans import quantities_for

    kind = PROTOCOL_KIND.get(protocol, "electricity")
    if args.meter:
        import sqlalchemy as sa

        from models.archive import Meter

        with ctx.db().read() as s:
            kind = s.execute(sa.select(Meter.kind).where(Meter.number == args.meter)).scalar_one_or_none() or kind
    return list(quantities_for(kind, None))


def read(ctx: CliContext, args) -> int:
    quantities = [q.strip() for q in (args.quantity or "").split(",") if q.strip()]
    unknown = [q for q in quantities if q not in QUANTITIES]
    if unknown:
        raise InvalidInput(_("Unknown quantity {q}; choose from {known}")
                           .format(q=unknown[0], known=", ".join(QUANTITIES)))
    url, config, _id, _actor = _resolve(ctx, args, "meter_read")
    if not quantities:
        quantities = _default_quantities(ctx, args, config.protocol)
    with LinkSession(url) as link:
        values = link.driver(config).read(quantities)
    if ctx.json:
        ctx.emit({q: str(v.value) for q, v in values.items()})
    else:
        for q, v in values.items():
            ctx.say(f"{q:<12} {v.value} {v.unit or ''}".rstrip())
    return 0


# control outcomes (issue 15.5): status -> exit code; 2 stays "wrong usage"
CONTROL_EXIT = {"confirmed": 0, "refused": 1, "unsupported": 1, "unconfirmed": 3, "no-reply": 4,
                "garbled": 5, "link-error": 6}


def _control_outcome(result, error: CommsError | None) -> tuple[str, str]:
    """(status, translated one-line message) of a control attempt."""
    from comms.errors import LinkError, MeterRefused, NoReply, ProtocolError, Unsupported

    if error is None:
        if result.status == "confirmed":
            return "confirmed", _("{action}: confirmed by the meter").format(action=result.action)
        if result.status == "unconfirmed":
            return "unconfirmed", _("{action}: accepted by the meter but not confirmed ({detail})").format(
                action=result.action, detail=result.detail)
        return "refused", _("{action}: refused by the meter ({detail})").format(
            action=result.action, detail=result.detail)
    for kind, status in ((NoReply, "no-reply"), (ProtocolError, "garbled"), (LinkError, "link-error"),
                         (MeterRefused, "refused"), (Unsupported, "unsupported")):
        if isinstance(error, kind):
            return status, str(error)
    return "refused", str(error)


def control(ctx: CliContext, args) -> int:
    """Exit 0 confirmed, 1 refused (or not offered), 3 accepted but not confirmed, 4 no reply,
    5 garbled reply, 6 link failed; --json prints {"action", "status", "accepted", "confirmed",
    "detail"} in every one of these outcomes."""
    from billing.control import direct_command, require_control

    # both forms act as an operator with the right to control (checked and logged by the control
    # service, billing/control.py); the --url form (commissioning) is logged with the URL. The
    # right is checked before METER_NO is looked up: a refusal says nothing of which meters exist
    actor = None
    if args.meter and not args.url:
        actor = ctx.actor()
        require_control(ctx.db(), actor, args.action, args.meter)
    url, config, meter_id, actor = _resolve(ctx, args, "", actor)
    if actor is None:
        actor = ctx.actor()
    result, error = None, None

    def send() -> dict:
        nonlocal result, error
        with LinkSession(url) as link:
            driver = link.driver(config)        # a bad address or option: one line, exit 1
            try:
                result = driver.control(args.action)
            except CommsError as e:
                error = e
        status = _control_outcome(result, error)[0]
        return {"status": status, "number": args.meter or "", "error": str(error) if error else None}

    direct_command(ctx.db(), actor, args.action, send, meter_id=meter_id, number=args.meter or "",
                   url="" if meter_id else url)
    status, message = _control_outcome(result, error)
    if ctx.json:
        ctx.emit({"action": args.action, "status": status,
                  "accepted": bool(result and result.accepted), "confirmed": status == "confirmed",
                  "detail": "" if status == "confirmed" else (result.detail if result else str(error))})
    elif status == "confirmed":
        ctx.say(message)
    if status != "confirmed":
        print(f"meterstation: {message}", file=sys.stderr)
    return CONTROL_EXIT[status]


def poll(ctx: CliContext, args) -> int:
    """--once: poll every meter once, settle, apply arrears, deliver the outbox, print the summary;
    otherwise the headless service (poller + the scheduler on the job station) until a signal.
    Acts as the station's service identity (or another operator with the poll right): its
    settlement charges, arrears trips and meter commands are logged under its name."""
    from access import service_identity
    from models import settings
    from station.runtime import StationRuntime

    db = ctx.db()
    quantities = tuple(q.strip() for q in args.quantity.split(",") if q.strip()) if args.quantity else None
    unknown = [q for q in quantities or () if q not in QUANTITIES]
    if unknown:
        raise InvalidInput(_("Unknown quantity {q}; choose from {known}")
                           .format(q=unknown[0], known=", ".join(QUANTITIES)))
    actor = ctx.service_actor(args.password_file)
    runs_jobs = not args.once and bool(settings.get_local("station.runs_jobs")) and not args.link
    service_identity.start_polling(db, actor, "once" if args.once else "service")
    runtime = StationRuntime(db, station=ctx.station, run_jobs=runs_jobs, actor=actor,
                             link_names=set(args.link) if args.link else None, quantities=quantities)
    try:
        if args.once:
            summary = runtime.run_once()
        else:
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_a: stop.set())
            from ui.cli import service_log

            service_log.configure()
            cycle_log = service_log.CycleLog(runtime.events, service_log.cycle_seconds(runtime.plans),
                                             {p.link_id: p.name for p in runtime.plans})
            runtime.start()
            ctx.say(_("Polling {n} meters on {links} links; stop with Ctrl-C").format(
                n=sum(len(p.meters) for p in runtime.plans), links=len(runtime.plans)))
            if runtime.runs_jobs:
                ctx.say(_("This station runs the scheduled jobs"))
            sys.stdout.flush()
            try:
                stop.wait()
            finally:
                cycle_log.stop()
            runtime.stop()
            from models.db import retried_total

            # counted by models/db.py @retrying in this process (the soak benchmark reads it)
            ctx.say(_("Deadlocks and serialization failures retried: {n}").format(n=retried_total()))
            return 0
    finally:
        runtime.stop()
    if ctx.json:
        ctx.emit({"meters": summary.meters, "ok": summary.ok, "failed": summary.failed,
                  "seconds": f"{summary.seconds:.2f}"})
    else:
        ctx.say(_("{meters} meters: {ok} read, {failed} failed in {seconds} s").format(
            meters=summary.meters, ok=summary.ok, failed=summary.failed, seconds=f"{summary.seconds:.1f}"))
    if summary.failed_links:            # a link that failed is a failed poll, never a silent 0
        print(_("meterstation: {n} link(s) failed, {unreachable} meter(s) unreachable: {links}").format(
            n=len(summary.failed_links), unreachable=summary.unreachable,
            links="; ".join(summary.failed_links)), file=sys.stderr)
        return 1
    return 0


def _unattended_simulator() -> bool:
    """Test mode and demo mode run simulated meters without an operator (comms.simulator.check_allowed)."""
    import os

    return os.environ.get("METERSTATION_TEST_MODE") == "1" or os.environ.get("METERSTATION_DEMO") == "1"


def simulate(ctx: CliContext, args) -> int:
    """Serve simulated meters until a signal. At a real station (not test or demo mode) only an
    operator with the right (station/simulator.py: settings_edit) starts them; the refusal and
    the start (`simulator.start`, with the address) are logged."""
    from comms.simulator import start_simulator

    host, port = "127.0.0.1", 0
    if args.listen:
        host, _sep, port_text = args.listen.rpartition(":")
        try:
            port = int(port_text)
        except ValueError:
            raise InvalidInput(_("--listen needs HOST:PORT")) from None
    where = {"pty": args.pty, "host": host or "127.0.0.1", "port": port, "baud": args.baud, "latency": args.latency}
    actor = None if _unattended_simulator() else ctx.actor()      # logged in before the signals are ours
    stop = threading.Event()         # before the URL is printed: whoever reads it may stop us at once
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_a: stop.set())
    if actor is None:
        sim = start_simulator(args.meters, explicit_cli=True, **where)
    else:
        from station import simulator as station_simulator

        sim = station_simulator.start(ctx.db(), actor, args.meters, **where)
        ctx.close()                  # the database is not needed while the meters are served
    print(sim.url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


__all__ = ["register", "time"]
