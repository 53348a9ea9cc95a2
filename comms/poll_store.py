"""Storing what the poller reads: readings (flagged, never billed, when they go backwards or
jump absurdly), meter and link communication states. One writer thread batches the rows into
short transactions, so a hundred link workers never contend for the database.

A reading is flagged "backwards" when it is lower than the last good one, and "jump" when it
implies more than `max_kw` (meter option, default 200 kW) over the time since the last good
reading, plus 1 kWh of slack.
"""
from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

import sqlalchemy as sa

from comms.driver import Reading as Value
from comms.errors import CommsError
from comms.schedule import LinkPlan, MeterPlan
from models.archive import Link, Meter, Reading
from models.db import Database

log = logging.getLogger(__name__)
MILLI = Decimal(1000)


def _milli(v: Value | None) -> int | None:
    if v is None or not isinstance(v.value, Decimal):
        return None
    return int((v.value * MILLI).to_integral_value())


class PollStore:
    def __init__(self, db: Database, *, batch_seconds: float = 0.5,
                 on_committed: Callable[[list[int]], None] | None = None) -> None:
        self.db = db
        self.batch_seconds = batch_seconds
        self.on_committed = on_committed
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self._last: dict[int, tuple[int, datetime]] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._writer, name="poll-store", daemon=True)
        self._thread.start()
        self.stored = 0
        self.flagged = 0

    # --- PollSink ----------------------------------------------------------------------
    def reading(self, link: LinkPlan, meter: MeterPlan, at: datetime, values: dict[str, Value]) -> None:
        self._queue.put(("reading", (meter, at, values)))

    def failure(self, link: LinkPlan, meter: MeterPlan, at: datetime, error: CommsError) -> None:
        self._queue.put(("failure", meter.meter_id))

    def meter_state(self, meter: MeterPlan, state: str) -> None:
        self._queue.put(("meter_state", (meter.meter_id, state)))

    def link_state(self, link: LinkPlan, state: str) -> None:
        self._queue.put(("link_state", (link.link_id, state)))

    # --- writer --------------------------------------------------------------------------
    def _last_good(self, s, meter_id: int) -> tuple[int, datetime] | None:
        if meter_id not in self._last:
            row = s.execute(sa.select(Reading.energy_milli, Reading.at)
                            .where(Reading.meter_id == meter_id, Reading.flag == "")
                            .order_by(Reading.at.desc()).limit(1)).first()
            if row is not None:
                self._last[meter_id] = (row[0], row[1])
        return self._last.get(meter_id)

    def _reading_row(self, s, meter: MeterPlan, at: datetime, values: dict[str, Value]) -> Reading | None:
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

    def _apply(self, s, batch: list[tuple[str, Any]]) -> list[Reading]:
        rows: list[Reading] = []
        for kind, data in batch:
            if kind == "reading":
                meter, at, values = data
                row = self._reading_row(s, meter, at, values)
                if row is not None:
                    s.add(row)
                    rows.append(row)
                s.execute(sa.update(Meter).where(Meter.id == meter.meter_id).values(fail_streak=0))
            elif kind == "failure":
                s.execute(sa.update(Meter).where(Meter.id == data).values(fail_streak=Meter.fail_streak + 1))
            elif kind == "meter_state":
                s.execute(sa.update(Meter).where(Meter.id == data[0]).values(comm_state=data[1]))
            elif kind == "link_state":
                from models.base import utcnow

                values = {"state": data[1]}
                if data[1] == "online":
                    values["last_ok_at"] = utcnow()
                s.execute(sa.update(Link).where(Link.id == data[0]).values(**values))
        return rows

    def _writer(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            try:
                while len(batch) < 500:
                    nxt = self._queue.get(timeout=self.batch_seconds if len(batch) < 50 else 0.01)
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
            except queue.Empty:
                pass
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
                continue
            if self.on_committed is not None and ids:
                try:
                    self.on_committed(ids)
                except Exception:  # noqa: BLE001
                    log.exception("after-reading hook failed")

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued, then stop the writer."""
        self._queue.put(None)
        self._thread.join(timeout)
