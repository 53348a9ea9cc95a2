"""Storing what the poller reads: readings (flagged, never billed, when they go backwards or
jump absurdly), meter and link communication states. One writer thread batches the rows into
short transactions, so a hundred link workers never contend for the database.

A reading is flagged "backwards" when it is lower than the last good one, and "jump" when it
implies more than `max_kw` (meter option, default 200 kW) over the time since the last good
reading, plus 1 kWh of slack.

Each successful read also refreshes the meter's live columns (what the GUI shows without reading
the readings table): last_read_at, relay_state (when `relay` was read) and last_values, a JSON
object of the quantities read as decimal strings plus their units, e.g.
``{"energy": "1234.56", "relay": "closed", "units": {"energy": "kWh"}}`` (read back by models.archive.live_values()).
The meter updates of a batch go out as one executemany, in the batch's one transaction.

Polling facts (issue 15): a successful read sets comm_state "online" and clears lost_since; a
meter going lost gets lost_since (its first lost moment, kept while it stays lost); when a link
goes lost its meters that are not lost themselves become "unreachable" (not their failure: no
streak), and back to "unknown" when the link works again until each is read. Every read the
poller makes is one attempt of that meter on that local day and every stored read one success
(MeterReadDay), which the read-success report divides.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from comms.errors import CommsError, LinkError
from comms.interfaces import Reading as Value
from comms.polling.read_schedule import LinkPlan, MeterPlan
from models import station_time
from models.archive import Link, Meter, MeterReadDay, Reading
from models.base import table as base_table
from models.base import utcnow
from models.db import Database

log = logging.getLogger(__name__)
MILLI = Decimal(1000)


def live_values_json(values: dict[str, Value]) -> str:
    """Meter.last_values for one read: values as strings (Decimal text, never float), units apart."""
    out: dict[str, Any] = {q: str(v.value) for q, v in values.items()}
    units = {q: v.unit for q, v in values.items() if v.unit}
    if units:
        out["units"] = units
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def _milli(v: Value | None) -> int | None:
    if v is None or not isinstance(v.value, Decimal):
        return None
    return int((v.value * MILLI).to_integral_value())


_FLUSH = "flush"


class PollStore:
    GATHER = 0.02           # seconds between looks at the queue while a batch gathers

    def __init__(self, db: Database, *, batch_seconds: float = 0.5,
                 on_committed: Callable[[list[int]], None] | None = None) -> None:
        self.db = db
        self.batch_seconds = batch_seconds
        self.on_committed = on_committed
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self._last: dict[int, tuple[int, datetime]] = {}
        self._known: set[int] = set()            # meters whose last good reading is in _last (or none)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._writer, name="poll-store", daemon=True)
        self._thread.start()
        self.stored = 0
        self.flagged = 0

    # --- PollSink ----------------------------------------------------------------------
    def reading(self, link: LinkPlan, meter: MeterPlan, at: datetime, values: dict[str, Value]) -> None:
        self._queue.put(("reading", (meter, at, values)))

    def failure(self, link: LinkPlan, meter: MeterPlan, at: datetime, error: CommsError) -> None:
        self._queue.put(("attempt", (meter.meter_id, at)))
        if not isinstance(error, LinkError):     # a dead converter is not the meter's failure
            self._queue.put(("failure", meter.meter_id))

    def meter_state(self, meter: MeterPlan, state: str) -> None:
        self._queue.put(("meter_state", (meter.meter_id, state)))

    def link_state(self, link: LinkPlan, state: str) -> None:
        self._queue.put(("link_state", (link.link_id, state)))

    # --- writer --------------------------------------------------------------------------
    def _last_good(self, s: Session, meter_id: int) -> tuple[int, datetime] | None:
        if meter_id not in self._known:
            self._prefetch(s, [meter_id])
        return self._last.get(meter_id)

    def _prefetch(self, s: Session, meter_ids: list[int]) -> None:
        """Last good reading of each meter not seen yet, in one query (not one per meter)."""
        ids = [m for m in dict.fromkeys(meter_ids) if m not in self._known]
        if not ids:
            return
        newest = (sa.select(Reading.meter_id, sa.func.max(Reading.at).label("at"))
                  .where(Reading.flag == "", Reading.meter_id.in_(ids)).group_by(Reading.meter_id).subquery())
        rows = s.execute(sa.select(Reading.meter_id, Reading.energy_milli, Reading.at)
                         .join(newest, sa.and_(Reading.meter_id == newest.c.meter_id, Reading.at == newest.c.at))
                         .where(Reading.flag == "").order_by(Reading.id)).all()
        for meter_id, energy, at in rows:
            self._last[meter_id] = (energy, at)
        self._known.update(ids)

    def _reading_row(self, s: Session, meter: MeterPlan, at: datetime, values: dict[str, Value]) -> Reading | None:
        energy = _milli(values.get("energy")) if "energy" in values else _milli(values.get("volume"))
        if energy is None:
            return None
        flag = ""
        last = self._last_good(s, meter.meter_id)
        if last is not None:
            before, when = last
            hours = Decimal(max((at - when).total_seconds(), 0)) / 3600
            max_kw = Decimal(meter.config.options.get("max_kw", "200"))
            if energy < before:
                flag = "backwards"
            elif Decimal(energy - before) / MILLI > max_kw * hours + 1:
                flag = "jump"
        if not flag:
            self._last[meter.meter_id] = (energy, at)
        balance = values.get("balance")
        return Reading(meter_id=meter.meter_id, at=at, source="poll", energy_milli=energy,
                       t1_milli=_milli(values.get("energy_t1")), t2_milli=_milli(values.get("energy_t2")),
                       t3_milli=_milli(values.get("energy_t3")), t4_milli=_milli(values.get("energy_t4")),
                       meter_balance_fen=(int((balance.value * 100).to_integral_value())
                                          if balance is not None and isinstance(balance.value, Decimal) else None),
                       flag=flag)

    def _count_days(self, s: Session, counts: dict[tuple[int, Any], list[int]]) -> None:
        """Add attempts and successes to MeterReadDay rows (one select, then executemany)."""
        if not counts:
            return
        ids = sorted({m for m, _d in counts})
        days = sorted({d for _m, d in counts})
        have = {(m, d) for m, d in s.execute(sa.select(MeterReadDay.meter_id, MeterReadDay.day).where(
            MeterReadDay.meter_id.in_(ids), MeterReadDay.day.in_(days)))}
        old = [{"m": m, "d": d, "a": a, "ok": ok} for (m, d), (a, ok) in counts.items() if (m, d) in have]
        if old:
            table = base_table(MeterReadDay)          # Core executemany, not the ORM's by-key update
            s.execute(sa.update(table).where(table.c.meter_id == sa.bindparam("m"), table.c.day == sa.bindparam("d"))
                      .values(attempts=table.c.attempts + sa.bindparam("a"),
                              successes=table.c.successes + sa.bindparam("ok")), old)
        new = [{"meter_id": m, "day": d, "attempts": a, "successes": ok}
               for (m, d), (a, ok) in counts.items() if (m, d) not in have]
        if new:
            s.execute(sa.insert(MeterReadDay), new)

    def _link_meters(self, s: Session, link_id: int, condition: sa.ColumnElement[bool]) -> list[int]:
        return list(s.execute(sa.select(Meter.id).where(Meter.link_id == link_id, condition)).scalars())

    def _apply(self, s: Session, batch: list[tuple[str, Any]]) -> list[Reading]:
        rows: list[Reading] = []
        meters: dict[int, dict[str, Any]] = {}      # meter id -> columns to set (last wins)
        streak_up: dict[int, int] = {}
        counts: dict[tuple[int, Any], list[int]] = {}     # (meter, local day) -> [attempts, successes]
        went_lost: dict[int, datetime] = {}
        cut_off: dict[int, set[int]] = {}                  # link id -> meters made unreachable
        self._prefetch(s, [data[0].meter_id for kind, data in batch if kind == "reading"])
        for kind, data in batch:
            if kind == "reading":
                meter, at, values = data
                row = self._reading_row(s, meter, at, values)
                if row is not None:
                    s.add(row)
                    rows.append(row)
                update = meters.setdefault(meter.meter_id, {})
                update.update(fail_streak=0, last_read_at=at, last_values=live_values_json(values),
                              comm_state="online", lost_since=None)
                went_lost.pop(meter.meter_id, None)
                c = counts.setdefault((meter.meter_id, station_time.day_of(at)), [0, 0])
                c[0] += 1
                c[1] += 1
                relay = values.get("relay")
                if relay is not None and relay.value in ("open", "closed"):
                    update["relay_state"] = relay.value
                streak_up.pop(meter.meter_id, None)
            elif kind == "attempt":
                counts.setdefault((data[0], station_time.day_of(data[1])), [0, 0])[0] += 1
            elif kind == "failure":
                streak_up[data] = streak_up.get(data, 0) + 1
            elif kind == "meter_state":
                update = meters.setdefault(data[0], {})
                update["comm_state"] = data[1]
                if data[1] == "lost":
                    went_lost[data[0]] = utcnow()
                    update.pop("lost_since", None)
                else:
                    went_lost.pop(data[0], None)
                    update["lost_since"] = None
            elif kind == "link_state":
                link_values: dict[str, Any] = {"state": data[1]}
                if data[1] == "online":
                    link_values["last_ok_at"] = utcnow()
                s.execute(sa.update(Link).where(Link.id == data[0]).values(**link_values))
                if data[1] == "lost":            # its meters cannot be reached: not their failure
                    for meter_id in self._link_meters(s, data[0], Meter.comm_state != "lost"):
                        update = meters.setdefault(meter_id, {})
                        if update.get("comm_state") != "lost":
                            update["comm_state"] = "unreachable"
                            cut_off.setdefault(data[0], set()).add(meter_id)
                else:                            # not known again until each is read
                    for meter_id in self._link_meters(s, data[0], Meter.comm_state == "unreachable"):
                        meters.setdefault(meter_id, {}).setdefault("comm_state", "unknown")
                    for meter_id in cut_off.pop(data[0], ()):      # made unreachable earlier in this batch
                        if meters[meter_id].get("comm_state") == "unreachable":
                            meters[meter_id]["comm_state"] = "unknown"
        # a failure after a good read in the same batch still counts: streaks add to 0 or to the old value
        for meter_id, update in meters.items():
            if meter_id in streak_up and "fail_streak" in update:
                update["fail_streak"] = streak_up.pop(meter_id)
        for columns in {frozenset(u) for u in meters.values()}:
            group = [{"id": mid, **u} for mid, u in meters.items() if frozenset(u) == columns]
            s.execute(sa.update(Meter), group)
        for meter_id, n in streak_up.items():
            s.execute(sa.update(Meter).where(Meter.id == meter_id).values(fail_streak=Meter.fail_streak + n))
        for meter_id, when in went_lost.items():      # the first lost moment stays while it stays lost
            s.execute(sa.update(Meter).where(Meter.id == meter_id)
                      .values(lost_since=sa.func.coalesce(Meter.lost_since, when)))
        self._count_days(s, counts)
        return rows

    def _writer(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            # gather without a wake-up per item: what arrived in GATHER seconds is taken in one go
            # (a blocking get per reading woke this thread thousands of times a second, each time
            # queueing for the interpreter lock beside the GUI thread)
            deadline = time.monotonic() + self.batch_seconds
            while len(batch) < 500:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    if len(batch) >= 50 or time.monotonic() >= deadline:
                        break
                    time.sleep(self.GATHER)
                    continue
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            flushes = [data for kind, data in batch if kind == _FLUSH]
            batch = [(kind, data) for kind, data in batch if kind != _FLUSH]
            ids: list[int] = []
            if batch:
                try:
                    with self.db.write() as s:
                        rows = self._apply(s, batch)
                        s.flush()
                        ids = [r.id for r in rows]
                        self.stored += len(rows)
                        self.flagged += sum(1 for r in rows if r.flag)
                except Exception:  # noqa: BLE001 - keep polling; the rows are lost only from this batch
                    log.exception("storing %d poll results failed", len(batch))
                    self._last.clear()
                    self._known.clear()
                    ids = []
            if self.on_committed is not None and ids:
                try:
                    self.on_committed(ids)
                except Exception:  # noqa: BLE001
                    log.exception("after-reading hook failed")
            for event in flushes:
                event.set()

    def flush(self, timeout: float = 30.0) -> bool:
        """Block until every result queued before this call is committed and the after-commit
        hook (settlement) has run for it; False on timeout."""
        event = threading.Event()
        self._queue.put((_FLUSH, event))
        return event.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued, then stop the writer."""
        self._queue.put(None)
        self._thread.join(timeout)
