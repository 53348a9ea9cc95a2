"""The alarm history a page at a time: every alarm reachable however many there are, the
filters applied by the database, the count from the database, and each read bounded by LIMIT
(the alarms page's windowed table, ui/item_models/alarm_history.py).

    window = open_window(db, actor, AlarmFilter(since=lo, until=hi, kinds=("arrears",)))
    window.count                                   # how many alarms match
    read_page(db, actor, window, offset=0)         # the newest PAGE of them
    read_page(db, actor, window, offset=window.count - 1, limit=1)   # the first ever raised

A window remembers the newest alarm id when it was counted and reads at or below it, so an
alarm raised while someone scrolls does not shift the pages under them (a new search shows it).
A page reads the ids first (the alarms' primary key, OFFSET walking an index only), then the
rows with what they name, so a page deep in 150,000 alarms costs no joins for the rows skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from billing.alarm_log import AlarmRow, alarm_filters, alarm_rows_query, to_row
from models.audit import require_read
from models.automation import ALARM_KINDS, Alarm
from models.db import Database
from models.errors import InvalidInput
from models.rights import Actor
from resources.i18n import _

PAGE = 200              # rows a page read returns at most
STATES = ("open", "acknowledged", "cleared")


@dataclass(frozen=True)
class AlarmFilter:
    since: datetime | None = None       # raised at or after
    until: datetime | None = None       # raised before
    kinds: tuple[str, ...] = ()         # empty: every kind
    state: str | None = None            # open | acknowledged | cleared; None: any

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in STATES:
            raise InvalidInput(_("Unknown alarm state {state}").format(state=self.state))
        unknown = [k for k in self.kinds if k not in ALARM_KINDS]
        if unknown:
            raise InvalidInput(_("Unknown alarm kind {kind}").format(kind=unknown[0]))


@dataclass(frozen=True)
class Window:
    filter: AlarmFilter
    visible: tuple[int, ...] | None     # the operator's buildings (None: all)
    top_id: int                         # the newest alarm when counted: pages are read at or below it
    count: int                          # alarms matching the filter, at or below top_id


def _where(window: Window) -> list[sa.ColumnElement[bool]]:
    f = window.filter
    return [*alarm_filters(window.visible, since=f.since, until=f.until, kinds=f.kinds or None, state=f.state),
            Alarm.id <= window.top_id]


def open_window(db: Database, actor: Actor, alarm_filter: AlarmFilter) -> Window:
    """Count the alarms matching the filter (two statements: the newest id, then a COUNT)."""
    require_read(db, actor, "report_view", "alarm.view")
    visible = actor.visible_buildings()
    shown = None if visible is None else tuple(sorted(visible))
    with db.read() as s:
        top = s.scalar(sa.select(sa.func.max(Alarm.id))) or 0
        window = Window(alarm_filter, shown, top, 0)
        count = s.scalar(sa.select(sa.func.count()).select_from(Alarm).where(*_where(window))) or 0
    return Window(alarm_filter, shown, top, count)


def read_page(db: Database, actor: Actor, window: Window, offset: int, limit: int = PAGE) -> list[AlarmRow]:
    """The alarms at positions offset .. offset+limit-1 of the window, newest first (limit at most PAGE)."""
    require_read(db, actor, "report_view", "alarm.view")
    if offset < 0 or limit < 1:
        return []
    ids = (sa.select(Alarm.id).where(*_where(window)).order_by(Alarm.id.desc())
           .offset(offset).limit(min(limit, PAGE)).scalar_subquery())
    q = alarm_rows_query().where(Alarm.id.in_(ids)).order_by(Alarm.id.desc())
    with db.read() as s:
        return [to_row(*r) for r in s.execute(q)]


def count_open(db: Database, actor: Actor) -> int:
    """How many alarms are not cleared (open or acknowledged) in the operator's buildings."""
    require_read(db, actor, "report_view", "alarm.view")
    visible = actor.visible_buildings()
    with db.read() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Alarm)
                        .where(*alarm_filters(visible, open_only=True))) or 0
