"""Every report the station offers, declared once: title, groupings, columns, totals, chart.

The reports page, the `report` command and the Excel export all read this table, so a report
looks the same everywhere:

    spec = REPORTS["sales"]
    rows = spec.run(db, start, end, "day", actor)          # dataclass rows (Decimal values)
    table = spec.table(rows, "day")                        # [[cell, ...], ...] in column order
    export_xlsx(path, "sales", rows, start, end, "day", progress=cb)

Column headers are msgids, translated when shown (Chinese headers in the default language).
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from billing.alarm_log import KIND_TITLES
from billing.reports import (
    consumption as report_consumption,
)
from billing.reports import (
    field as report_comms,
)
from billing.reports import (
    receivables as report_money,
)
from billing.reports import (
    records as report_records,
)
from billing.reports import (
    shifts as report_shifts,
)
from billing.reports import (
    takings as reports,
)
from billing.reports.shown import Shown
from billing.sales import METHODS
from models.audit import require_read
from models.db import Database
from models.rights import Actor
from resources.i18n import N_, _


@dataclass(frozen=True)
class Col:
    header: str                                   # msgid
    get: Callable[[Any], Any]
    kind: str = "text"                            # printing.excel kinds: text money energy int datetime date
    total: bool = False


def _method_of(method: str) -> Callable[[Any], Any]:
    """A shift row's takings by `method` (one column per payment method)."""
    return lambda r: r.method(method)


@dataclass(frozen=True)
class ReportSpec:
    key: str
    title: str                                    # msgid
    groups: tuple[str, ...]                       # offered groupings; () = none
    run: Callable[..., list[Any]]                # (db, start, end, group, actor[, filters]) -> rows
    columns: Callable[[str], list[Col]]
    chart: tuple[int, int] | None = None          # (label column, value column) for a bar chart
    dated: bool = True                            # False: the state now, the range is ignored
    filtered: bool = False                        # run() takes filters=RecordFilter (sale records)
    # the rows as a stream for exports: (session, start, end, group, actor[, filters]) -> rows
    # from the cursor in a read transaction; None: the report's rows are few (a summary)
    stream: Callable[..., Iterator[Any]] | None = None

    def cols(self, group: str) -> list[Col]:
        return self.columns(group or (self.groups[0] if self.groups else ""))

    def table(self, rows: Sequence[Any], group: str = "") -> list[list[Any]]:
        cols = self.cols(group)
        return [[c.get(r) for c in cols] for r in rows]


GROUP_LABELS = {"day": N_("By day"), "month": N_("By month"), "year": N_("By year"),
                "operator": N_("By operator"), "method": N_("By payment method"),
                "building": N_("By building"), "mode": N_("By billing mode"), "meter": N_("By meter"),
                "room": N_("By room"), "floor": N_("By floor"), "tag": N_("By tag"), "link": N_("By link")}
STATUS_LABELS = {"ok": N_("complete"), "partial": N_("from first reading"), "no_reading": N_("no reading in period"),
                 "no_data": N_("no data"), "backwards": N_("reading went backwards")}
MODE_LABELS = {"meter-prepaid": N_("Meter-side prepaid"), "station-prepaid": N_("Station-side prepaid"),
               "postpaid": N_("Postpaid")}


def _sales_cols(group: str) -> list[Col]:
    label = {"day": N_("Day"), "month": N_("Month"), "year": N_("Year"), "operator": N_("Operator"),
             "method": N_("Payment method")}[group]
    key = (lambda r: _(METHODS.get(r.key, r.key))) if group == "method" else (lambda r: r.key)
    return [Col(label, key), Col(N_("Count"), lambda r: r.count, "int", True),
            Col(N_("Sales (¥)"), lambda r: r.sales, "money", True),
            Col(N_("Refunded (¥)"), lambda r: r.refunds, "money", True),
            Col(N_("Reversed (¥)"), lambda r: r.reversals, "money", True),
            Col(N_("Net (¥)"), lambda r: r.net, "money", True)]


def _receivable_cols(group: str) -> list[Col]:
    label = {"month": N_("Month"), "building": N_("Building"), "mode": N_("Billing mode")}[group]
    key = (lambda r: _(MODE_LABELS.get(r.key, r.key))) if group == "mode" else (lambda r: r.key or "—")
    return [Col(label, key), Col(N_("Accounts"), lambda r: r.accounts, "int"),
            Col(N_("Receivable (¥)"), lambda r: r.receivable, "money", True),
            Col(N_("Paid in (¥)"), lambda r: r.received, "money", True),
            Col(N_("Difference"), lambda r: r.difference, "money", True)]


def _correction_cols(_group: str) -> list[Col]:
    kinds = {"refund": N_("Refund"), "reversal": N_("Reversal")}
    return [Col(N_("Time"), lambda r: r.at, "datetime"), Col(N_("Kind"), lambda r: _(kinds.get(r.kind, r.kind))),
            Col(N_("Receipt No."), lambda r: r.receipt_no),
            Col(N_("Original receipt No."), lambda r: r.original_receipt),
            Col(N_("Account"), lambda r: r.account), Col(N_("Customer"), lambda r: r.customer),
            Col(N_("Operator"), lambda r: r.operator), Col(N_("Amount (¥)"), lambda r: r.amount, "money", True),
            Col(N_("Note"), lambda r: r.note)]


def _consumption_cols(group: str) -> list[Col]:
    label = {"meter": N_("Meter No."), "room": N_("Room"), "floor": N_("Floor"), "building": N_("Building"),
             "tag": N_("Tag")}[group]
    cols = [Col(label, lambda r: r.key or "—"), Col(N_("Consumption (kWh)"), lambda r: r.consumption, "energy", True)]
    if group == "meter":
        return cols[:1] + [Col(N_("Start reading"), lambda r: r.start, "energy"),
                           Col(N_("End reading"), lambda r: r.end, "energy"),
                           Col(N_("Consumption (kWh)"), lambda r: None if r.missing else r.consumption, "energy", True),
                           Col(N_("Data"), lambda r: _(STATUS_LABELS.get(r.status, r.status)))]
    return cols + [Col(N_("Meters"), lambda r: r.meters, "int", True),
                   Col(N_("Meters without data"), lambda r: r.missing, "int", True)]


def _loss_cols(_group: str) -> list[Col]:
    return [Col(N_("Main meter"), lambda r: r.main), Col(N_("Place"), lambda r: r.place),
            Col(N_("Sub meters"), lambda r: r.subs, "int"),
            Col(N_("Main meter (kWh)"), lambda r: r.main_consumption, "energy"),
            Col(N_("Sub meters (kWh)"), lambda r: r.subs_consumption, "energy"),
            Col(N_("Loss (kWh)"), lambda r: r.loss, "energy"), Col(N_("Loss %"), lambda r: r.loss_percent, "energy"),
            Col(N_("Meters without data"), lambda r: r.missing, "int")]


def _alarm_cols(_group: str) -> list[Col]:
    states = {"open": N_("open"), "acknowledged": N_("acknowledged"), "cleared": N_("cleared")}
    return [Col(N_("Raised"), lambda r: r.raised_at, "datetime"),
            Col(N_("Alarm"), lambda r: _(KIND_TITLES.get(r.kind, r.kind))),
            Col(N_("State"), lambda r: _(states.get(r.state, r.state))), Col(N_("Building"), lambda r: r.building),
            Col(N_("Account"), lambda r: r.account), Col(N_("Customer"), lambda r: r.customer),
            Col(N_("Meter No."), lambda r: r.meter), Col(N_("Link"), lambda r: r.link),
            Col(N_("Message"), lambda r: r.message), Col(N_("Acknowledged by"), lambda r: r.acked_by),
            Col(N_("Cleared"), lambda r: r.cleared_at, "datetime")]


def _lost_cols(_group: str) -> list[Col]:
    what = {"meter": N_("Meter"), "link": N_("Link"), "unreachable": N_("Meter (link lost, unreachable)")}
    return [Col(N_("Kind"), lambda r: _(what[r.what])), Col(N_("Name"), lambda r: r.name),
            Col(N_("Link"), lambda r: r.link), Col(N_("Place"), lambda r: r.place),
            Col(N_("Failures in a row"), lambda r: r.fail_streak, "int"),
            Col(N_("Lost since"), lambda r: r.since, "datetime"),
            Col(N_("Last good contact"), lambda r: r.last_ok, "datetime")]


def _read_cols(group: str) -> list[Col]:
    cols = [Col(N_("Link"), lambda r: r.link or "—")]
    if group == "meter":
        cols.append(Col(N_("Meter No."), lambda r: r.meter))
    return cols + [Col(N_("Meters"), lambda r: r.meters, "int", True),
                   Col(N_("Online"), lambda r: r.online, "int", True),
                   Col(N_("Lost"), lambda r: r.lost, "int", True),
                   Col(N_("Unreachable (link lost)"), lambda r: r.unreachable, "int", True),
                   Col(N_("Not read yet"), lambda r: r.unknown, "int", True),
                   Col(N_("Read attempts"), lambda r: r.attempts, "int", True),
                   Col(N_("Successful reads"), lambda r: r.successes, "int", True),
                   Col(N_("Success rate % (reads ÷ attempts)"), lambda r: r.rate, "energy"),
                   Col(N_("Readings in period"), lambda r: r.readings, "int", True),
                   Col(N_("Failures in a row"), lambda r: r.fail_streak, "int"),
                   Col(N_("Last read"), lambda r: r.last_read, "datetime")]


def _shift_cols(_group: str) -> list[Col]:
    states = {"open": N_("open"), "closed": N_("closed")}
    return ([Col(N_("Shift"), lambda r: r.shift_id, "int"), Col(N_("Operator"), lambda r: r.operator),
             Col(N_("Station"), lambda r: r.station), Col(N_("State"), lambda r: _(states.get(r.state, r.state))),
             Col(N_("Opened"), lambda r: r.opened_at, "datetime"), Col(N_("Closed"), lambda r: r.closed_at, "datetime"),
             Col(N_("Count"), lambda r: r.count, "int", True)]
            + [Col(METHODS[m], _method_of(m), "money", True) for m in report_shifts.METHODS]
            + [Col(N_("Net (¥)"), lambda r: r.total, "money", True),
               Col(N_("Expected cash"), lambda r: r.expected_cash, "money", True),
               Col(N_("Counted cash"), lambda r: r.counted_cash, "money", True),
               Col(N_("Difference"), lambda r: r.difference, "money", True)])


def _record_cols(_group: str) -> list[Col]:
    kinds = report_records.KIND_LABELS
    return [Col(N_("Receipt No."), lambda r: r.receipt_no), Col(N_("Time"), lambda r: r.at, "datetime"),
            Col(N_("Kind"), lambda r: _(kinds.get(r.kind, r.kind))), Col(N_("Account"), lambda r: r.account),
            Col(N_("Customer"), lambda r: r.customer), Col(N_("Building"), lambda r: r.building),
            Col(N_("Room/shop"), lambda r: r.room), Col(N_("Meter No."), lambda r: r.meters),
            Col(N_("Amount (¥)"), lambda r: r.amount, "money", True),
            Col(N_("Energy (kWh)"), lambda r: r.energy, "energy", True),
            Col(N_("Payment method"), lambda r: _(METHODS[r.method]) if r.method in METHODS else r.method),
            Col(N_("Reference"), lambda r: r.reference), Col(N_("Operator"), lambda r: r.operator),
            Col(N_("Station"), lambda r: r.station), Col(N_("Original receipt No."), lambda r: r.original_receipt)]


RIGHT = "report_view"


def _checked(spec: ReportSpec) -> ReportSpec:
    """The spec whose run() checks the right first (models.audit.require_read: a refusal is
    logged as denied). A call without an operator (None: a front end that forgot it) is refused;
    the station itself runs a report as models.rights.system_actor(station)."""
    run = spec.run

    def checked_run(db: Database, start: date, end: date, group: str, actor: Actor,
                    *rest: Any, **kw: Any) -> Any:
        require_read(db, actor, RIGHT, "report.view", spec.key)
        return run(db, start, end, group, actor, *rest, **kw)
    return replace(spec, run=checked_run)


REPORTS: dict[str, ReportSpec] = {s.key: _checked(s) for s in [
    ReportSpec("sales", N_("Sales"), reports.SALES_GROUPS,
               lambda db, a, b, g, actor: reports.sales_summary(db, a, b, g or "day", actor=actor),
               _sales_cols, (0, 5)),
    ReportSpec("receivable", N_("Receivable vs received"), report_money.RECEIVABLE_GROUPS,
               lambda db, a, b, g, actor: report_money.receivable_vs_received(db, a, b, g or "month", actor=actor),
               _receivable_cols, (0, 3)),
    ReportSpec("corrections", N_("Refunds and reversals"), (),
               lambda db, a, b, g, actor: report_money.corrections(db, a, b, actor=actor), _correction_cols,
               stream=lambda s, a, b, g, actor: report_money.iter_corrections(s, a, b, actor=actor)),
    ReportSpec("sale_records", N_("Sales records"), (),
               lambda db, a, b, g, actor, filters=None: report_records.sale_records(db, a, b, filters, actor=actor),
               _record_cols, filtered=True,
               stream=lambda s, a, b, g, actor, filters=None: report_records.iter_sale_records(
                   s, a, b, filters, actor=actor)),
    ReportSpec("consumption", N_("Consumption"), ("building", "floor", "room", "meter", "tag"),
               lambda db, a, b, g, actor: report_consumption.consumption(db, a, b, g or "building", actor=actor),
               _consumption_cols, (0, 1)),
    ReportSpec("line_loss", N_("Line loss"), (),
               lambda db, a, b, g, actor: report_consumption.line_loss(db, a, b, actor=actor), _loss_cols, (0, 6)),
    ReportSpec("alarms", N_("Alarm history"), (),
               lambda db, a, b, g, actor: report_comms.alarm_history(db, a, b, actor=actor), _alarm_cols,
               stream=lambda s, a, b, g, actor: report_comms.iter_alarm_history(s, a, b, actor=actor)),
    ReportSpec("lost", N_("Lost meters and links"), (),
               lambda db, a, b, g, actor: report_comms.lost(db, actor=actor), _lost_cols, dated=False),
    ReportSpec("read_success", N_("Read success"), ("link", "meter"),
               lambda db, a, b, g, actor: report_comms.read_success(db, a, b, by_meter=g == "meter", actor=actor),
               _read_cols, (0, 6)),
    ReportSpec("shift", N_("Shift reports"), (),
               lambda db, a, b, g, actor: report_shifts.shift_report(db, a, b, actor=actor), _shift_cols),
]}


def chart_value(value: Any) -> Decimal | None:
    """A cell as a number for the chart (None when it has no figure)."""
    if value is None or isinstance(value, bool):
        return None
    return Decimal(value) if isinstance(value, (int, Decimal)) else None


def export_title(spec: ReportSpec, start: date, end: date, group: str = "") -> str:
    title = _(spec.title)
    if group and len(spec.groups) > 1:
        title += " · " + _(GROUP_LABELS.get(group, group))
    return title if not spec.dated else f"{title} {start.isoformat()} — {end.isoformat()}"


def export_xlsx(path: str | os.PathLike[str], key: str, rows: Iterable[Any], start: date, end: date,
                group: str = "", progress: Callable[[int], None] | None = None, title: str | None = None, *,
                company: str = "") -> int:
    """Write a report's rows to .xlsx (Chinese headers in zh_CN, number formats, totals, frozen header);
    `company` (setting company.name) heads the sheet when given. `rows` may be a stream (a cursor):
    it is written as it comes. Rows a screen showed that are not all the report's (a cut Shown:
    the first 100,000 alarms) are not what is written: every row is, from the database's cursor."""
    if isinstance(rows, Shown) and rows.cut:
        with rows.every_row() as every:
            return export_xlsx(path, key, every, start, end, group, progress, title, company=company)
    from printing.excel import Column, write_table_xlsx

    spec = REPORTS[key]
    cols = spec.cols(group)
    columns = [Column(_(c.header), i, c.kind) for i, c in enumerate(cols)]
    it = iter(rows)
    first = next(it, _NONE)
    totals = [i for i, c in enumerate(cols) if c.total] if first is not _NONE else []
    data = ([c.get(r) for c in cols] for r in (it if first is _NONE else itertools.chain((first,), it)))
    return write_table_xlsx(path, title or export_title(spec, start, end, group), columns, data, totals=totals,
                            progress=progress, heading=[company])


_NONE = object()


def export_streamed(db: Database, path: str | os.PathLike[str], key: str, start: date, end: date, group: str,
                    actor: Actor, *, filters: Any = None, title: str | None = None, company: str = "",
                    progress: Callable[[int], None] | None = None,
                    tally: report_records.RecordTally | None = None) -> int:
    """Run a report with a `stream` and write its rows to .xlsx as they come from the cursor
    (one read transaction), never holding the table; `tally` (sale records) adds up the totals
    on the way."""
    spec = REPORTS[key]
    if spec.stream is None:
        raise ValueError(f"report {key!r} has no stream")
    require_read(db, actor, RIGHT, "report.export", key)          # None (no operator): refused
    with db.read() as s:
        rows = (spec.stream(s, start, end, group, actor, filters=filters) if spec.filtered
                else spec.stream(s, start, end, group, actor))
        if tally is not None:
            rows = tally.counting(rows)
        return export_xlsx(path, key, rows, start, end, group, progress, title, company=company)


def report_summary(key: str, rows: Sequence[Any]) -> list[str]:
    """Totals in words under a report's header (sales records: count and sum per kind)."""
    if key == "sale_records":
        return report_records.totals_lines(report_records.record_totals(list(rows)))
    if isinstance(rows, Shown):
        return rows.note()              # "Showing the first N of M rows" when they are not all
    return []


def report_pdf(key: str, rows: Sequence[Any], start: date, end: date, group: str = "", *,
               filters: Sequence[tuple[str, str]] = (), company: str = "") -> bytes:
    """A printable PDF of a report: title, period, filters, totals, the table (printing/table_report.py)."""
    from printing.table_report import TableDoc, render_table_pdf

    spec = REPORTS[key]
    cols = spec.cols(group)
    kinds = [c.kind for c in cols]
    table = spec.table(rows, group)
    totals: list[Any] | None = None
    total_cols = [i for i, c in enumerate(cols) if c.total]
    if table and total_cols:
        totals = [None] * len(cols)
        for i in total_cols:
            totals[i] = sum((r[i] for r in table if r[i] is not None), 0 if kinds[i] == "int" else Decimal(0))
        label = next((i for i in range(len(cols)) if i not in total_cols), None)
        if label is not None:
            totals[label] = _("Total")
    title = _(spec.title)
    if group and len(spec.groups) > 1:
        title += " · " + _(GROUP_LABELS.get(group, group))
    period = f"{start.isoformat()} — {end.isoformat()}" if spec.dated else ""
    doc = TableDoc(title=title, headers=[_(c.header) for c in cols], kinds=kinds, rows=table, period=period,
                   filters=list(filters), totals=totals, summary=report_summary(key, rows), company=company)
    return render_table_pdf(doc)
