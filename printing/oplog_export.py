"""Export of operation-log rows to .xlsx or .csv (UTF-8 with BOM for Excel), streamed: rows are
written as they come from the cursor, so a year of log never sits in memory.

The .xlsx goes through the streaming table writer of printing/excel.py (each row rendered
straight to sheet XML; text cells that would start a formula are string cells with
quotePrefix, models/cell_safety.py); the CSV neutralises such cells with an apostrophe. The
file appears atomically (written beside the target, then renamed).
"""
from __future__ import annotations

import csv
import enum
import os
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final

from sqlalchemy.orm import Session

from models import station_time
from models.cell_safety import csv_row
from models.errors import InvalidInput
from models.station_paths import private_file
from resources.i18n import _


def headers() -> list[str]:
    return [_("No."), _("Time"), _("Operator"), _("Station"), _("Action"), _("Target"), _("Details")]


def export_log(session: Session, path: str | Path, **filters: Any) -> int:
    """Export the log rows matching filters (models.oplog.search's), newest first, as the
    command line shows them: local time, the action code, the details' JSON text."""
    from models import oplog

    local = LocalTime(station_time.zone())
    rows = ((seq, local(at), operator, station, action, target, details)
            for seq, at, operator, station, action, target, details in oplog.search_rows(session, **filters))
    return export_rows(path, rows)


class _Unseen(enum.Enum):
    """An hour not looked up yet (None in the cache: an hour with a zone change in it)."""
    UNSEEN = 0


_UNSEEN: Final = _Unseen.UNSEEN
_HOUR_END = timedelta(seconds=3599, microseconds=999999)


class LocalTime:
    """An aware UTC time as local "YYYY-MM-DDTHH:MM:SS" in `tz` (what `at.astimezone(tz)` shows),
    with the zone's offset looked up once per UTC hour instead of once per row: an hour whose
    start and end have the same offset has it throughout; an hour with a zone change in it
    (daylight saving) is converted row by row."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        self.tz = tz                    # None: the PC's zone; the export passes the station's
        self.offsets: dict[tuple[int, int], timedelta | None] = {}

    def __call__(self, at: datetime) -> str:
        if at.tzinfo is not UTC:
            return at.astimezone(self.tz).isoformat(timespec="seconds")[:19]
        key = (at.toordinal(), at.hour)
        offset: timedelta | None | _Unseen = self.offsets.get(key, _UNSEEN)
        if offset is _UNSEEN:
            start = at.replace(minute=0, second=0, microsecond=0)
            first = start.astimezone(self.tz).utcoffset()
            last = (start + _HOUR_END).astimezone(self.tz).utcoffset()
            offset = self.offsets[key] = first if first == last else None
        if offset is None:
            return at.astimezone(self.tz).isoformat(timespec="seconds")[:19]
        return (at + offset).isoformat(timespec="seconds")[:19]


def export_rows(path: str | Path, rows: Iterable[Sequence[object]]) -> int:
    """Write rows (seq, time, operator, station, action, target, details); return the count."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InvalidInput(_("Export to a .csv or .xlsx file"))
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        count = _xlsx(tmp, rows) if suffix == ".xlsx" else _csv(tmp, rows)
        private_file(tmp)                   # the operation log: the station's user only
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        close = getattr(rows, "close", None)    # a generator over a cursor: close it now, not at collection
        if close is not None:
            close()
    return count


def _xlsx(path: Path, rows: Iterable[Sequence[object]]) -> int:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from printing.excel import RAW_BATCH, Column, _abandon, _fast_cells, _header, _Writer

    columns = [Column(h, i, "int" if i == 0 else "text") for i, h in enumerate(headers())]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Operation log"))
    for i, width in enumerate((9, 20, 12, 14, 18, 24, 60), 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    raw = _fast_cells(ws)
    ws.append([_header(ws, c.header) for c in columns])
    writer = _Writer(ws, columns, [])
    count = 0
    try:
        batch = []
        for r in rows:
            batch.append(writer.row(r))
            count += 1
            if len(batch) == RAW_BATCH:
                raw.write(batch)
                batch.clear()
        raw.write(batch)
        wb.save(path)
    except BaseException:
        _abandon(ws)
        raise
    return count


def _csv(path: Path, rows: Iterable[Sequence[object]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers())
        for r in rows:
            w.writerow(csv_row(r))
            count += 1
    return count
