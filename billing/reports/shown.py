"""The first rows of a report too long for a screen, with how many there are and the way to all of them.

A report whose rows may run into the hundreds of thousands (the alarm history) returns at most
its screen's worth from run(); when it had to stop there it says so rather than pass the first
rows off as the whole:

    rows = spec.run(db, start, end, group, actor)      # a Shown: a list of the first rows
    rows.cut, len(rows), rows.total                    # True, 100000, 150000
    report_summary(key, rows)                          # ["Showing the first 100000 of 150000 rows; ..."]
    export_xlsx(path, key, rows, start, end)           # writes all 150,000, streamed from the database

The export goes back to the database (billing/reports/catalog.export_xlsx) in one read
transaction, the rows from the cursor as they come, bounded as the count was (the alarms up to
the newest when counted), so the file holds the `total` rows the screen named and memory stays
flat however many there are.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from models.db import Database
from resources.i18n import _

T = TypeVar("T")


class Shown(list[T], Generic[T]):
    """A list of a report's first rows; `total` the rows the report has, `stream(session)` all of them."""

    def __init__(self, rows: Iterable[T], total: int, db: Database,
                 stream: Callable[[Session], Iterator[T]]) -> None:
        super().__init__(rows)
        self.total = total
        self._db = db
        self._stream = stream

    @property
    def cut(self) -> bool:
        """True when the report has more rows than these."""
        return self.total > len(self)

    @contextmanager
    def every_row(self) -> Iterator[Iterator[T]]:
        """All the report's rows, from the cursor, inside a read transaction held while in the block."""
        with self._db.read() as s:
            yield self._stream(s)

    def note(self) -> list[str]:
        """What the screen says when these are not all the rows ([] when they are)."""
        if not self.cut:
            return []
        return [_("Showing the first {shown} of {total} rows; Export to Excel writes all {total}").format(
            shown=len(self), total=self.total)]
