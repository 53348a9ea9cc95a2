"""Demo mode: a fresh, filled station in a temporary folder, its meters simulated on loopback.

    demo = create_demo_station("收费窗口1")     # METERSTATION_DEMO=1, operator demo / demo-admin
    ... Database.open(demo.url) ...
    demo.stop()                                 # stops the simulators' process (also demo.close())

What it builds (seeded, so every demo looks the same): a site with two buildings, their floors,
flats and shops; 144 meters on 4 links — 96 DL/T 645-2007 electricity meters, 24 Modbus meters
of the simulator's prepaid profile, 24 CJ/T 188 water meters; customers with phones; flat,
time-of-use, tiered and water tariffs; accounts in every billing mode and state (normal, alarm 1,
alarm 2, arrears/tripped, keep-power, closed, not opened, lost meter); and three months of
history (ui/demo_history.py): a reading every day per meter, station-side settlement, postpaid
bills, and sales with receipts. The archive and customers go in one archive import (the service
behind `meterstation archive import`), tariffs, accounts and closes through their services (one
operation-log row each); the history is one transaction with backdated times,
generated in bulk with the billing rules (settlement.charge_binding and pricing.preview_in over
entries and tier cycles kept in memory, written with executemany: ui/demo_history.py; the
real calls one by one, ledger.post, receipts.issue, the outbox, remain as the reference a test
compares it with), logged as one "demo.history" row; past scheduled jobs are recorded as run.
The simulators start with each meter's energy at its last stored reading, so the first live poll
neither jumps nor goes backwards. They run in one child process (comms/simulator/process.py), as
real meters are not in the station's process: their threads would share the window's interpreter
lock. simulate="thread" keeps them in this process for tests that reach into a meter.
"""
from __future__ import annotations

import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from archive import service as archive_service
from comms.simulator.plan import LinkPlan, start_link
from comms.simulator.process import SimulatorProcess
from models import station_time
from models.db import Database
from ui import demo_cache
from ui.demo_bulk import add_bulk_meters, bulk_plans
from ui.demo_history import DAYS, FLAT, PRICES, TIERED, TOU, WATER, DemoMeter, close_accounts, jobs_done, replay

DEMO_OPERATOR = "demo"
DEMO_PASSWORD = "demo-admin"
CASHIER_PASSWORD = "demo-cashier"
CASHIERS = ("wang", "li")
LINKS = (("A栋电表总线", "dlt645-2007", 9600), ("B栋商铺电表总线", "dlt645-2007", 9600),
         ("B栋三层预付费表(Modbus)", "modbus", 9600), ("A栋水表集中器", "cjt188", 2400))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅鹏飞建国志文斌"
SHOPS = ("便利店", "水果店", "面馆", "服装店", "理发店", "药店", "五金店", "奶茶店", "眼镜店", "花店",
         "烟酒店", "早餐店", "干洗店", "文具店", "手机店", "母婴店")


@dataclass
class DemoStation:
    folder: Path
    url: str
    operator: str = DEMO_OPERATOR
    password: str = DEMO_PASSWORD
    simulators: list[Any] = field(default_factory=list)      # in this process (simulate="thread")
    process: SimulatorProcess | None = None                   # the child serving them (the default)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def stop(self) -> None:
        """Stop the simulators: the child process (ended, waited for) or the threads (idempotent)."""
        if self.process is not None:
            self.process.stop()
            self.process = None
        while self.simulators:
            self.simulators.pop().stop()

    close = stop

    def __enter__(self) -> DemoStation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_demo_station(station: str, folder: str | None = None, *, simulate: bool | str = True,
                        seed: int = 20240901, meters: int = 144) -> DemoStation:
    """Create and fill the demo database and start its simulated meters: simulate=True or
    "process" (the default) serves every link from one child process (comms/simulator/process.py,
    its log `simulators.log` in the folder), "thread" from threads of this process (tests that
    reach into a meter: demo.simulators[i].bus), False none (the links get placeholder URLs).
    meters > 144: the rest are plain meters without accounts on links of 100 (ui/demo_bulk.py).
    A child that cannot start raises one LinkError; nothing is left running then."""
    started, total = time.perf_counter(), meters
    if simulate not in (True, False, "process", "thread"):
        raise ValueError(f"simulate={simulate!r}: True, False, 'process' or 'thread'")
    path = Path(folder or tempfile.mkdtemp(prefix="meterstation-demo-"))
    path.mkdir(parents=True, exist_ok=True)
    os.environ["METERSTATION_DEMO"] = "1"
    url = f"sqlite:///{path / 'demo.db'}"
    demo = DemoStation(path, url)
    if simulate in (True, "process"):
        # started first: the child's start-up and imports overlap the build below
        demo.process = SimulatorProcess(log=path / "simulators.log")
    try:
        _fill(demo, station, seed, total, simulate)
    except BaseException:
        demo.stop()
        raise
    demo.seconds = time.perf_counter() - started
    return demo


def _fill(demo: DemoStation, station: str, seed: int, total: int, simulate: bool | str) -> None:
    path = demo.folder
    k = demo_cache.key(station, seed) if demo_cache.enabled() else ""
    cached = demo_cache.load(k, path / "demo.db") if k else None
    db = Database.open(demo.url, upgrade=True)
    _unsynced(db)
    try:
        admin = None
        if cached is not None:
            meters, demo.counts = cached
            demo.counts = dict(demo.counts, cached=1)
            admin = auth.login(db, DEMO_OPERATOR, DEMO_PASSWORD, station)
        else:
            admin, meters, demo.counts = build(db, station, seed)
            if k:
                db.close_connections()          # a consistent file to copy
                demo_cache.store(k, path / "demo.db", meters, demo.counts)
        extra = total - len(meters)
        plans = link_plans(meters) + bulk_plans(extra)
        urls: list[str] | None = None
        if demo.process is not None:
            urls = demo.process.start(plans)
        elif simulate == "thread":
            for plan in plans:
                demo.simulators.append(start_link(plan, demo=True))
            urls = [sim.url for sim in demo.simulators]
        if urls is not None:
            for (name, _protocol, baud), link_url in zip(LINKS, urls, strict=False):
                archive_service.update_link(db, admin, name, url=f"{link_url}?baud={baud}")
        demo.counts["bulk"] = add_bulk_meters(db, admin, extra, days=DAYS,
                                              urls=urls[len(LINKS):] if urls is not None else None)
    finally:
        db.dispose()
    demo.counts["meters"] = len(meters) + demo.counts.get("bulk", 0)


def build(db: Database, station: str, seed: int, *, now: datetime | None = None,
          bulk: bool = True) -> tuple[Any, list[DemoMeter], dict[str, int]]:
    """Fill an empty, upgraded database with the demo: the demo administrator, the archive,
    cashiers, accounts, the history up to `now` (bulk: generated in bulk, else through the real
    billing calls one by one, ui/demo_history.py), the closed accounts and the past jobs.
    Returns (the administrator logged in, the planned meters, counts)."""
    operator_service.create_first_operator(db, DEMO_OPERATOR, DEMO_PASSWORD, station)
    admin = auth.login(db, DEMO_OPERATOR, DEMO_PASSWORD, station)
    rng = random.Random(seed)
    meters = _plan(rng)
    now = now or datetime.now(UTC)
    times = _reading_times(now)
    _plan_uses(rng, meters, times)
    customers = _archive(db, admin, meters)
    cashiers = [_cashier(db, admin, name, station) for name in CASHIERS]
    _open_accounts(db, admin, meters, customers)
    counts = replay(db, admin, cashiers, meters, times, rng, bulk=bulk)
    close_accounts(db, admin, meters)
    counts["jobs"] = jobs_done(db, station, now)       # the history's moment, not the clock's:
    # two builds for the same moment (tests/ui/runtime/test_demo_bulk.py) record the same jobs
    return admin, meters, counts


def _unsynced(db: Database) -> None:
    """Build the demo file without waiting for the disk at each commit (PRAGMA synchronous=OFF on
    every connection of this handle from now on): it is a temporary file, rebuilt if anything
    goes wrong, and the few hundred commits of the archive and the accounts (one transaction per
    service call), or the links' new addresses of a copied build, each waited for an fsync.
    Commits stay atomic; only durability against a power cut goes. The windows then open the
    file with a Database of their own, with the station's usual settings."""
    def unsynced(dbapi_conn, _record) -> None:          # runs after models.db's own pragmas
        dbapi_conn.execute("PRAGMA synchronous=OFF")

    db.close_connections()                               # pooled connections are remade with it
    for engine in {db.writer, db.reader}:
        sa.event.listen(engine, "connect", unsynced)


# --- the plan (pure data) ---------------------------------------------------------------------
def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "150", "186", "177", "135")) + f"{rng.randrange(10 ** 8):08d}"


def _dec(rng: random.Random, low: float, high: float, places: int = 3) -> Decimal:
    step = 10 ** places
    return Decimal(rng.randrange(int(low * step), int(high * step))).scaleb(-places)


def _plan(rng: random.Random) -> list[DemoMeter]:
    out: list[DemoMeter] = []
    flats: list[DemoMeter] = []
    a_targets = {5: "closed", 17: "closed", 11: "keep-power", 23: "arrears", 36: "alarm1"}
    for i in range(48):                       # A building: 6 floors x 8 flats, tiered tariff
        floor, k = i // 8 + 1, i % 8 + 1
        m = DemoMeter(f"{240100000000 + i + 1:012d}", f"{240100000000 + i + 1:012d}", "dlt645-2007", 0,
                   ("A栋", f"{floor}F", f"{floor}{k:02d}"), _dec(rng, 0.15, 0.55),
                   None if i in (30, 41) else "station-prepaid", TIERED, a_targets.get(i, "normal"),
                   (_person(rng), _phone(rng), "resident"))
        if m.target == "alarm1":
            m.tariff = FLAT
        out.append(m)
        flats.append(m)
    b_targets = {3: "arrears", 9: "arrears", 15: "arrears", 20: "lost", 24: "alarm1", 25: "alarm1",
                 26: "alarm1", 27: "alarm2", 28: "alarm2", 29: "alarm2", 44: "alarm1", 46: "arrears"}
    for i in range(48):                       # B building 1F-2F shops: TOU, flat, postpaid, meter-prepaid
        floor, k = i // 24 + 1, i % 24 + 1
        mode, tariff = (("station-prepaid", TOU) if i < 24 else ("station-prepaid", FLAT) if i < 32
                        else ("postpaid", FLAT) if i < 40 else ("meter-prepaid", FLAT))
        out.append(DemoMeter(f"{240200000000 + i + 1:012d}", f"{240200000000 + i + 1:012d}", "dlt645-2007", 1,
                          ("B栋", f"{floor}F", f"B{floor}{k:02d}"), _dec(rng, 0.4, 2.0), mode, tariff,
                          b_targets.get(i, "normal"),
                          (_person(rng) + "·" + rng.choice(SHOPS), _phone(rng), "merchant")))
    m_targets = {2: "alarm1", 13: "alarm1", 5: "alarm2", 18: "alarm2", 9: "arrears", 21: "arrears"}
    for i in range(24):                       # B building 3F: Modbus meters that keep the money
        out.append(DemoMeter(f"MB-3F{i + 1:02d}", str(i + 1), "modbus", 2, ("B栋", "3F", f"B3{i + 1:02d}"),
                          _dec(rng, 0.3, 1.5), "meter-prepaid", FLAT, m_targets.get(i, "normal"),
                          (_person(rng) + "·" + rng.choice(SHOPS), _phone(rng), "merchant")))
    w_targets = {6: "alarm1", 14: "alarm2"}
    for i in range(24):                       # water meters of the flats on A 1F-3F
        flat = flats[i]
        out.append(DemoMeter(f"{24010000000000 + i + 1:014d}", f"{24010000000000 + i + 1:014d}", "cjt188", 3,
                          flat.room, _dec(rng, 0.006, 0.02, 4), "station-prepaid", WATER,
                          w_targets.get(i, "normal"), flat.customer))
    return out


def _reading_times(now: datetime) -> list[datetime]:
    """A reading at 00:30 station time every day for DAYS days, and one five minutes ago (the
    history is the station's: its days are the ones the reports and bills draw)."""
    today = station_time.day_of(now)
    out = []
    for back in range(DAYS, -1, -1):
        at = station_time.at(today - timedelta(days=back), dtime(0, 30))
        if at < now - timedelta(minutes=20):
            out.append(at)
    out.append((now - timedelta(minutes=5)).replace(second=0, microsecond=0))
    return out


def _plan_uses(rng: random.Random, meters: list[DemoMeter], times: list[datetime]) -> None:
    for m in meters:
        water = m.protocol == "cjt188"
        m.start_milli = rng.randrange(50_000, 800_000) * 10 if not water else rng.randrange(5_000, 80_000) * 10
        for a, b in pairwise(times):
            hours = Decimal((b - a).total_seconds()) / 3600
            weekend = station_time.day_of(a).weekday() >= 5
            factor = Decimal(rng.randrange(60, 140)) / 100 * (Decimal("1.15") if weekend else 1)
            m.uses.append(int(m.load * hours * factor * 100) * 10)


# --- archive, operators, accounts through the services ----------------------------------------
def _archive(db: Database, admin, meters: list[DemoMeter]) -> dict[tuple[str, str, str], int]:
    """The site, buildings, floors, rooms, links, meters and customers in one archive import
    (archive/importing.py, the service behind `meterstation archive import`: every row checked,
    one transaction, one "archive.import" log row), then the tariffs. Returns the customers' ids."""
    from archive.file_formats import Table
    from archive.importing import import_tables
    from billing.tariffs import plan_store
    from models.archive import Customer, Meter

    site = "演示园区"
    places: list[dict[str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for m in meters:
        if m.room and m.room not in seen:
            seen.add(m.room)
            shop = m.room[0] == "B栋"
            places.append({"site": site, "building": m.room[0], "floor": m.room[1], "room": m.room[2],
                           "room_name": "商铺" if shop else "住宅", "area": "36.50" if shop else "89.00",
                           "people": "" if shop else "3"})
    links = [{"name": name, "url": f"tcp://127.0.0.1:{i + 1}", "protocol": protocol}
             for i, (name, protocol, _baud) in enumerate(LINKS)]
    installed = (station_time.today() - timedelta(days=DAYS + 30)).isoformat()
    rows = []
    for m in meters:
        rows.append({"number": m.number, "address": m.address, "link": LINKS[m.link][0], "protocol": m.protocol,
                     "profile": "meterstation-sim-prepaid" if m.protocol == "modbus" else
                     "meterstation-sim-dlt645" if m.mode == "meter-prepaid" else "",
                     "kind": "water" if m.protocol == "cjt188" else "electricity",
                     "initial": str(Decimal(m.start_milli).scaleb(-3)), "install_date": installed,
                     **({"site": site, "building": m.room[0], "floor": m.room[1], "room": m.room[2]}
                        if m.room else {})})
    people = list(dict.fromkeys(m.customer for m in meters))
    customers = [{"name": name, "phone": phone, "type": kind} for name, phone, kind in people]
    import_tables(db, admin, [Table(kind, kind, list(enumerate(data, start=2))) for kind, data in
                              (("places", places), ("links", links), ("meters", rows), ("customers", customers))],
                  "demo")
    with db.read() as s:
        ids = dict(s.execute(sa.select(Meter.number, Meter.id)).all())
        by_person = {(c.name, c.phone): c.id for c in s.execute(sa.select(Customer)).scalars()}
    for m in meters:
        m.meter_id = ids[m.number]
    for name, body in _tariffs().items():
        plan_store.add_version(db, admin, name, body)
    return {p: by_person[(p[0], p[1])] for p in people}


def _tariffs() -> dict[str, dict[str, Any]]:
    def periods(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
        return [{"start": s, "end": e, "rate": r} for s, e, r in rows]

    workday = periods(("23:00", "07:00", "valley"), ("07:00", "10:00", "flat"), ("10:00", "12:00", "peak"),
                      ("12:00", "17:00", "flat"), ("17:00", "19:00", "sharp"), ("19:00", "21:00", "peak"),
                      ("21:00", "23:00", "flat"))
    rest = periods(("23:00", "07:00", "valley"), ("07:00", "23:00", "flat"))
    tou = {"prices": {"sharp": "1.1500", "peak": "0.9500", "flat": "0.6500", "valley": "0.3200"},
           "schedules": {"workday": workday, "rest": rest},
           "seasons": [{"name": "all", "start": "01-01", "end": "12-31", "schedule": "workday"}],
           "weekend_days": [6, 7], "weekend_schedule": "rest"}
    tiers = {"basis": "monthly", "steps": [{"upto": "200", "add": "0"}, {"upto": "400", "add": "0.0500"},
                                           {"add": "0.3000"}]}
    return {FLAT: {"kind": "flat", "price": "0.8500"}, TOU: {"kind": "tou", "tou": tou},
            TIERED: {"kind": "tiered", "price": "0.5283", "tiers": tiers},
            WATER: {"kind": "flat", "price": "3.5000"}}


def _cashier(db: Database, admin, name: str, station: str):
    """A cashier operator and its Actor (whose name the history's sales carry). Not logged in:
    nobody sits at the counter while the history is written, and each login is a scrypt check
    (~50 ms of the first start)."""
    from models.operators import Operator

    full = {"wang": "王丽", "li": "李强"}[name]
    operator_service.add_operator(db, admin, name, CASHIER_PASSWORD, "cashier", display_name=full)
    with db.read() as s:
        return auth.actor_for(s, s.execute(sa.select(Operator).where(Operator.name == name)).scalar_one(), station)


def _open_accounts(db: Database, admin, meters: list[DemoMeter], customers: dict[tuple[str, str, str], int]) -> None:
    from billing.accounts_open import MeterOpening, open_account
    from models.accounts import Account

    for i, m in enumerate(meters):
        if m.mode is None:
            continue
        arrears = "never" if m.target == "keep-power" else ("trip-at=22:00" if i % 7 == 3 else "trip-now")
        view = open_account(db, admin, customers[m.customer],
                            [MeterOpening(m.number, Decimal(m.start_milli).scaleb(-3), "given")],
                            mode=m.mode, tariff=m.tariff, arrears=arrears, account_type=m.customer[2])
        m.account_id = -int(view.number)
    with db.read() as s:
        ids = dict(s.execute(sa.select(Account.number, Account.id)).all())
    for m in meters:
        if m.account_id:
            m.account_id = ids[f"{-m.account_id:06d}"]


# --- the simulators ---------------------------------------------------------------------------
def _sim_spec(m: DemoMeter) -> str:
    energy = Decimal(m.milli).scaleb(-3)
    balance = Decimal(m.balance_fen).scaleb(-2)
    if m.protocol == "cjt188":
        return f"cjt188:{m.address}/flow={m.load}/volume={energy}"
    if m.protocol == "modbus":
        return (f"modbus:{m.address}/kw={m.load}/energy={energy}/balance={balance}/price={PRICES[FLAT]}"
                f"/purchase_count={m.sales}")
    prepaid = m.mode == "meter-prepaid"
    extra = f"/balance={balance}/price={PRICES[FLAT]}" if prepaid else ""
    return f"dlt645-2007:{m.address}/kw={m.load}/energy={energy}/prepaid={int(prepaid)}{extra}"


def link_plans(meters: list[DemoMeter]) -> list[LinkPlan]:
    """The demo's four links as simulator plans: each meter at its last stored reading and
    balance, with the purchase count, keep-power and tripped relay its history left it in; the
    lost meter silent."""
    plans = []
    for li, (_name, _protocol, baud) in enumerate(LINKS):
        group = [m for m in meters if m.link == li]
        plan = LinkPlan(",".join(_sim_spec(m) for m in group), baud, 0.03)
        for m in group:
            if m.protocol == "dlt645-2007":
                state: dict[str, Any] = {"purchase_count": m.sales, "keep_power": m.target == "keep-power"}
                if m.tripped_at is not None:
                    state.update(relay_open=True, command_open=True)
                plan.state[m.address] = state
            if m.target == "lost":
                plan.faults[m.address] = "silent"
        plans.append(plan)
    return plans
