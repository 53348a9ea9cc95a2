"""The alarm history a page at a time (billing/alarm_pages.py) over 150,000 alarms on SQLite:
the newest and the very first are reachable, the database's counts match the filters, every
page read is one bounded statement (LIMIT, at most PAGE rows), an alarm raised while paging
does not shift the pages, and an operator limited to a building counts only its alarms."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from billing import alarm_pages
from billing.alarm_pages import PAGE, AlarmFilter, open_window, read_page
from models.automation import Alarm
from models.errors import InvalidInput

N = 150_000
KINDS = ("arrears", "meter_lost", "alarm1", "over_voltage", "link_lost")
STATES = ("open", "acknowledged", "cleared")
STEP = timedelta(seconds=10)


def seed(db, n: int = N, *, end: datetime | None = None) -> datetime:
    """n alarms, one every 10 s up to `end` (default now), kinds and states in turn; the first
    raised gets the lowest id. Returns the first one's time."""
    end = end or datetime.now(UTC).replace(microsecond=0)
    first = end - STEP * n
    for lo in range(0, n, 25_000):
        rows = [{"kind": KINDS[i % len(KINDS)], "state": STATES[i % 3], "message": f"alarm {i}", "details": "{}",
                 "raised_at": first + STEP * i, "acked_by": "root" if i % 3 == 1 else ""}
                for i in range(lo, min(n, lo + 25_000))]
        with db.write() as s:
            s.execute(sa.insert(Alarm), rows)
    return first


class Statements:
    """The SELECTs run while in the block, with their parameters."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    def __enter__(self) -> Statements:
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self._note)

    def _note(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.seen.append((statement, parameters))


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """150,000 alarms, seeded once for the module's tests (they only read)."""
    from access import login as auth
    from access import operators
    from models.db import Database

    folder = tmp_path_factory.mktemp("alarms")
    with pytest.MonkeyPatch.context() as mp:       # the station key and folders: the module's own
        for name in ("CONFIG", "DATA", "LOG", "BILL"):
            mp.setenv(f"METERSTATION_{name}_DIR", str(folder / name.lower()))
        db = Database.open(f"sqlite:///{folder / 'alarms.db'}", upgrade=True)
        operators.create_first_operator(db, "root", "secret-1", "TEST")
        root = auth.login(db, "root", "secret-1", "TEST")
        first = seed(db)
        with db.read() as s:
            ids = s.execute(sa.select(sa.func.min(Alarm.id), sa.func.max(Alarm.id))).one()
        yield db, root, first, ids
        db.dispose()


@pytest.fixture
def superadmin_sqlite(sqlite_db):
    from access import login as auth
    from access import operators

    operators.create_first_operator(sqlite_db, "root", "secret-1", "TEST")
    return auth.login(sqlite_db, "root", "secret-1", "TEST")


def test_every_alarm_is_reachable_and_pages_are_bounded(many):
    db, root, first, (lowest, highest) = many
    window = open_window(db, root, AlarmFilter())
    assert window.count == N and window.top_id == highest
    with Statements() as st:
        newest = read_page(db, root, window, 0)
    assert len(newest) == PAGE and newest[0].id == highest and newest[-1].id == highest - PAGE + 1
    assert [r.id for r in newest] == sorted((r.id for r in newest), reverse=True)
    # one statement per page, with LIMIT PAGE: the database hands over at most PAGE rows
    [(sql, params)] = st.seen
    assert "LIMIT" in sql.upper() and PAGE in tuple(params)
    with Statements() as st:
        [oldest] = read_page(db, root, window, N - 1)
    assert oldest.id == lowest and oldest.raised_at == first and oldest.message == "alarm 0"
    assert len(st.seen) == 1
    last_page = read_page(db, root, window, N - 37, limit=10_000)        # asked for more: PAGE at most
    assert len(last_page) == 37 and last_page[-1].id == lowest
    assert read_page(db, root, window, N) == [] and read_page(db, root, window, -1) == []


def test_filters_count_in_the_database(many):
    db, root, first, _ids = many
    by_kind = open_window(db, root, AlarmFilter(kinds=("arrears",)))
    assert by_kind.count == N // len(KINDS)
    assert {r.kind for r in read_page(db, root, by_kind, by_kind.count - PAGE)} == {"arrears"}
    assert open_window(db, root, AlarmFilter(state="acknowledged")).count == N // 3
    lo, hi = first + STEP * 1000, first + STEP * 3000                   # alarms 1000 .. 2999
    span = open_window(db, root, AlarmFilter(since=lo, until=hi))
    assert span.count == 2000
    assert read_page(db, root, span, span.count - 1)[0].message == "alarm 1000"
    both = open_window(db, root, AlarmFilter(since=lo, until=hi, kinds=("meter_lost",), state="open"))
    assert both.count == sum(1 for i in range(1000, 3000) if i % len(KINDS) == 1 and i % 3 == 0)
    assert alarm_pages.count_open(db, root) == N - N // 3          # open and acknowledged
    with pytest.raises(InvalidInput):
        AlarmFilter(state="gone")
    with pytest.raises(InvalidInput):
        AlarmFilter(kinds=("nonsense",))


def test_a_new_alarm_does_not_shift_the_pages(sqlite_db, superadmin_sqlite):
    seed(sqlite_db, 500)
    window = open_window(sqlite_db, superadmin_sqlite, AlarmFilter())
    before = read_page(sqlite_db, superadmin_sqlite, window, 200)
    seed(sqlite_db, 3)
    assert read_page(sqlite_db, superadmin_sqlite, window, 200) == before
    assert open_window(sqlite_db, superadmin_sqlite, AlarmFilter()).count == 503


def test_limited_operator_counts_its_buildings_only(db, root):
    from access import login as auth
    from access import operators
    from archive import places

    a = places.add_building(db, root, "A")
    b = places.add_building(db, root, "B")
    with db.write() as s:
        s.execute(sa.insert(Alarm), [{"kind": "arrears", "state": "open", "message": str(i), "details": "{}",
                                      "building_id": (a, b, None)[i % 3]} for i in range(30)])
    operators.add_operator(db, root, "lim", "pass-123", "cashier", buildings=[a])
    lim = auth.login(db, "lim", "pass-123", "TEST")
    window = open_window(db, lim, AlarmFilter())
    assert window.count == 10 and len(read_page(db, lim, window, 0)) == 10
    assert open_window(db, root, AlarmFilter()).count == 30
    assert alarm_pages.PAGE == 200
