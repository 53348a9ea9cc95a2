"""Starting simulated meters on an operator's say-so (`meterstation simulate` at a real station).

A simulated bus answers with invented readings: a station link pointed at it would charge
them. Outside tests and demo mode (where comms.simulator.check_allowed lets the simulator run
without anyone) it is started only by an operator holding RIGHT, the refusal is logged as
denied, and the start is logged as `simulator.start` with the address it listens on.

RIGHT is `settings_edit` (an administrator's right): starting fake meters is commissioning the
station's surroundings, like its settings, and is kept apart from `archive_edit` — a clerk's
role that types meters and links in must not alone be able to both run a fake bus and point a
link at it. `meter_read`/`relay_control` (a cashier's and the service's) talk to real meters
and say nothing about making them up.
"""
from __future__ import annotations

from comms.simulator import start_simulator
from comms.simulator.server import PtySimulator, TcpSimulator
from models.audit import audited, record
from models.db import Database
from models.rights import Actor

RIGHT = "settings_edit"
ACTION = "simulator.start"


def start(db: Database, actor: Actor, spec: str | None, *, pty: bool = False, host: str = "127.0.0.1",
          port: int = 0, baud: int = 2400, latency: float = 0.03) -> TcpSimulator | PtySimulator:
    """Check the right (a refusal is logged), serve the bus, log `simulator.start` with its URL.

    The simulator is stopped again when the log row cannot be written: no bus runs unlogged."""
    asked = "pty" if pty else f"{host}:{port}"
    with audited(db, actor, ACTION, asked):
        actor.require(RIGHT)
    # the right is checked here; explicit_cli tells comms that a front end has vouched for the start
    sim = start_simulator(spec, pty=pty, host=host, port=port, baud=baud, latency=latency, explicit_cli=True)
    try:
        with db.write() as s:
            record(s, actor, ACTION, sim.url, {"listen": sim.url, "meters": spec or "default", "baud": baud})
    except BaseException:
        sim.stop()
        raise
    return sim
