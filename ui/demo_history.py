"""Three months of demo history in one backdated transaction (see ui/demo.py).

_History replays the days: a reading per meter each day at 00:30 (and one five minutes ago),
station-side settlement of each reading through billing.settlement.charge_binding (older than
two weeks: weekly, the same totals), postpaid bills on the 1st, bill payments a few days later
(the last month left unpaid for some), and sales through ledger.post + receipts.issue + the
outbox with their real times. Meters meant for arrears stop buying and trip when their
balance reaches zero (no more consumption); a purchase closes the relay again.
"""
from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

import sqlalchemy as sa

from models import station_time
from models.db import Database
from resources.i18n import _

DAYS = 90
FLAT, TOU, TIERED, WATER = "商业平价电费", "商铺分时电价", "居民阶梯电价", "居民水费"
PRICES = {FLAT: Decimal("0.85"), TOU: Decimal("0.70"), TIERED: Decimal("0.60"), WATER: Decimal("3.50")}
TARGET_BALANCE = {"alarm1": Decimal("13.00"), "alarm2": Decimal("3.20")}
METHODS = ("cash", "wechat", "alipay", "card", "cash", "wechat", "transfer")
DELIVERED = timedelta(seconds=40)          # a sale's meter commands were delivered this long after it


@dataclass
class DemoMeter:
    """One demo meter: where it is, what it is, and how its account should end up."""
    number: str
    address: str
    protocol: str
    link: int
    room: tuple[str, str, str] | None        # building, floor, room number
    load: Decimal                             # kW, or m³/h for water
    mode: str | None = None                   # None: not opened
    tariff: str = ""
    target: str = "normal"   # normal alarm1 alarm2 arrears keep-power closed lost
    customer: tuple[str, str, str] = ("", "", "resident")
    uses: list[int] = field(default_factory=list)     # milli per history interval
    start_milli: int = 0
    milli: int = 0
    meter_id: int = 0
    account_id: int = 0
    tripped_at: datetime | None = None
    last_read: datetime | None = None
    sales: int = 0
    balance_fen: int = 0


# --- three months of history, backdated, in one transaction ------------------------------------
def _ceil_to(fen: int, step: int) -> int:
    return max(step, -(-fen // step) * step)


class _History:
    """The day-by-day replay: readings, settlement, bills, sales (all with their real times).

    Accounts meant to end in alarm 1 or 2 (flat tariffs) buy little until 30 days before the
    end; then one sale tops them up to what the remaining consumption will bring down to the
    target balance, so their balance falls steadily and ends on it."""

    def __init__(self, s, admin, cashiers, meters: list[DemoMeter], times: list[datetime],
                 rng: random.Random) -> None:
        from models.rights import system_actor

        self.s, self.admin, self.cashiers, self.meters, self.times, self.rng = s, admin, cashiers, meters, times, rng
        self.system = system_actor(admin.station)
        self.accounts: dict[str, Any] = {}
        self.bindings: dict[str, Any] = {}
        self.readings: list[dict[str, Any]] = []
        self.bills: list[tuple[datetime, DemoMeter, int, bool]] = []
        # period keys billed: one bill a meter a month, even when the last reading (five minutes
        # before now) falls in the same 00:xx hour of the 1st as the nightly 00:30 one
        self.billed: set[str] = set()
        self.counts = {"readings": 0, "charges": 0, "bills": 0, "sales": 0}

    def open(self) -> None:
        from billing.ledger import lock_account
        from billing.lookup import binding_of_meter
        from models.archive import Meter, Reading

        t0 = self.times[0]
        self.keep = list(self.s.execute(sa.select(Meter)).scalars())   # the identity map is weak
        for m in self.meters:
            m.milli = m.start_milli
            if m.account_id:
                acc = lock_account(self.s, m.account_id)
                acc.opened_at = t0 - timedelta(hours=1)
                binding = binding_of_meter(self.s, m.meter_id)
                binding.opened_at = binding.last_settled_at = t0
                self.accounts[m.number], self.bindings[m.number] = acc, binding
        self.s.execute(sa.update(Reading).where(Reading.source == "open").values(at=t0))

    def run(self) -> None:
        times = self.times
        for i, at in enumerate(times[1:]):
            for m in self.meters:
                self.read(m, i, at)
            if i + 2 < len(times):
                self.sales(i, at, times[i + 2])

    def charge(self, acc, binding, milli: int, at: datetime, **kw):
        """billing.settlement.charge_binding, as the real calls make it (one round trip each)."""
        from billing.settlement import charge_binding

        return charge_binding(self.s, acc, binding, milli, at, actor=self.system, **kw)

    def read(self, m: DemoMeter, i: int, at: datetime) -> None:
        if m.target == "lost" and i >= len(self.times) - 4:
            return                                      # silent for the last two days
        m.milli += 0 if m.tripped_at else m.uses[i]
        m.last_read = at
        row = {"meter_id": m.meter_id, "at": at, "source": "poll", "energy_milli": m.milli,
               "meter_balance_fen": None, "flag": ""}
        self.readings.append(row)
        acc = self.accounts.get(m.number)
        if acc is None:
            return
        binding = self.bindings[m.number]
        if m.mode == "postpaid":
            local = station_time.local(at)      # bills on the 1st at 00:xx, station time
            month = (local - timedelta(days=1)).strftime("%Y-%m")
            key = f"{month}/m{m.meter_id}"
            if local.day == 1 and local.hour == 0 and key not in self.billed:
                self.billed.add(key)
                entry = self.charge(acc, binding, m.milli, at, kind="bill", period_key=key)
                if entry is not None:
                    self.counts["bills"] += 1
                    due = at + timedelta(days=self.rng.randint(2, 9), hours=self.rng.randint(8, 17))
                    self.bills.append((due, m, -entry.amount_fen, False))
            return
        if i < len(self.times) - 16 and i % 7 != 6 and m.target not in ("arrears", "keep-power"):
            return                                      # older history is settled once a week
        if self.charge(acc, binding, m.milli, at) is not None:
            self.counts["charges"] += 1
        if m.mode == "meter-prepaid":
            row["meter_balance_fen"] = acc.balance_fen
        if acc.balance_fen <= 0 and m.target == "arrears" and m.tripped_at is None:
            m.tripped_at = at

    def sales(self, i: int, at: datetime, nxt: datetime) -> None:
        left = len(self.times) - 2 - i                   # readings still to come
        for m in self.meters:
            acc = self.accounts.get(m.number)
            if acc is None or m.mode == "postpaid":
                continue
            price = PRICES[m.tariff]
            daily = int(m.load * 24 * price * 100)
            fen = 0
            if m.target in TARGET_BALANCE:            # land on the target: see _History docstring
                if left == 30:
                    end_milli = m.start_milli + sum(m.uses)
                    settled = self.bindings[m.number].last_settled_milli
                    cost = price * Decimal(end_milli - settled) / 1000
                    need = TARGET_BALANCE[m.target] + cost - Decimal(acc.balance_fen) / 100
                    fen = max(0, int(need.to_integral_value(rounding=ROUND_CEILING)) * 100)
                elif left > 30 and acc.balance_fen < 9 * daily:
                    fen = _ceil_to(10 * daily, 1000)
            elif m.target in ("arrears", "keep-power") and left <= 35:
                fen = 0
            elif acc.balance_fen < 9 * daily:
                fen = _ceil_to(25 * daily, 5000)
            if fen > 0:
                when = at + timedelta(minutes=self.rng.randrange(8 * 60, 17 * 60))
                self.sale(m, fen, min(when, nxt - timedelta(minutes=15)))
        for n, (due, m, fen, paid) in enumerate(self.bills):
            last = due > self.times[-1] - timedelta(days=20)
            if not paid and due < nxt and not (last and int(m.number[-2:]) % 3 == 0):
                self.sale(m, fen, max(due, at + timedelta(minutes=1)))
                self.bills[n] = (due, m, fen, True)

    def sale(self, m: DemoMeter, fen: int, at: datetime) -> None:
        acc, rng = self.accounts[m.number], self.rng
        method = rng.choice(METHODS)
        reference = f"42000{rng.randrange(10 ** 12):012d}" if method in ("wechat", "alipay") else ""
        actor = rng.choice(self.cashiers)
        self.sell(acc, fen, at, actor=actor, method=method, reference=reference)
        if m.mode == "meter-prepaid":
            m.sales += 1
        if acc.balance_fen > 0:
            m.tripped_at = None                         # the purchase closed the relay
        self.counts["sales"] += 1

    def sell(self, acc, fen: int, at: datetime, *, actor, method: str, reference: str) -> None:
        """One sale as billing.sales.sell makes it (receipt number, price preview, entry, meter
        commands, receipt), through the real calls; its commands delivered 40 s later."""
        from billing import receipts
        from billing.ledger import post
        from billing.money import from_fen
        from billing.pricing import preview_in
        from billing.sales import queue_after_credit
        from billing.units import to_milli
        from models.ledger import OutboxItem

        number = receipts.next_receipt_number(self.s)
        quote = preview_in(self.s, acc, amount=from_fen(fen), when=at)
        before = acc.balance_fen
        entry = post(self.s, acc, "bill_payment" if acc.mode == "postpaid" else "purchase", fen, actor=actor,
                     method=method, reference=reference, receipt_no=number, idempotency_key=uuid.uuid4().hex,
                     energy_milli=None if quote.energy is None else to_milli(quote.energy), at=at)
        queue_after_credit(self.s, acc, entry, before)
        # "fetch": the rows changed are returned and only their objects refreshed; the default
        # ("evaluate") tested every object in the session's identity map, ever more per sale
        self.s.execute(sa.update(OutboxItem).where(OutboxItem.entry_id == entry.id).values(
            state="done", attempts=1, created_at=at, next_at=at, done_at=at + DELIVERED),
            execution_options={"synchronize_session": "fetch"})
        receipts.issue(self.s, acc, entry, "sale", number, amount_fen=fen, energy=quote.energy).issued_at = at

    def write(self) -> None:
        """What the history kept in memory, into the database (nothing here: the real calls wrote it)."""

    def finish(self) -> None:
        from billing import alarm_log
        from models.archive import Link, Meter, Reading
        from models.audit import record
        from models.automation import Alarm
        from models.base import table

        self.write()
        self.s.connection().execute(sa.insert(table(Reading)), self.readings)
        self.counts["readings"] = len(self.readings)
        end = self.times[-1]
        rows = []
        for m in self.meters:
            acc = self.accounts.get(m.number)
            m.balance_fen = acc.balance_fen if acc is not None else 0
            values = {"volume" if m.protocol == "cjt188" else "energy": str(Decimal(m.milli).scaleb(-3))}
            if m.protocol != "cjt188":
                values["relay"] = "open" if m.tripped_at else "closed"
            if m.mode == "meter-prepaid":
                values["balance"] = str(Decimal(m.balance_fen).scaleb(-2))
            rows.append({"id": m.meter_id, "comm_state": "lost" if m.target == "lost" else "online",
                         "fail_streak": 3 if m.target == "lost" else 0,
                         "relay_state": "open" if m.tripped_at else "closed", "keep_power": m.target == "keep-power",
                         "last_read_at": m.last_read, "last_values": json.dumps(values)})
        self.s.execute(sa.update(Meter), rows)        # ORM bulk UPDATE by primary key: one executemany
        for meter in self.keep:
            self.s.expire(meter)                      # its rows were changed behind the identity map
        # none raised yet (the history raises them here): nothing for sync_account to clear
        fresh = self.s.scalar(sa.select(Alarm.id).limit(1)) is None
        for m in self.meters:
            acc = self.accounts.get(m.number)
            if acc is not None:
                alarm_log.sync_account(self.s, acc, at=end, none_raised=fresh)
            if m.tripped_at is not None:
                alarm_log.raise_alarm(self.s, "tripped", account_id=m.account_id, meter_id=m.meter_id,
                                      at=m.tripped_at, message=_("Meter {meter} tripped for arrears")
                                      .format(meter=m.number))
            if m.target == "lost":
                alarm_log.raise_alarm(self.s, "meter_lost", meter_id=m.meter_id, at=m.last_read,
                                      message=_("Meter {meter} does not answer").format(meter=m.number))
        self.s.execute(sa.update(Link).values(state="online", last_ok_at=end))
        record(self.s, self.admin, "demo.history", "", {"days": DAYS, **self.counts})


class _Bulk(_History):
    """The same history, generated in bulk: the same decisions (the base class, the same random
    draws in the same order) and the same billing rules — charges through
    billing.settlement.charge_binding and price previews through billing.pricing.preview_in,
    with their entries posted in memory (billing.ledger.EntryBatch: post()'s checks and
    arithmetic) and the tier cycles in memory (billing.tier_state.Memory) — written at the end
    with executemany: the entries (ids in posting order), the balances, the tier cycles, receipt
    numbers from the gapless counter in posting order, the receipts (billing.receipts.row) and
    the meter commands (billing.sales.credit_commands). The log row "demo.history" covers every
    entry and ledger_daily adds them at commit, as for the real calls. tests/ui/runtime/
    test_demo_bulk.py builds both and compares every table."""

    def open(self) -> None:
        from billing import outbox, tier_state
        from billing.ledger import EntryBatch
        from billing.lookup import active_bindings
        from models.ledger import OutboxItem

        super().open()
        self.batch = EntryBatch(self.s)
        self.tiers = tier_state.Memory()
        self.tiers.note_empty(self.s, [acc.id for acc in self.accounts.values()])   # fresh accounts
        self.active = {acc.id: active_bindings(self.s, acc.id) for acc in self.accounts.values()}
        self.purchases = dict(self.s.execute(
            sa.select(OutboxItem.meter_id, sa.func.count()).where(OutboxItem.kind.in_((outbox.RECHARGE, outbox.REFUND)))
            .group_by(OutboxItem.meter_id)).all())
        self.sold: list[tuple[Any, Any, Decimal | None, list]] = []

    def charge(self, acc, binding, milli: int, at: datetime, **kw):
        from billing.settlement import charge_binding

        return charge_binding(self.s, acc, binding, milli, at, actor=self.system, batch=self.batch,
                              tiers=self.tiers, **kw)

    def purchase_number(self, meter_id: int) -> int:
        self.purchases[meter_id] = self.purchases.get(meter_id, 0) + 1
        return self.purchases[meter_id]

    def sell(self, acc, fen: int, at: datetime, *, actor, method: str, reference: str) -> None:
        from billing.money import from_fen
        from billing.pricing import preview_in
        from billing.sales import credit_commands
        from billing.units import to_milli

        quote = preview_in(self.s, acc, amount=from_fen(fen), when=at, tiers=self.tiers)
        before = acc.balance_fen
        entry = self.batch.post(acc, "bill_payment" if acc.mode == "postpaid" else "purchase", fen, actor=actor,
                                method=method, reference=reference, idempotency_key=uuid.uuid4().hex,
                                energy_milli=None if quote.energy is None else to_milli(quote.energy), at=at)
        # the receipt number is taken at write(); credit_commands reads only entry.amount_fen
        # and entry.receipt_no of it, so its payload is finished there too
        meter_ids = [b.meter_id for b in self.active[acc.id]]
        self.sold.append((acc, entry, quote.energy, credit_commands(acc, entry, before, meter_ids,
                                                                    self.purchase_number)))

    def write(self) -> None:
        from billing import receipts
        from models import commands as contract
        from models.base import table
        from models.counters import next_value
        from models.ledger import OutboxItem, Receipt

        n = len(self.sold)
        first = next_value(self.s, "receipt", n) - n + 1 if n else 0
        for k, (_acc, entry, _energy, commands) in enumerate(self.sold):
            entry.receipt_no = receipts.format_number(first + k)
            for _kind, _meter, payload in commands:
                if "receipt" in payload:
                    payload["receipt"] = entry.receipt_no
        self.batch.write()
        self.tiers.write(self.s)
        heads: dict[int, dict[str, Any]] = {}
        items, slips = [], []
        for acc, entry, energy, commands in self.sold:
            at = entry.at
            for kind, meter_id, payload in commands:
                items.append({"kind": kind, "account_id": acc.id, "meter_id": meter_id, "entry_id": entry.id,
                              "payload": contract.to_json(kind, payload), "priority": 0, "state": "done",
                              "attempts": 1, "created_at": at, "next_at": at, "done_at": at + DELIVERED})
            if acc.id not in heads:
                heads[acc.id] = receipts.header(self.s, acc, self.active[acc.id])
            slip = receipts.row(self.s, acc, entry, "sale", entry.receipt_no, amount_fen=entry.amount_fen,
                                energy=energy, head=heads[acc.id], balance_fen=entry.balance_after_fen)
            slips.append(dict(slip, issued_at=at))
        conn = self.s.connection()              # Core: the ORM's bulk insert costs more than the rows
        if items:
            conn.execute(sa.insert(table(OutboxItem)), items)
        if slips:
            conn.execute(sa.insert(table(Receipt)), slips)


def replay(db: Database, admin, cashiers, meters: list[DemoMeter], times: list[datetime],
           rng: random.Random, *, bulk: bool = True) -> dict[str, int]:
    """Three months of history in one transaction: generated in bulk (default), or through the
    real billing calls one by one (bulk=False: the reference the bulk one is compared with)."""
    with db.write() as s:
        h = (_Bulk if bulk else _History)(s, admin, cashiers, meters, times, rng)
        h.open()
        h.run()
        h.finish()
        return dict(h.counts)


def close_accounts(db: Database, admin, meters: list[DemoMeter]) -> None:
    from billing.account_changes import close_account

    for m in meters:
        if m.target == "closed":
            close_account(db, admin, m.account_id, {m.number: Decimal(m.milli).scaleb(-3)}, method="cash")


def jobs_done(db: Database, station: str, now: datetime | None = None) -> int:
    """Record the scheduled jobs of the past (due by `now`, the history's moment) as run (the demo
    station ran all along), so the runtime's catch-up does not replay three months of frozen
    reads and clock syncs."""
    from billing.automation.jobs import JobContext, due_now
    from models.automation import JobRun

    now = now or datetime.now(UTC)
    due = due_now(JobContext(db, station), now)
    with db.write() as s:
        for occ in due:
            s.add(JobRun(job=occ.job, period=occ.period, station=station, started_at=now, finished_at=now,
                         details=json.dumps({"demo": "history"})))
    return len(due)


