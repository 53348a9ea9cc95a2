"""The monitor board's Qt model: billing.monitor_query rows in a QAbstractTableModel.

Built for 10,000 meters: data() formats only what the view asks for (the visible rows);
merge() updates a reloaded list in place (dataChanged on the rows that differ, a reset only when
the set of meters changed); apply_batch() patches rows from the bridge's live batches.
A page's reload is prepared off the GUI thread (prepare(): sorted, indexed and counted there).

Meters nobody reads: when the bridge says a meter is "unknown" (the runtime that polled it
ended, ui/bridge.py mark_unknown) the model keeps it in `unwatched` and its row shows the board
state "unknown" (MonitorRow.unwatched) - over every reload too, since the database still holds
the dead runtime's last "online" - until a reading or a runtime's online / lost / unreachable
state for it arrives. A runtime's end marks every meter: more rows than SLICE_ROWS are marked
over the next turns of the event loop, through the sliced merge's queue.
MeterFilter is the proxy: building/floor/state/tag and a lower-cased search text per row.
"""
from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)

from billing.money import from_fen
from billing.monitor_query import BOARD_STATES, MonitorRow, board_state, flat_units, reading_unit, row_replaced
from resources.i18n import N_, _
from ui.item_models.meter_looks import ALIGNMENT, AT, DISPLAY, SLOTS, TEXT0, AgeTexts, Look, RowLooks

STATE_TITLES = {
    "not_opened": N_("Not opened"), "normal": N_("Normal"), "alarm1": N_("Alarm 1"), "alarm2": N_("Alarm 2"),
    "arrears": N_("Arrears"), "tripped": N_("Tripped"), "keep_power": N_("Keep power"), "lost": N_("Lost"),
    "unreachable": N_("Unreachable (link lost)"), "unknown": N_("Unknown (not read)"),
}
# a row's state cell and its floor-plan tile: the short words (the chips and the state filter say
# the long ones); "未知（未在抄读）" was cut to "未知（未在抄…" in the column's default width
CELL_TITLES = {**STATE_TITLES, "unknown": N_("Unknown"), "unreachable": N_("Unreachable")}
COLUMNS = ("number", "place", "customer", "state", "balance", "reading", "age", "voltage", "current", "power",
           "link")
HEADERS = {
    "number": N_("Meter"), "place": N_("Room"), "customer": N_("Customer"), "state": N_("State"),
    "balance": N_("Balance"), "reading": N_("Last reading"), "age": N_("Age"), "voltage": N_("Voltage (V)"),
    "current": N_("Current (A)"), "power": N_("Power (kW)"), "link": N_("Link"),
}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
_SORT, _ROW = int(SORT_ROLE), int(ROW_ROLE)
_NO_PARENT = QModelIndex()


def age_text(at: datetime | None, now: datetime) -> str:
    if at is None:
        return ""
    seconds = max(0, int((now - at).total_seconds()))
    if seconds < 60:
        return _("{n} s").format(n=seconds)
    if seconds < 3600:
        return _("{n} min").format(n=seconds // 60)
    if seconds < 86400:
        return _("{n} h").format(n=seconds // 3600)
    return _("{n} d").format(n=seconds // 86400)


def _dec(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


@dataclasses.dataclass(frozen=True)
class BoardRows:
    """A reload worked out off the GUI thread (MeterTableModel.prepare): the rows in the order
    `sort` gives them, each meter's row number, the count per board state."""

    rows: list[MonitorRow]
    index: dict[int, int]
    counts: Counter[str]
    sort: tuple[int, Qt.SortOrder] | None
    marked: frozenset[int] = frozenset()    # the unwatched meters whose rows prepare() marked


MAX_RUNS = 16        # more runs of changed rows than this: one dataChanged over their span
SLICE_ROWS = 500     # merge(sliced=True): a reload's rows compared and replaced per event-loop turn


class MeterTableModel(QAbstractTableModel):
    aged = Signal()      # tick(): only the age column's text changed (views repaint, nothing re-filters)

    def __init__(self, parent=None, columns: Sequence[str] = COLUMNS) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.rows: list[MonitorRow] = []
        # per row, worked out when first needed (None until then): the lower-cased text it is
        # searched by (searched_text) and what it shows (look_of, meter_looks.RowLooks). A load of
        # 10,000 rows or a sweep of readings then costs the GUI thread only the rows painted or
        # searched: all of them at once took 140-200 ms of its CPU (bench_gui --stall-profile)
        self.search: list[str | None] = []
        self.looks: list[Look | None] = []
        self._index: dict[int, int] = {}        # meter_id -> row
        # meters the bridge said "unknown" (nobody reads them) and no reading or runtime's state
        # has named since: their rows are "unknown", reloaded ones too (any meter id, on the board
        # or not yet: a page built after the runtime ended marks its first load)
        self.unwatched: set[int] = set()
        self.counts: Counter[str] = Counter()
        self.now = datetime.now(UTC)   # the age column's "now" (set by tick())
        self._state_titles = {s: _(t) for s, t in CELL_TITLES.items()}
        self._looks = RowLooks(self.columns, self._display)
        self._cells = self._looks.cells             # the looks' shared per-role tuples
        self._ages = AgeTexts(age_text)
        self._ncols = len(self.columns)
        self._sort: tuple[int, Qt.SortOrder] | None = None
        # merge(sliced=True): reloaded rows not yet compared (meter_id -> row), SLICE_ROWS a turn
        self._pending: dict[int, MonitorRow] = {}
        self._live_since: set[int] | None = None       # meters updated live since reload_started()
        self._slicer = QTimer(self, singleShot=True, interval=0, timeout=self._patch_slice)

    def state_title(self, state: str) -> str:
        return self._state_titles.get(state, state)

    # --- Qt model interface (called for every visible cell at every paint: lookups only)
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._ncols

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> QModelIndex:
        """QAbstractTableModel.index without its rowCount/columnCount calls (two more calls from
        C++ into Python for every cell the proxy maps)."""
        if 0 <= row < len(self.rows) and 0 <= column < self._ncols and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY:
            return _(HEADERS[self.columns[section]])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        r = index.row()
        if r < 0:                               # an invalid index
            return None
        return self.value(r, index.column(), role)

    def value(self, r: int, c: int, role: int) -> Any:
        """The value of a role at source row r, column c (data() without the index)."""
        if role == DISPLAY:
            look = self.looks[r] or self.look_of(r)
            if c == self._looks.age_col:
                return self._ages.get(look[AT], self.now)
            return look[TEXT0 + c]
        slot = SLOTS.get(role)
        if slot is not None:
            return self._cells[(self.looks[r] or self.look_of(r))[slot]][c]
        if role == ALIGNMENT:
            return self._looks.align[c]
        if role == _SORT:
            return self._sort_key(self.rows[r], self.columns[c])
        if role == _ROW:
            return self.rows[r]
        return None

    def multiData(self, index: QModelIndex | QPersistentModelIndex, span) -> None:  # noqa: N802 - Qt name
        """Every role the view asks of a cell in one call (Qt 6's QStyledItemDelegate asks seven)."""
        r = index.row()
        if r >= 0:
            self.fill(r, index.column(), span)
        else:
            for item in span:
                item.clearData()

    def fill(self, r: int, c: int, span) -> None:
        value = self.value
        for item in span:                       # every role: the delegate reuses the span
            v = value(r, c, item.role())
            if v is None:
                item.clearData()
            else:
                item.setData(v)

    def _display(self, row: MonitorRow, col: str) -> str:
        if col == "number":
            return row.number
        if col == "place":
            return " ".join(p for p in (row.building, row.floor, row.room) if p)
        if col == "customer":
            return row.customer
        if col == "state":
            return self._state_titles.get(row.state, row.state)
        if col == "balance":
            return "" if row.balance_fen is None else str(from_fen(row.balance_fen))
        if col == "reading":
            if row.energy_milli is None:
                return ""
            return f"{Decimal(row.energy_milli).scaleb(-3):f} {reading_unit(row)}".rstrip()
        if col == "age":
            return age_text(row.last_read_at or row.read_at, self.now)
        if col in ("voltage", "current", "power"):
            return str(row.last_values.get(col, ""))
        if col == "link":
            return row.link
        return ""

    def _sort_key(self, row: MonitorRow, col: str) -> Any:
        if col == "state":
            return BOARD_STATES.index(row.state) if row.state in BOARD_STATES else 99
        if col == "balance":
            return row.balance_fen if row.balance_fen is not None else -(10 ** 15)
        if col == "reading":
            return row.energy_milli if row.energy_milli is not None else -1
        if col == "age":
            at = row.last_read_at or row.read_at
            return -at.timestamp() if at is not None else -1e18
        if col in ("voltage", "current", "power"):
            d = _dec(row.last_values.get(col))
            return float(d) if d is not None else -1e18
        return self._display(row, col)

    # --- loading and updating
    @staticmethod
    def search_text(row: MonitorRow) -> str:
        return " ".join((row.number, row.room, row.customer, row.account, row.building, row.floor, row.link,
                         " ".join(row.tags))).lower()

    def look_of(self, r: int) -> Look:
        look = self.looks[r] = self._looks.look(self.rows[r])
        return look

    def searched_text(self, r: int) -> str:
        text = self.search[r] = self.search_text(self.rows[r])
        return text

    def load(self, rows: Iterable[MonitorRow]) -> None:
        """Replace everything (a model reset)."""
        rows = list(rows)
        self._reset(rows, {r.meter_id: i for i, r in enumerate(rows)}, Counter(r.state for r in rows))

    def _reset(self, rows: list[MonitorRow], index: dict[int, int], counts: Counter[str],
               marked: frozenset[int] = frozenset()) -> None:
        self._pending.clear()
        self.beginResetModel()
        self.rows = rows
        self.search = [None] * len(rows)
        self.looks = [None] * len(rows)
        self._index = index
        self.counts = counts
        self.endResetModel()
        # rows prepare() marked whose meter a runtime has read since; the unwatched ones it did not
        # mark (the database does not know nobody reads them)
        changed = [i for m in marked - self.unwatched if (i := index.get(m)) is not None and rows[i].unwatched]
        for i in changed:
            self._set(i, self._marked(rows[i], False), signal=False)
        if self.unwatched:
            changed += self._mark_unwatched(self.unwatched)
        self._signal_rows(changed)

    def sort_order(self) -> tuple[int, Qt.SortOrder] | None:
        """The column and order the rows are kept in (prepare() wants it, taken on the GUI thread)."""
        return self._sort

    def prepare(self, rows: Sequence[MonitorRow], sort: tuple[int, Qt.SortOrder] | None) -> BoardRows:
        """A reload's rows sorted, indexed and counted, for merge(): any thread (it reads only
        the rows, what the model holds from its construction and a copy of `unwatched`, whose
        rows it marks "unknown": the set of ints is copied in one step under the interpreter
        lock; merge() sets right what changed since). At 10,000 meters sorting,
        indexing and counting on the GUI thread were 3/4 of a reset's 21 ms of its CPU (a bare
        table; 41 ms in bench_gui --cpu-profile on a loaded machine); a reset of prepared rows
        costs it ≈ 5 ms, the proxy's pass and the view's."""
        rows = list(rows)
        marked = frozenset(self.unwatched)
        if marked:
            rows = [self._marked(r, True) if r.meter_id in marked and not r.unwatched else r for r in rows]
        if sort is not None and 0 <= sort[0] < len(self.columns):
            rows = [rows[i] for i in self._order(rows, sort[0], sort[1])]
        return BoardRows(rows, {r.meter_id: i for i, r in enumerate(rows)}, Counter(r.state for r in rows), sort,
                         marked)

    def merge(self, reloaded: Sequence[MonitorRow] | BoardRows, *, sliced: bool = False) -> int:
        """Take a reloaded list (or prepare()'s BoardRows): when it holds the same meters only the
        rows that differ are signalled (dataChanged), in the model's current order; otherwise the
        model is reset (and re-sorted). Returns how many rows changed.

        sliced: more rows than SLICE_ROWS are compared and replaced SLICE_ROWS per turn of the
        event loop, not at once (a page's periodic reload at 10,000 meters: 9,000 rows replaced
        in one go held the GUI thread for 140-190 ms of its CPU, bench_gui --stall-profile);
        returns 0, the rows change over the next turns. A live update of a meter meanwhile (newer
        than the reload) drops its reloaded row; a reset drops them all. A reset of prepared
        rows in the model's order neither sorts nor indexes them again."""
        since, self._live_since = self._live_since, None
        prepared = reloaded if isinstance(reloaded, BoardRows) else None
        rows: Sequence[MonitorRow] = reloaded.rows if isinstance(reloaded, BoardRows) else reloaded
        if prepared is not None:
            same = prepared.index.keys() == self._index.keys()
        else:
            same = len(rows) == len(self.rows) and all(r.meter_id in self._index for r in rows)
        if not same:
            if prepared is not None and prepared.sort == self._sort:
                self._reset(prepared.rows, prepared.index, Counter(prepared.counts), prepared.marked)  # taken over
                return len(rows)
            self.load(rows)
            if self._sort is not None:
                self.sort(*self._sort)
            return len(rows)
        if since:                                       # live since the reload was asked for: kept
            rows = [r for r in rows if r.meter_id not in since]
        if sliced and len(rows) > SLICE_ROWS:
            self._pending = {r.meter_id: r for r in rows}
            self._patch_slice()
            return 0
        return self.patch(rows) or 0

    def _patch_slice(self) -> None:
        pending = self._pending
        if not pending:
            return
        take = [pending.pop(meter_id) for meter_id in list(itertools.islice(pending, SLICE_ROWS))]
        self.patch(take)
        if pending:
            self._slicer.start()

    def reload_started(self) -> None:
        """A whole reload was asked for now: a meter updated live from now until its rows are
        merged keeps its live row (the reload's snapshot may predate the event; the rows travel
        from the runtime child through a few event-loop turns, and a stale "unknown, never read"
        row merged over a live one stayed until the meter's next scheduled read)."""
        self._live_since = set()

    def merging(self) -> bool:
        """Reloaded rows are still being merged (merge(sliced=True))."""
        return bool(self._pending)

    def patch(self, rows: Sequence[MonitorRow]) -> int | None:
        """Take reloaded rows of some meters (monitor_rows(meter_ids=...)): the ones that differ
        are replaced in place and signalled. None (and nothing changed) when one of them is not
        on the board: the caller reloads everything."""
        if any(r.meter_id not in self._index for r in rows):
            return None
        changed = []
        pending, unwatched = self._pending, self.unwatched
        for new in rows:
            if pending:
                pending.pop(new.meter_id, None)         # this row is newer than a sliced merge's
            i = self._index[new.meter_id]
            if new.unwatched:                           # marked by prepare(): read again since?
                if new.meter_id not in unwatched:
                    new = self._marked(new, False)
            elif unwatched and new.meter_id in unwatched:   # read by nobody still
                new = self._marked(new, True)
            if self.rows[i] != new:
                self._set(i, new, signal=False)
                changed.append(i)
        self._signal_rows(changed)
        return len(changed)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows themselves (a key per row: fast for 10,000, unlike pairwise compares)."""
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        perm = self._order(self.rows, column, order)
        new_pos = {old: new for new, old in enumerate(perm)}
        self.rows = [self.rows[i] for i in perm]
        self.search = [self.search[i] for i in perm]
        self.looks = [self.looks[i] for i in perm]
        self._index = {r.meter_id: i for i, r in enumerate(self.rows)}
        old_idx = self.persistentIndexList()
        self.changePersistentIndexList(old_idx, [self.index(new_pos[ix.row()], ix.column()) for ix in old_idx])
        self.layoutChanged.emit()

    def _order(self, rows: Sequence[MonitorRow], column: int, order: Qt.SortOrder) -> list[int]:
        """The row numbers of `rows` in the order of a column (a key per row)."""
        col = self.columns[column]
        keyed = [(self._sort_key(r, col), i) for i, r in enumerate(rows)]
        try:
            keyed.sort(reverse=order == Qt.SortOrder.DescendingOrder)
        except TypeError:                       # mixed key types: compare as text
            keyed = sorted(((str(k), i) for k, i in keyed), reverse=order == Qt.SortOrder.DescendingOrder)
        return [i for _k, i in keyed]

    def _set(self, i: int, row: MonitorRow, *, signal: bool = True) -> None:
        old = self.rows[i]
        if old.state != row.state:
            self.counts[old.state] -= 1
            self.counts[row.state] += 1
        self.rows[i] = row
        self.search[i] = None
        self.looks[i] = None
        if signal:
            self._signal_rows([i])

    def _signal_rows(self, rows: list[int]) -> None:
        """dataChanged over runs of consecutive rows; a batch scattered over more than MAX_RUNS
        runs is one dataChanged over its span (each signal costs the proxy, the view and the
        page's summary a pass; one pass over the span is cheaper than thousands)."""
        if not rows:
            return
        last = len(self.columns) - 1
        ordered = sorted(rows)
        runs: list[tuple[int, int]] = []
        for i in ordered:
            if runs and i == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
        if len(runs) > MAX_RUNS:
            runs = [(ordered[0], ordered[-1])]
        for start, end in runs:
            self.dataChanged.emit(self.index(start, 0), self.index(end, last))

    def row_of(self, meter_id: int) -> int | None:
        return self._index.get(meter_id)

    def update_row(self, meter_id: int, *, signal: bool = True, **changes: Any) -> bool | int:
        """Patch one meter's row (live event); recomputes its board state. False if unknown.
        signal=False: returns the row number when it changed (True when not), for _signal_rows."""
        i = self._index.get(meter_id)
        if i is None:
            return False
        if self._live_since is not None:
            self._live_since.add(meter_id)              # newer than the reload under way (reload_started)
        if self._pending:
            self._pending.pop(meter_id, None)           # a live event is newer than a sliced merge's row
        old = self.rows[i]
        get = lambda name: changes[name] if name in changes else getattr(old, name)  # noqa: E731
        changes["state"] = board_state(
            comm_state=get("comm_state"), account_open=get("account_id") is not None,
            relay_state=get("relay_state"), keep_power=get("keep_power"), alarm_level=get("alarm_level"),
            watched=not get("unwatched"))
        row = row_replaced(old, changes)
        if row != self.rows[i]:
            self._set(i, row, signal=signal)
            if not signal:
                return i
        return True

    def apply_batch(self, readings: Iterable[dict[str, Any]] = (), states: dict[int, str] | None = None) -> int:
        """What changed since the last frame (ui.bridge's coalesced batch): the last reading of
        each meter and its last comm state, applied with one dataChanged per run of changed
        rows. Returns how many rows changed (rows marked "unknown" over the next turns of the
        event loop are not counted: _mark_unwatched)."""
        last: dict[int, dict[str, Any]] = {}
        for r in readings:
            last[int(r["meter_id"])] = r
        changed: set[int] = set()
        for meter_id, r in last.items():
            i = self.apply_reading(meter_id, dict(r.get("values") or {}), r.get("at"), signal=False)
            if i is not True and i is not False:
                changed.add(i)
        rows, index, pending, unwatched = self.rows, self._index, self._pending, self.unwatched
        marked: list[int] = []
        for meter_id, state in (states or {}).items():
            if state == "unknown":                  # nobody reads it now (the runtime ended)
                if int(meter_id) not in unwatched:
                    unwatched.add(int(meter_id))
                    marked.append(int(meter_id))
            elif state in ("online", "lost", "unreachable"):
                known = index.get(int(meter_id))
                if unwatched and int(meter_id) in unwatched:                # a runtime reads it again
                    unwatched.discard(int(meter_id))
                elif known is not None and rows[known].comm_state == state:   # e.g. online after its reading:
                    if pending:                                             # nothing moves (half a batch's
                        pending.pop(int(meter_id), None)                    # rows were rebuilt for nothing)
                    continue
                i = self.update_row(int(meter_id), signal=False, comm_state=state, unwatched=False)
                if i is not True and i is not False:
                    changed.add(i)
        if marked:
            changed.update(self._mark_unwatched(marked))
        self._signal_rows(list(changed))
        return len(changed)

    def _mark_unwatched(self, meter_ids: Iterable[int]) -> list[int]:
        """The rows of these meters (the unwatched ones) in the board state "unknown". Up to
        SLICE_ROWS at once: returns the rows changed, not yet signalled. More (a runtime's end
        marks every meter): their rows go to the sliced merge's queue and patch() marks them,
        SLICE_ROWS per turn of the event loop (a row is a row_replaced, a few µs: 10,000
        at once held the GUI thread ≈ 0.1 s); a queued reloaded row stays (patch marks it), a
        live update meanwhile takes the row out of the queue. Returns []."""
        index, rows = self._index, self.rows
        todo = [(m, i) for m in meter_ids if (i := index.get(m)) is not None and not rows[i].unwatched]
        if len(todo) > SLICE_ROWS:
            pending = self._pending
            for m, i in todo:
                pending.setdefault(m, rows[i])
            self._slicer.start()
            return []
        for _m, i in todo:
            self._set(i, self._marked(rows[i], True), signal=False)
        return [i for _m, i in todo]

    @staticmethod
    def _marked(row: MonitorRow, unwatched: bool) -> MonitorRow:
        """The row as nobody reads it (state "unknown") or as read again (its state from the rest)."""
        return row_replaced(row, {"unwatched": unwatched, "state": board_state(
            comm_state=row.comm_state, account_open=row.account_id is not None, relay_state=row.relay_state,
            keep_power=row.keep_power, alarm_level=row.alarm_level, watched=not unwatched)})

    def apply_reading(self, meter_id: int, values: dict[str, Any], at: datetime | None = None, *,
                      signal: bool = True) -> bool | int:
        """A reading arrived: live values, energy, relay state, time; the comm state is online
        (and somebody reads the meter: no longer unwatched)."""
        plain: dict[str, Any] = {q: str(getattr(v, "value", v)) for q, v in values.items() if q != "units"}
        units = {q: v.unit for q, v in values.items() if getattr(v, "unit", None)} or values.get("units")
        if isinstance(units, dict) and units:
            plain["units"] = flat_units(units)   # the reading's unit stays known (reading_unit)
        elif isinstance(units, tuple) and units:
            plain["units"] = units
        changes: dict[str, Any] = {"last_values": plain, "comm_state": "online", "unwatched": False,
                                   "last_read_at": at or datetime.now(UTC)}
        if self.unwatched:
            self.unwatched.discard(meter_id)
        if plain.get("relay") in ("open", "closed"):
            changes["relay_state"] = plain["relay"]
        energy = _dec(plain.get("energy") if "energy" in plain else plain.get("volume"))
        if energy is not None:
            changes["energy_milli"] = int(energy.scaleb(3))
            changes["read_at"] = changes["last_read_at"]
        return self.update_row(meter_id, signal=signal, **changes)

    def tick(self, now: datetime | None = None) -> None:
        """Advance the age column's clock; views repaint on `aged` (a dataChanged over 10,000
        rows cost the proxy a quarter of a second; only the visible cells need new text)."""
        self.now = now or datetime.now(UTC)
        if "age" in self.columns and self.rows:
            self.aged.emit()


class MeterFilter(QSortFilterProxyModel):
    """Filters by building (id), floor (name), state, tag ("kind:name") and text; sorts by raw value.

    Not dynamic: a live batch's dataChanged passes straight through (Qt's dynamic filter called
    filterAcceptsRow, Python, for every changed row of every batch: seconds a minute at 10,000
    meters). While a filter is set, rows are re-filtered at most once every REFILTER_MS."""

    REFILTER_MS = 1000

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(False)
        self._refilter = QTimer(self, singleShot=True, interval=self.REFILTER_MS, timeout=self._invalidate_rows)
        self.dataChanged.connect(self._source_changed)
        self.building: int | None = None
        self.floor: str | None = None
        self.state: str | None = None
        self.tag: str | None = None
        self.text = ""
        self._on = False                # any filter set (a model reset asks about every row)
        self.setSortRole(SORT_ROLE)

    def set_filters(self, *, building: int | None = None, floor: str | None = None, state: str | None = None,
                    tag: str | None = None, text: str = "") -> None:
        self.beginFilterChange()
        self.building, self.floor, self.state, self.tag = building, floor or None, state or None, tag or None
        self.text = text.strip().lower()
        self._on = self.active()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def active(self) -> bool:
        return any(v is not None for v in (self.building, self.floor, self.state, self.tag)) or bool(self.text)

    def _source_changed(self, *_args) -> None:
        if self.active() and not self._refilter.isActive():
            self._refilter.start()

    def _invalidate_rows(self) -> None:
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is the source model's (one key per row); the proxy keeps its order."""
        self.sourceModel().sort(column, order)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, span) -> None:  # noqa: N802 - Qt name
        """A cell's roles in one call into Python (QSortFilterProxyModel would ask the source
        model role by role: seven calls into Python a cell, each taking the GIL)."""
        if not self._on:           # no filter: its rows are the model's, in order (it never sorts)
            model: MeterTableModel = self.sourceModel()   # type: ignore[assignment]
            r = index.row()
            if 0 <= r < len(model.rows):
                model.fill(r, index.column(), span)     # no mapToSource: its two index() calls
                return
        source = self.mapToSource(index)
        if source.isValid():
            self.sourceModel().fill(source.row(), source.column(), span)
        else:
            for item in span:
                item.clearData()

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:  # noqa: N802 - Qt name
        if not self._on:
            return True
        model: MeterTableModel = self.sourceModel()   # type: ignore[assignment]
        row = model.rows[source_row]
        if self.state is not None and row.state != self.state:
            return False
        if self.building is not None and row.building_id != self.building:
            return False
        if self.floor is not None and row.floor != self.floor:
            return False
        if self.tag is not None and self.tag not in row.tags:
            return False
        return not self.text or self.text in (model.search[source_row] or model.searched_text(source_row))

    def meter_ids(self, proxy_rows: Iterable[int]) -> list[int]:
        model: MeterTableModel = self.sourceModel()   # type: ignore[assignment]
        return [model.rows[self.mapToSource(self.index(r, 0)).row()].meter_id for r in proxy_rows]

    def visible_ids(self) -> list[int]:
        return self.meter_ids(range(self.rowCount()))
