"""Export of operation-log rows to .xlsx (streamed) or .csv (UTF-8 with BOM for Excel)."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Sequence

from models.cell_safety import csv_row, safe_xlsx_row
from models.errors import InvalidInput
from resources.i18n import _


def headers() -> list[str]:
    return [_("No."), _("Time"), _("Operator"), _("Station"), _("Action"), _("Target"), _("Details")]


def export_rows(path: str | Path, rows: Iterable[Sequence[object]]) -> int:
    """Write rows (seq, time, operator, station, action, target, details); return the count."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InvalidInput(_("Export to a .csv or .xlsx file"))
    count = 0
    if suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(_("Operation log"))
        ws.freeze_panes = "A2"
        ws.append(headers())
        for r in rows:
            ws.append(safe_xlsx_row(ws, r))
            count += 1
        wb.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(headers())
            for r in rows:
                w.writerow(csv_row(r))
                count += 1
    return count
