"""The kill test of issue 11.8: real `meterstation poll` processes deliver 100 meter commands
(trip / close / recharge on 10 simulated meters, over real TCP) while they are killed with SIGKILL
at random points and restarted - sometimes two at once - until every command is done; then each
simulated meter's journal must be exactly the commands queued for it, in order: every command
applied once, none lost, none twice. Relay commands must arrive in queue order; purchases in
number order (they are not ordered against relay commands)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from archive import service as svc
from billing.outbox import enqueue, next_purchase_number
from comms.simulator import Bus, TcpSimulator
from comms.simulator.spec import SimulatorSpec
from models.archive import Meter
from models.ledger import OutboxItem
from tests.service_ids import service_env

KINDS = ("meter.trip", "meter.close", "meter.recharge")
ROOT = Path(__file__).resolve().parents[4]
METERS = [f"{n:012d}" for n in range(1, 11)]
# per meter: 4 trips, 3 closes, 3 purchases; relay commands alternate, so each one changes the relay
PLAN = ["trip", "recharge", "close", "trip", "recharge", "close", "trip", "close", "recharge", "trip"]
ROUNDS = 14            # poller starts with kills; then one runs to the end
FAST = '{"timeout": "0.5", "retries": "1", "confirm_interval": "0.05"}'


def _queue(db, ids: dict[str, int]) -> dict[str, list[tuple]]:
    """Queue PLAN on every meter, interleaved across meters; the journal each meter must end with."""
    expected: dict[str, list[tuple]] = {a: [] for a in METERS}
    with db.write() as s:
        for step in PLAN:
            for address in METERS:
                mid = ids[address]
                if step == "recharge":
                    count = next_purchase_number(s, mid)
                    enqueue(s, "meter.recharge", account_id=None, meter_id=mid, priority=0,
                            payload={"amount": "5.00", "purchase_count": count})
                    expected[address].append(("purchase", count, __import__("decimal").Decimal("5.00")))
                else:
                    enqueue(s, f"meter.{step}", account_id=None, meter_id=mid, priority=0)
                    expected[address].append((step,))
    return expected


_SERVICE: dict[str, dict[str, str]] = {}


def _poller(url: str, tmp_path: Path, n: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(METERSTATION_CONFIG_DIR=os.environ["METERSTATION_CONFIG_DIR"], METERSTATION_TEST_MODE="1",
               HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    env.update(service_env(url) if url not in _SERVICE else _SERVICE[url])       # poll acts as the service identity
    _SERVICE[url] = {k: env[k] for k in ("METERSTATION_OPERATOR", "METERSTATION_PASSWORD")}
    log = open(tmp_path / f"poll-{n}.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", url, "poll"],
                            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc


def _states(db) -> dict[str, int]:
    with db.read() as s:
        return dict(s.execute(sa.select(OutboxItem.state, sa.func.count())
                              .where(OutboxItem.kind.in_(KINDS)).group_by(OutboxItem.state)).all())


def _ready(tmp_path: Path, numbers: range, timeout: float = 40) -> None:
    """Wait until these pollers said they poll (start-up takes seconds on a busy machine)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and not all(
            "Polling" in (tmp_path / f"poll-{n}.log").read_text() for n in numbers):
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_command_applied_exactly_once_through_kills(db, superadmin, tmp_path):
    rng = random.Random(int(os.environ.get("KILL_SEED", "11")))
    spec = ",".join(f"dlt645-2007:{a}/prepaid=1/balance=100/kw=0" for a in METERS)
    sim = TcpSimulator(Bus(SimulatorSpec.parse(spec).build(), baud=9600, latency=0.02))
    procs: list[subprocess.Popen] = []
    try:
        svc.add_link(db, superadmin, "bus1", sim.url)
        for n, address in enumerate(METERS, 1):
            svc.add_meter(db, superadmin, f"E{n}", address=address, link="bus1", protocol="dlt645-2007",
                          kind="electricity")
        with db.write() as s:
            s.execute(sa.update(Meter).values(options=FAST, profile="meterstation-sim-dlt645"))
            ids = dict(s.execute(sa.select(Meter.address, Meter.id)).all())
        expected = _queue(db, ids)
        Path(os.environ["METERSTATION_CONFIG_DIR"]).mkdir(parents=True, exist_ok=True)
        (Path(os.environ["METERSTATION_CONFIG_DIR"]) / "settings.json").write_text(
            '{"station.runs_jobs": false}', encoding="utf-8")      # only the outbox and reads
        kills, starts, doubles = 0, 0, 0
        t0 = time.monotonic()
        deadline = t0 + 300
        while _states(db).get("done", 0) < 100 and time.monotonic() < deadline and starts < ROUNDS:
            two = rng.random() < 0.35
            first = starts
            for _ in range(2 if two else 1):
                procs.append(_poller(db.url, tmp_path, starts))
                starts += 1
            doubles += two
            if rng.random() < 0.8:                    # else killed during start-up
                _ready(tmp_path, range(first, starts))
            time.sleep(rng.uniform(0.0, 3.0))
            for proc in procs:
                if rng.random() < 0.85:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
            for proc in list(procs):
                if proc.poll() is not None or proc.returncode is not None:
                    proc.wait()
                    procs.remove(proc)
                elif rng.random() < 0.5:                # survivors stay for the next round sometimes
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    procs.remove(proc)
            for proc in list(procs):
                try:
                    proc.wait(timeout=0.2)
                    procs.remove(proc)
                except subprocess.TimeoutExpired:
                    pass
            print(f"{time.monotonic() - t0:6.1f}s starts {starts} kills {kills} alive {len(procs)} {_states(db)}")
        if _states(db).get("done", 0) < 100:          # the last stretch without kills
            procs.append(_poller(db.url, tmp_path, starts))
            end = time.monotonic() + 120
            while _states(db).get("done", 0) < 100 and time.monotonic() < end:
                time.sleep(0.5)
        states = _states(db)
        logs = "\n".join((tmp_path / f"poll-{i}.log").read_text()[-1500:] for i in range(max(0, starts - 2), starts))
        assert states == {"done": 100}, (states, logs)
        assert kills >= 5 and doubles >= 1, (kills, doubles)
        print(f"starts {starts}, kills {kills}, two at once {doubles}")
        for address in METERS:          # relay commands in queue order; purchases in number order
            journal = sim.bus.meter(address).journal
            for kinds in (("trip", "close"), ("purchase",)):
                got = [j for j in journal if j[0] in kinds]
                assert got == [j for j in expected[address] if j[0] in kinds], (address, journal)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
        sim.stop()
